#!/usr/bin/env bash
# browser_echo.sh - headless Chromium loads ws_server's page, sends a message, sees the echo.
# Needs: chromium (Debian), node, and playwright-core from tests/package.json (./wirelab test
# runs npm ci). Label: interop.
. "$WIRELAB_SOURCE/tests/lib.sh"
# start_server reads NAME.log as soon as the server starts: a log left by an earlier run could
# give it the old port before the new server truncates the file. Start from a clean directory.
rm -f ./*.log

[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing: apt-get install chromium"
[ -d "$WIRELAB_SOURCE/tests/node_modules/playwright-core" ] \
  || fail "playwright-core is missing: run (cd tests && npm ci) or ./wirelab test"

step "start ws_server --port 0 (echo) --verbose"
start_server server "$WIRELAB_BIN/ws_server" --port 0 --verbose
profile=$(mktemp -d "$PWD/chromium-profile.XXXXXX")
step "run headless Chromium on the page (fresh profile $profile)"
node "$WIRELAB_SOURCE/tests/ws_handshake/browser_echo.js" "$SERVER_PORT" "$profile" \
  || fail "the browser test failed; server log: $(tail -20 "$SERVER_LOG")"
rm -rf "$profile"
step "the server saw a masked text frame from the browser"
grep -q "> frame FIN=1 RSV=0 opcode=0x1 (text) MASK=1" "$SERVER_LOG" \
  || fail "no masked text frame in the server's trace: $(tail -20 "$SERVER_LOG")"
echo "Chromium and ws_server agree"

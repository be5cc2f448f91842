#!/usr/bin/env bash
# browser_chat.sh - headless Chromium loads events_server's chat page (the real Socket.IO
# browser client), chats in a room, drops the connection and recovers. Needs chromium (Debian),
# node, and playwright-core from tests/package.json. Label: interop.
. "$WIRELAB_SOURCE/tests/lib.sh"

[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing: apt-get install chromium"
[ -d "$WIRELAB_SOURCE/tests/node_modules/playwright-core" ] \
  || fail "playwright-core is missing: run (cd tests && npm ci) or ./wirelab test"
[ -f "$WIRELAB_BIN/socket.io.min.js" ] \
  || fail "build/bin/socket.io.min.js is missing: run (cd tests && npm ci), then rebuild"

step "start events_server --port 0 --demo chat --verbose"
start_server server "$WIRELAB_BIN/events_server" --port 0 --demo chat --verbose
profile=$(mktemp -d "$PWD/chromium-profile.XXXXXX")
step "run headless Chromium on the chat page (fresh profile $profile)"
node "$WIRELAB_SOURCE/tests/events/browser_chat.js" "$SERVER_PORT" "$profile" \
  || fail "the browser test failed; server log: $(tail -30 "$SERVER_LOG")"
rm -rf "$profile"
step "the server saw the browser recover"
grep -q "(recovered: id, rooms and missed events restored)" "$SERVER_LOG" \
  || fail "no recovered connection in the server's log: $(tail -20 "$SERVER_LOG")"
echo "Chromium's Socket.IO client and events_server agree"

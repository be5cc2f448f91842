#!/usr/bin/env bash
# differential.sh - the same scripted sessions against events_server --demo protocol-suite and
# against Node's socket.io (npm, tests/package.json) as the reference; packets compared one by
# one (differential.mjs). Needs node and npm socket.io. Label: interop.
. "$WIRELAB_SOURCE/tests/lib.sh"
command -v node >/dev/null || fail "node is missing: apt-get install nodejs"
[ -d "$WIRELAB_SOURCE/tests/node_modules/socket.io" ] \
  || fail "npm socket.io is missing: run (cd tests && npm ci) or ./wirelab test"
step "start events_server --port 0 --demo protocol-suite"
start_server events "$WIRELAB_BIN/events_server" --port 0 --demo protocol-suite --verbose
step "run the sessions against both servers and compare"
node "$WIRELAB_SOURCE/tests/events/differential.mjs" "$SERVER_PORT" \
  || fail "events_server and socket.io answer differently (above); server log tail:
$(tail -20 "$SERVER_LOG")"

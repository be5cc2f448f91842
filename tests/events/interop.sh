#!/usr/bin/env bash
# interop.sh SCENARIO - the real Node.js Socket.IO client (npm socket.io-client) against
# events_server --demo chat. Needs node and the npm packages of tests/package.json
# (./wirelab test runs npm ci). Label: interop.
. "$WIRELAB_SOURCE/tests/lib.sh"
scenario=$1

command -v node >/dev/null || fail "node is missing: apt-get install nodejs"
[ -d "$WIRELAB_SOURCE/tests/node_modules/socket.io-client" ] \
  || fail "socket.io-client is missing: run (cd tests && npm ci) or ./wirelab test"

# Pings every 200 ms, so the polling and websocket scenarios see several heartbeat rounds;
# a pong may take 5 s, so a machine busy with other tests never closes a session (no scenario
# waits for a missed pong: a client that leaves closes its transport).
args=(--port 0 --demo chat --verbose --ping-interval 200 --ping-timeout 5000)
case $scenario in
  window) args+=(--recovery-window 500) ;;
  capacity) args+=(--recovery-capacity 4) ;;
esac
step "start events_server ${args[*]}"
start_server events "$WIRELAB_BIN/events_server" "${args[@]}"
step "run the socket.io-client scenario '$scenario'"
node "$WIRELAB_SOURCE/tests/events/interop_client.mjs" "$scenario" "$SERVER_PORT" \
  || fail "the Node.js client scenario '$scenario' failed; server log tail:
$(tail -30 "$SERVER_LOG")"
kill -0 "$SERVER_PID" 2>/dev/null || fail "events_server died: $(tail -20 "$SERVER_LOG")"
echo "socket.io-client and events_server agree on '$scenario'"

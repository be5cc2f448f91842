#!/usr/bin/env bash
# protocol_suite.sh GROUP - raw HTTP / raw WebSocket cases against
# events_server --demo protocol-suite (see protocol_suite.py for the groups).
. "$WIRELAB_SOURCE/tests/lib.sh"
group=$1
if [ "$group" = heartbeat_exact ]; then # timing: the chat demo with a 1 s heartbeat
  step "start events_server --port 0 --ping-interval 1000 --ping-timeout 1000"
  start_server events "$WIRELAB_BIN/events_server" --port 0 --ping-interval 1000 \
    --ping-timeout 1000
else
  step "start events_server --port 0 --demo protocol-suite --verbose"
  start_server events "$WIRELAB_BIN/events_server" --port 0 --demo protocol-suite --verbose
fi
step "run protocol_suite.py group '$group'"
/usr/bin/python3 "$WIRELAB_SOURCE/tests/events/protocol_suite.py" "$SERVER_PORT" "$group" \
  || fail "protocol group '$group' failed (above); server log tail:
$(tail -25 "$SERVER_LOG")"
kill -0 "$SERVER_PID" 2>/dev/null || fail "events_server died: $(tail -20 "$SERVER_LOG")"
step "stop the server with SIGTERM"
stop_server
expect_eq "events_server exit status" 0 "$SERVER_RC"

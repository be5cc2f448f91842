#!/usr/bin/env bash
# interop_python.sh - Debian's python3-websockets against ws_server, and ws_client against a
# python3-websockets server. Label: interop (needs python3-websockets).
. "$WIRELAB_SOURCE/tests/lib.sh"
# start_server reads NAME.log as soon as the server starts: a log left by an earlier run could
# give it the old port before the new server truncates the file. Start from a clean directory.
rm -f ./*.log
HERE="$WIRELAB_SOURCE/tests/ws_handshake"
/usr/bin/python3 -c "import websockets" 2>/dev/null \
  || fail "python3-websockets is missing: apt-get install python3-websockets"

step "start ws_server --port 0 --max-message 2097152"
start_server server "$WIRELAB_BIN/ws_server" --port 0 --max-message 2097152
step "python3-websockets client against ws_server"
/usr/bin/python3 "$HERE/interop_py_client.py" "$SERVER_PORT" \
  || fail "python3-websockets disagreed with ws_server (above); server log: $(tail "$SERVER_LOG")"
stop_server

step "start a python3-websockets echo server (pings every 0.2 s)"
start_server pyserver /usr/bin/python3 "$HERE/interop_py_server.py"
URL="ws://127.0.0.1:$SERVER_PORT/"

step "ws_client --message: two messages, two echoes"
out=$("$WIRELAB_BIN/ws_client" "$URL" --message "hello" --message "κόσμε" 2>client.err) \
  || fail "ws_client failed: $(cat client.err)"
expect_eq "ws_client's output" "$(printf 'hello\nκόσμε')" "$out"

step "ws_client interactive: lines in, echoes out, pings answered while idle"
out=$( { echo "first line"; sleep 1; echo "second line"; sleep 1; } \
  | "$WIRELAB_BIN/ws_client" "$URL" 2>client.err) || fail "ws_client failed: $(cat client.err)"
expect_eq "ws_client's output" "$(printf 'first line\nsecond line')" "$out"
kill -0 "$SERVER_PID" || fail "the python server died"

step "ws_client --trace shows the handshake and each frame's fields"
"$WIRELAB_BIN/ws_client" "$URL" --trace --message "traced" >/dev/null 2>trace.err \
  || fail "ws_client --trace failed: $(cat trace.err)"
grep -q "Sec-WebSocket-Accept:" trace.err || fail "no response headers in the trace: $(cat trace.err)"
grep -q "> frame FIN=1 RSV=0 opcode=0x1 (text) MASK=1 key=" trace.err \
  || fail "no masked text frame in the trace: $(cat trace.err)"
grep -q "< frame FIN=1 RSV=0 opcode=0x1 (text) MASK=0 len=6" trace.err \
  || fail "no unmasked echo frame in the trace: $(cat trace.err)"

step "the server closes with 4001: ws_client reports the code"
"$WIRELAB_BIN/ws_client" "$URL" --message "please close" >/dev/null 2>close.err || true
grep -q "code 4001" close.err || fail "ws_client did not report close code 4001: $(cat close.err)"
echo "python3-websockets and Wirelab agree"

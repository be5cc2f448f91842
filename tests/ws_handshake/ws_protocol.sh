#!/usr/bin/env bash
# ws_protocol.sh - start three ws_servers (echo, ping, chat) and run the Autobahn-style cases
# of ws_protocol.py against them. Run by CTest; by hand:
#   WIRELAB_BIN=build/bin WIRELAB_SOURCE=. bash tests/ws_handshake/ws_protocol.sh
. "$WIRELAB_SOURCE/tests/lib.sh"
# start_server reads NAME.log as soon as the server starts: a log left by an earlier run could
# give it the old port before the new server truncates the file. Start from a clean directory.
rm -f ./*.log
HERE="$WIRELAB_SOURCE/tests/ws_handshake"

step "start ws_server (echo, --max-message 100000, --http-timeout 1)"
start_server echo "$WIRELAB_BIN/ws_server" --port 0 --max-message 100000 --http-timeout 1
ECHO_PORT=$SERVER_PORT ECHO_PID=$SERVER_PID
step "start ws_server (echo, --ping-interval 0.5)"
start_server ping "$WIRELAB_BIN/ws_server" --port 0 --ping-interval 0.5
PING_PORT=$SERVER_PORT
step "start ws_server (chat, --max-queue 200000, --close-timeout 1, --verbose)"
start_server chat "$WIRELAB_BIN/ws_server" --port 0 --mode chat --max-queue 200000 \
  --max-message 100000 --close-timeout 1 --verbose
CHAT_PORT=$SERVER_PORT CHAT_LOG=$SERVER_LOG

base_fds=$(fd_count "$ECHO_PID")

step "run ws_protocol.py (every case sends raw bytes and checks the RFC's outcome)"
/usr/bin/python3 "$HERE/ws_protocol.py" "$ECHO_PORT" "$PING_PORT" "$CHAT_PORT" "$CHAT_LOG" \
  || fail "some protocol cases failed (listed above); server logs are in $PWD"

step "the echo server is still alive and holds no more descriptors than at the start ($base_fds)"
kill -0 "$ECHO_PID" 2>/dev/null || fail "the echo server died: $(tail -5 echo.log)"
for _ in $(seq 1 30); do  # the last clients' FINs may still be on their way: up to 3 s
  [ "$(fd_count "$ECHO_PID")" -le "$base_fds" ] && break
  sleep 0.1
done
fds=$(fd_count "$ECHO_PID")
[ "$fds" -le "$base_fds" ] \
  || fail "the echo server has $fds open descriptors, $base_fds at the start: $(ls -l /proc/$ECHO_PID/fd)"
echo "all protocol cases passed"

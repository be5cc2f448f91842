# lb_sticky.sh - two events_servers behind HAProxy with events/lb/haproxy.cfg (sticky and plain
# round robin), and lb_sticky.py's checks through it. haproxy comes from tests/deb-packages.txt.
. "$WIRELAB_SOURCE/tests/lib.sh"
HAPROXY=$(PATH=$PATH:/usr/sbin:/sbin command -v haproxy || true)
[ -n "$HAPROXY" ] || fail "haproxy is not installed: apt-get install -y haproxy (tests/deb-packages.txt)"

step "two events_servers on free loopback ports"
start_server a "$WIRELAB_BIN/events_server" --port 0 --bind 127.0.0.1
A_PORT=$SERVER_PORT
start_server b "$WIRELAB_BIN/events_server" --port 0 --bind 127.0.0.1
B_PORT=$SERVER_PORT

step "haproxy in front of them (events/lb/haproxy.cfg)"
read -r STICKY PLAIN < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
EVENTS_A=127.0.0.1:$A_PORT EVENTS_B=127.0.0.1:$B_PORT LB_STICKY_PORT=$STICKY LB_PLAIN_PORT=$PLAIN \
  "$HAPROXY" -db -f "$WIRELAB_SOURCE/events/lb/haproxy.cfg" >haproxy.log 2>&1 &
PIDS+=($!)
for port in "$STICKY" "$PLAIN"; do
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || fail "haproxy exited: $(cat haproxy.log)"
    [ "$i" -lt 100 ] || fail "haproxy is not listening on port $port after 5 s: $(cat haproxy.log)"
    sleep 0.05
  done
done

step "sessions through it: round robin, WebSocket only, sticky, python-socketio"
/usr/bin/python3 "$WIRELAB_SOURCE/tests/events/lb_sticky.py" "$STICKY" "$PLAIN" \
  || fail "the sessions through haproxy (above); haproxy said: $(tail -n 5 haproxy.log)"

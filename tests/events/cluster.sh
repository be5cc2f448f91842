#!/usr/bin/env bash
# cluster.sh SCENARIO [redis|streams] - one socket.io cluster on a real Redis: events_server
# --adapter redis://127.0.0.1:PORT and a Node.js socket.io server with @socket.io/redis-adapter
# 8.x (tests/events/cluster_node.mjs), socket.io-client clients on each (cluster_client.mjs).
# With "streams": --adapter redis-streams:// and @socket.io/redis-streams-adapter 0.3.x, and
# the scenarios interop-streams, recovery (across servers, both ways) and heal-streams; a
# second events_server joins for recovery from C to C. Skipped (exit 77) without the package.
#   interop  broadcasts to all / a room / except a room, socketsJoin and socketsLeave,
#            fetchSockets, allRooms, serverSideEmit with ack, disconnectSockets: each started
#            from either implementation
#   heal     Redis killed (SIGKILL) during a burst of broadcasts and started again: nothing
#            crashes, local clients are served throughout, the cluster heals
# Redis runs on a free loopback port, without persistence, and is stopped by its PID.
# Needs redis-server, node and tests/node_modules (npm ci). Label: interop.
. "$WIRELAB_SOURCE/tests/lib.sh"
scenario=$1
kind=${2:-redis}
package=@socket.io/redis-adapter scheme=redis
[ "$kind" = streams ] && package=@socket.io/redis-streams-adapter scheme=redis-streams

command -v redis-server >/dev/null || fail "redis-server is missing: apt-get install redis-server"
command -v node >/dev/null || fail "node is missing: apt-get install nodejs"
if [ ! -d "$WIRELAB_SOURCE/tests/node_modules/$package" ]; then
  [ "$kind" = streams ] || fail "$package is missing: run (cd tests && npm ci) or ./wirelab test"
  echo "SKIPPED: $package is not in tests/node_modules: run (cd tests && npm ci) to run this test"
  exit 77
fi

REDIS_PIDFILE=$PWD/redis.pid
stop_redis() { # by the PID in the file: the client may have restarted it (heal)
  local p
  p=$(cat "$REDIS_PIDFILE" 2>/dev/null || true)
  [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true
}
trap 'stop_redis; cleanup_pids' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
step "start redis-server on 127.0.0.1:$port (no persistence)"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >redis.log 2>&1 &
echo $! >"$REDIS_PIDFILE"
for i in $(seq 1 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
  kill -0 "$(cat "$REDIS_PIDFILE")" 2>/dev/null || fail "redis-server exited: $(cat redis.log)"
  sleep 0.05
done

step "events_server refuses to start when Redis is not there"
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$("$WIRELAB_BIN/events_server" --port 0 --adapter "$scheme://127.0.0.1:$dead" 2>&1) \
  && fail "events_server started without Redis: $out"
case $out in *"cannot reach Redis at 127.0.0.1:$dead"*) ;; *) fail "unclear error: $out" ;; esac

step "start events_server --adapter $scheme://127.0.0.1:$port"
start_server events "$WIRELAB_BIN/events_server" --port 0 --adapter "$scheme://127.0.0.1:$port"
C_PID=$SERVER_PID C_PORT=$SERVER_PORT C_LOG=$SERVER_LOG
C2_PORT=0 C2_PID=0
if [ "$kind" = streams ]; then
  step "start a second events_server --adapter $scheme://127.0.0.1:$port"
  start_server events2 "$WIRELAB_BIN/events_server" --port 0 --adapter "$scheme://127.0.0.1:$port"
  C2_PORT=$SERVER_PORT C2_PID=$SERVER_PID
fi
step "start the Node.js socket.io server with $package"
start_server node node "$WIRELAB_SOURCE/tests/events/cluster_node.mjs" "$port" "$kind"
N_PORT=$SERVER_PORT N_LOG=$SERVER_LOG

step "run the cluster scenario '$scenario' with socket.io-client"
C2_PORT=$C2_PORT C2_PID=$C2_PID node "$WIRELAB_SOURCE/tests/events/cluster_client.mjs" "$scenario" "$C_PORT" \
  "$N_PORT" "$port" "$REDIS_PIDFILE" \
  || fail "the cluster scenario '$scenario' failed; events_server log tail:
$(tail -20 "$C_LOG")
node log tail:
$(tail -10 "$N_LOG")"
kill -0 "$C_PID" 2>/dev/null || fail "events_server died: $(tail -20 "$C_LOG")"
if [ "$scenario" = heal ] || [ "$scenario" = heal-streams ]; then
  grep -q "lost the connection to Redis" "$C_LOG" || fail "events_server did not log the loss: $(cat "$C_LOG")"
  grep -q "reconnected to Redis" "$C_LOG" || fail "events_server did not log the reconnection: $(cat "$C_LOG")"
fi
echo "events_server and Node.js socket.io are one cluster ('$scenario')"

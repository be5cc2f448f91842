# unread_stdout.sh - a server whose stdout is a pipe nobody reads keeps serving, and stops.
#
# A grader's subprocess.Popen(stdout=PIPE) that never reads, or a stalled `| tee`: the pipe
# holds 64 KiB, and each connection writes two log lines into it. Without outguard (see
# tcp_echo/outguard.h) the server's printf() blocks once the pipe is full - after a few
# hundred connections nobody is served, and SIGTERM is never read. And when the reader goes
# away, the next write raises SIGPIPE and kills it. Here: 800 connections are served through a
# full pipe, the server still stops on SIGTERM and says how many lines it dropped; a second
# server survives its reader going away.
. "$WIRELAB_SOURCE/tests/lib.sh"
PY="/usr/bin/python3 $WIRELAB_SOURCE/tests/tcp_echo/clients.py"

# start_unread NAME FIFO: the server's stdout is FIFO, held open by this shell on fd 3 (so it
# is never "without a reader"), read once for the port and then never again.
start_unread() {
  local name=$1 fifo=$2 line
  rm -f "$fifo"
  mkfifo "$fifo"
  exec 3<>"$fifo"
  "$WIRELAB_BIN/tcp_echo_server" --port 0 >"$fifo" 2>"$name.err" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  read -r -t 5 line <&3 || fail "$name said nothing on stdout within 5 s: $(cat "$name.err")"
  SERVER_PORT=$(sed -n 's/.*listening on .*port \([0-9][0-9]*\).*/\1/p' <<<"$line")
  [ -n "$SERVER_PORT" ] || fail "no port in $name's first line: $line"
}

step "start tcp_echo_server with stdout into a pipe that nobody reads after the first line"
start_unread server stdout.fifo

step "800 connections in a row, each echoed (their ~1,600 log lines overflow the pipe)"
out=$($PY served "$SERVER_PORT" 800 2>&1) || fail "served: $out"
printf '      %s\n' "$out"

step "SIGTERM stops it within 5 s, with exit 0"
kill -TERM "$SERVER_PID"
for _ in $(seq 1 50); do
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$SERVER_PID" 2>/dev/null && fail "still running 5 s after SIGTERM (blocked writing its log?)"
SERVER_RC=0
wait "$SERVER_PID" || SERVER_RC=$?
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"

step "its stderr says how many log lines were dropped, and why"
grep -Eq 'tcp_echo_server: [0-9]+ log lines dropped in all: stdout was not being read' server.err \
  || fail "no 'log lines dropped' report on stderr: $(cat server.err)"
exec 3>&-

step "a second server: its stdout's only reader goes away (SIGPIPE must not kill it)"
start_unread server2 stdout2.fifo
exec 3>&- # the last reader is gone: every write now fails with EPIPE
out=$($PY served "$SERVER_PORT" 50 2>&1) || fail "after the reader left: $out"
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died when its stdout's reader went away"
stop_server
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
echo "a server with an unread or abandoned stdout keeps serving and stops on SIGTERM"

# tcp_echo_server.sh - the attack suite against tcp_echo_server (see tests/attack/lib.sh).
# One client can only hurt itself: a client that never reads, a connection flood over the cap,
# pipelined requests, resets mid-stream, an unread stdout, SIGTERM with clients connected, silent
# clients (--idle-timeout) and the descriptor limit.
. "$WIRELAB_SOURCE/tests/lib.sh"
. "$WIRELAB_SOURCE/tests/attack/lib.sh"
CAP=40

step "start tcp_echo_server --max-clients $CAP"
start_server server "$WIRELAB_BIN/tcp_echo_server" --port 0 --max-clients "$CAP"
fds0=$(fd_count "$SERVER_PID")
rss0=$(rss_kb "$SERVER_PID")

step "a client sends 64 MiB and never reads its echo: the server stops reading it (backpressure)"
start_attacker nonreader tcp_nonreader "$SERVER_PORT" 64
innocent tcp_innocent "$SERVER_PORT"
# The loop queues out_high (1 MiB) and a read's worth more before it stops reading.
expect_rss_growth_below "$SERVER_PID" "$rss0" 16384 "a client that never reads"
stop_attacker

step "pipelined requests: 2,000 lines in one write all come back, in order"
out=$($ATTACK_PY tcp_pipeline "$SERVER_PORT" 2000 2>&1) || fail "$out"
printf '      %s\n' "$out"

step "$((CAP + 10)) connections held open: $CAP served, 10 closed at once, and the refusal logged"
start_attacker hold tcp_hold "$SERVER_PORT" $((CAP + 10))
grep -q "closed by the server at once: 10\$" hold.out || fail "over the cap of $CAP: $(cat hold.out)"
expect_fds_at_most "$SERVER_PID" $((fds0 + CAP)) "$((CAP + 10)) connections against a cap of $CAP"
expect_log "$SERVER_LOG" "refused 127\.0\.0\.1:[0-9]+: $CAP clients are connected, the server's limit \(raise it with --max-clients\)" \
  "the connection cap"
stop_attacker
expect_fds_back "$SERVER_PID" "$fds0" "after the flood left"
innocent tcp_innocent "$SERVER_PORT"

step "200 connections reset mid-stream: each closed, descriptors back where they were"
out=$($ATTACK_PY abrupt "$SERVER_PORT" 200 2>&1) || fail "$out"
printf '      %s\n' "$out"
expect_fds_back "$SERVER_PID" "$fds0" "after 200 resets"
grep -q 'reset by peer (RST)' "$SERVER_LOG" || fail "the resets were not logged as RST"
innocent tcp_innocent "$SERVER_PORT"

step "SIGTERM with 20 clients connected, each with echo pending: all closed, exit 0 within 5 s"
start_attacker busy tcp_busy "$SERVER_PORT" 20
stop_within 5
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
wait_attacker busy
grep -q '^ended: 20 of 20' busy.out || fail "not every client was closed: $(tail -n 1 busy.out)"

step "stdout a pipe nobody reads: 1,000 connections still served, SIGTERM still stops it"
start_with_unread_stdout unread "$WIRELAB_BIN/tcp_echo_server" --port 0
out=$(/usr/bin/python3 "$WIRELAB_SOURCE/tests/tcp_echo/clients.py" served "$SERVER_PORT" 1000 2>&1) \
  || fail "with an unread stdout: $out"
step "the stdout reader goes away: 100 more connections, and no death by SIGPIPE"
exec 3>&-
out=$(/usr/bin/python3 "$WIRELAB_SOURCE/tests/tcp_echo/clients.py" served "$SERVER_PORT" 100 2>&1) \
  || fail "with no stdout reader: $out"
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died when its stdout reader went away"
innocent tcp_innocent "$SERVER_PORT"
stop_within 5
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
expect_log unread.err 'log lines dropped in all: stdout was not being read' "the dropped log lines"

step "10 silent clients and one that talks, --max-clients 11 --idle-timeout 2: the silent are closed"
start_server idle "$WIRELAB_BIN/tcp_echo_server" --port 0 --max-clients 11 --idle-timeout 2
out=$(timeout 60 $ATTACK_PY tcp_silent "$SERVER_PORT" 10 2>&1) || fail "${out:-tcp_silent hung}"
printf '      %s\n' "$out"
expect_log "$SERVER_LOG" 'client #[0-9]+ \(127\.0\.0\.1:[0-9]+\) sent nothing for 2 s: closing it \(--idle-timeout\)' \
  "the idle timeout"
innocent tcp_innocent "$SERVER_PORT"
stop_within 5
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"

step "fd exhaustion: 'ulimit -n 48' and no --max-clients; 60 connections held open"
start_server emfile /usr/bin/prlimit --nofile=48 "$WIRELAB_BIN/tcp_echo_server" --port 0
# (descriptors inherited above the limit, from whoever started the test, stay open)
inherited=$(ls "/proc/$SERVER_PID/fd" | awk '$1 >= 48' | wc -l)
start_attacker emfile tcp_hold "$SERVER_PORT" 60
# The loop accepts until accept() fails with EMFILE, then pauses accepting: the rest wait in
# the kernel's accept queue, and the server never holds more descriptors than the limit.
expect_log "$SERVER_LOG" 'out of file descriptors: new connections wait in the kernel' \
  "the descriptor limit"
expect_fds_at_most "$SERVER_PID" $((48 + inherited)) "60 connections against 'ulimit -n 48'"
stop_attacker
innocent tcp_innocent "$SERVER_PORT"
stop_within 5
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
echo "tcp_echo_server held every attack"

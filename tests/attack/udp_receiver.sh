# udp_receiver.sh - the attack suite against udp_receiver --echo (see tests/attack/lib.sh):
# many senders (names in its books), a flood of the largest datagrams whose echoes nobody
# reads, an unread stdout, and SIGTERM. UDP has no connections: no cap, no slow heads.
. "$WIRELAB_SOURCE/tests/lib.sh"
. "$WIRELAB_SOURCE/tests/attack/lib.sh"

step "start udp_receiver --echo"
start_server server "$WIRELAB_BIN/udp_receiver" --port 0 --bind 127.0.0.1 --echo
fds0=$(fd_count "$SERVER_PID")
rss0=$(rss_kb "$SERVER_PID")
innocent udp_innocent "$SERVER_PORT"

step "datagrams from 500 different senders: the books keep 32, the rest are counted, logged"
out=$($ATTACK_PY udp_many "$SERVER_PORT" 500 2>&1) || fail "$out"
printf '      %s\n' "$out"
expect_log "$SERVER_LOG" 'sender number 33: the books have room for 32 senders' "the sender table"
expect_rss_growth_below "$SERVER_PID" "$rss0" 4096 "500 senders"
innocent udp_innocent "$SERVER_PORT"

step "3,000 datagrams of 65,507 bytes whose echoes are never read"
out=$($ATTACK_PY udp_flood "$SERVER_PORT" 3000 2>&1) || fail "$out"
printf '      %s\n' "$out"
expect_rss_growth_below "$SERVER_PID" "$rss0" 8192 "a flood of the largest datagrams"
expect_fds_at_most "$SERVER_PID" "$fds0" "a flood of datagrams"
innocent udp_innocent "$SERVER_PORT"

step "SIGTERM: exit 0 within 5 s, with the summary"
stop_within 5
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
grep -q 'and [0-9]* datagrams from more than 32 senders, not tracked' "$SERVER_LOG" \
  || fail "no count of the untracked senders in the summary: $(tail -n 3 "$SERVER_LOG")"

step "stdout a pipe nobody reads (a line per datagram): 3,000 datagrams later it still echoes"
start_with_unread_stdout unread "$WIRELAB_BIN/udp_receiver" --port 0 --bind 127.0.0.1 --echo
# In lockstep, so every datagram reaches the receiver: 3,000 lines overflow a 64 KiB pipe.
out=$($ATTACK_PY udp_lockstep "$SERVER_PORT" 3000 2>&1) || fail "$out"
innocent udp_innocent "$SERVER_PORT"
step "the stdout reader goes away: 200 more datagrams, and no death by SIGPIPE"
exec 3>&-
out=$($ATTACK_PY udp_lockstep "$SERVER_PORT" 200 2>&1) || fail "with no stdout reader: $out"
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died when its stdout reader went away"
innocent udp_innocent "$SERVER_PORT"
stop_within 5
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
expect_log unread.err 'log lines dropped in all: stdout was not being read' "the dropped log lines"
echo "udp_receiver held every attack"

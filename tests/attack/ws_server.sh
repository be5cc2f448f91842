# ws_server.sh - the attack suite against ws_server (see tests/attack/lib.sh): slow request
# heads, endless heads, a 1 TiB frame, a client that never reads, a flood over --max-clients,
# pipelined messages, resets, an unread stdout, and SIGTERM with WebSockets open.
. "$WIRELAB_SOURCE/tests/lib.sh"
. "$WIRELAB_SOURCE/tests/attack/lib.sh"
CAP=30

step "start ws_server --max-clients $CAP --http-timeout 1 --close-timeout 1 --max-queue 262144"
start_server server "$WIRELAB_BIN/ws_server" --port 0 --max-clients "$CAP" --http-timeout 1 \
  --close-timeout 1 --max-queue 262144
fds0=$(fd_count "$SERVER_PID")
rss0=$(rss_kb "$SERVER_PID")

step "20 connections send half a request head and stop: answered 408 after 1 s, logged"
start_attacker slow ws_slowheads "$SERVER_PORT" 20
innocent ws_innocent "$SERVER_PORT"
wait_attacker slow
grep -q '^ended: 20 of 20' slow.out || fail "slow heads left open: $(tail -n 1 slow.out)"
expect_log "$SERVER_LOG" 'the request head did not arrive in time' "the head timeout"
expect_fds_back "$SERVER_PID" "$fds0" "after the slow heads"

step "a request head that never ends: 431, logged"
out=$($ATTACK_PY ws_endless_head "$SERVER_PORT" 2>&1) || fail "$out"
printf '      %s\n' "$out"
expect_log "$SERVER_LOG" 'request head larger than 8192 bytes' "the head size limit"

step "a frame that announces 1 TiB: close 1009 before a byte of it is kept, logged"
out=$($ATTACK_PY ws_huge "$SERVER_PORT" 2>&1) || fail "$out"
printf '      %s\n' "$out"
expect_log "$SERVER_LOG" '1009' "the message size limit"
expect_rss_growth_below "$SERVER_PID" "$rss0" 16384 "a 1 TiB frame"

step "a client that sends 32 MiB of messages and never reads: closed with 1008, logged"
start_attacker nonreader ws_nonreader "$SERVER_PORT" 32
innocent ws_innocent "$SERVER_PORT"
expect_log "$SERVER_LOG" '1008 outgoing buffer over its limit' "the queue limit"
expect_rss_growth_below "$SERVER_PID" "$rss0" 16384 "a client that never reads"
# It reads nothing, so it never answers our close frame either: cut after --close-timeout.
expect_log "$SERVER_LOG" 'did not answer our close frame in time \(--close-timeout\)' \
  "the close timeout"
stop_attacker

step "pipelined: 500 messages in one write, each echoed in order"
out=$($ATTACK_PY ws_pipeline "$SERVER_PORT" 500 2>&1) || fail "$out"
printf '      %s\n' "$out"

step "$((CAP + 5)) WebSockets against a cap of $CAP: 5 answered 503, the refusal logged"
start_attacker hold ws_hold "$SERVER_PORT" $((CAP + 5))
grep -q "answered 503: 5\$" hold.out || fail "over the cap of $CAP: $(cat hold.out)"
# The cap, plus the 5 refused ones, each kept up to LOOP_REFUSE_MS (1 s) to read its 503.
expect_fds_at_most "$SERVER_PID" $((fds0 + CAP + 5)) "$((CAP + 5)) connections against a cap of $CAP"
expect_log "$SERVER_LOG" "refused 127\.0\.0\.1:[0-9]+: $CAP clients are connected, the server's limit \(raise it with --max-clients\)" \
  "the connection cap"
stop_attacker
expect_fds_back "$SERVER_PID" "$fds0" "after the flood left"
innocent ws_innocent "$SERVER_PORT"

step "100 connections reset mid-stream: descriptors back where they were"
out=$($ATTACK_PY abrupt "$SERVER_PORT" 100 2>&1) || fail "$out"
printf '      %s\n' "$out"
expect_fds_back "$SERVER_PID" "$fds0" "after 100 resets"
innocent ws_innocent "$SERVER_PORT"

step "SIGTERM with 10 WebSockets open: each gets close 1001, exit 0 within 5 s"
start_attacker open ws_sigterm "$SERVER_PORT" 10
stop_within 5
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
wait_attacker open
grep -q '^ended: 10 of 10 got close 1001' open.out || fail "$(tail -n 1 open.out)"

step "stdout and stderr a pipe nobody reads (--verbose, a line per frame): still serving"
# The trace goes to stderr: both into the one unread pipe, as a grader's Popen(stdout=PIPE,
# stderr=STDOUT) or `ws_server --verbose 2>&1 | tee` would have them.
start_with_unread_stdout unread /bin/sh -c 'exec "$0" "$@" 2>&1' "$WIRELAB_BIN/ws_server" \
  --port 0 --verbose
# 2,000 messages: two trace lines each, far more than the pipe's 64 KiB
out=$($ATTACK_PY ws_pipeline "$SERVER_PORT" 2000 2>&1) || fail "with an unread stdout: $out"
innocent ws_innocent "$SERVER_PORT"
step "the pipe's reader goes away: 500 more messages, and no death by SIGPIPE"
exec 3>&-
out=$($ATTACK_PY ws_pipeline "$SERVER_PORT" 500 2>&1) || fail "with no stdout reader: $out"
innocent ws_innocent "$SERVER_PORT"
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died when its stdout reader went away"
stop_within 5
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
echo "ws_server held every attack"

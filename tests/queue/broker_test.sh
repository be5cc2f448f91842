#!/usr/bin/env bash
# broker_test.sh SCENARIO - start queue_broker on a free loopback port with the options the
# scenario needs, run broker_scenarios.py SCENARIO against it, stop it with SIGTERM and check
# its summary line. CTest runs one test per scenario (tests/queue/CMakeLists.txt).
. "$WIRELAB_SOURCE/tests/lib.sh"

scenario=${1:?usage: broker_test.sh SCENARIO (one of broker_scenarios.py)}
here="$WIRELAB_SOURCE/tests/queue"
opts=(--port 0)
case "$scenario" in
  gap) opts+=(--queue ticks=8) ;;
  toolong) opts+=(--max-line 64) ;;
  prefetch) opts+=(--prefetch 2) ;;
  busy) opts+=(--max-clients 2) ;;
  idle) opts+=(--idle-timeout 1) ;;
  deadletter) opts+=(--max-deliveries 2) ;;
esac

step "start queue_broker ${opts[*]}"
start_server broker "$WIRELAB_BIN/queue_broker" "${opts[@]}"
step "run scenario '$scenario' against port $SERVER_PORT"
/usr/bin/python3 "$here/broker_scenarios.py" "$scenario" "$SERVER_PORT" \
  || fail "scenario '$scenario' failed (its transcript is above); broker log: $(cat "$SERVER_LOG")"
step "stop the broker with SIGTERM: it must exit 0 and print its summary"
stop_server
expect_eq "broker exit status" 0 "$SERVER_RC"
summary=$(grep 'stopped. messages in' "$SERVER_LOG" || true)
[ -n "$summary" ] || fail "no summary line after SIGTERM; the log was: $(cat "$SERVER_LOG")"
case "$scenario" in
  competing) want="messages in 11, delivered 11, redelivered 0, overwritten 0 (acked 11" ;;
  redelivery) want="messages in 1, delivered 2, redelivered 1" ;;
  replay) want="messages in 16, delivered 16, redelivered 0" ;;
  gap) want="messages in 21, delivered 9, redelivered 0, overwritten 13" ;;
  semantics) want="messages in 4, delivered 5, redelivered 1, overwritten 0 (acked 4, rejected as full 0, deadlines passed 1" ;;
  deadline) want="messages in 1, delivered 2, redelivered 1, overwritten 0 (acked 1, rejected as full 0, deadlines passed 1, dead-lettered 0)" ;;
  touch) want="delivered 2, redelivered 1, overwritten 0 (acked 0, rejected as full 0, deadlines passed 1" ;;
  deadletter) want="delivered 3, redelivered 2, overwritten 0 (acked 1, rejected as full 0, deadlines passed 2, dead-lettered 1)" ;;
  *) want="messages in" ;;
esac
case "$summary" in
  *"$want"*) ;;
  *) fail "the summary should contain '$want' but was: $summary" ;;
esac
grep -q '^queue_broker: memory only: nothing is written to disk' "$SERVER_LOG" \
  || fail "the broker should say at start that it keeps everything in memory: $(cat "$SERVER_LOG")"
grep -q '^queue_broker: memory only: this stop discards [0-9]* queued, [0-9]* in flight' "$SERVER_LOG" \
  || fail "the broker should say at stop what it discards: $(cat "$SERVER_LOG")"
# The limit's own log line, where the scenario makes one bite.
case "$scenario" in
  prefetch) logged="holds 2 unacked messages, its prefetch: its PULL waits for an ACK" ;;
  busy) logged="refused 127.0.0.1:[0-9]*: 2 clients are connected, the server's limit (raise it with --max-clients)" ;;
  idle) logged="sent nothing for 1 s: closed (--idle-timeout)" ;;
  toolong) logged="sent a line over 64 bytes (--max-line)" ;;
  deadline | touch) logged="ACK deadline(s) passed: back to the queue" ;;
  deadletter) logged="1 dead-lettered (--max-deliveries 2)" ;;
  *) logged="" ;;
esac
[ -z "$logged" ] || grep -q -- "$logged" "$SERVER_LOG" \
  || fail "the broker should have logged '$logged'; its log: $(cat "$SERVER_LOG")"
echo "ok: $scenario"

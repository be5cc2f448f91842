#!/usr/bin/env bash
# broker_test.sh SCENARIO - start queue_broker on a free loopback port with the options the
# scenario needs, run broker_scenarios.py SCENARIO against it, stop it with SIGTERM and check
# its summary line. CTest runs one test per scenario (tests/queue/CMakeLists.txt).
. "$WIRELAB_SOURCE/tests/lib.sh"

scenario=${1:?usage: broker_test.sh competing|redelivery|replay|gap|errors|toolong}
here="$WIRELAB_SOURCE/tests/queue"
opts=(--port 0)
case "$scenario" in
  gap) opts+=(--queue ticks=8) ;;
  toolong) opts+=(--max-line 64) ;;
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
  *) want="messages in" ;;
esac
case "$summary" in
  *"$want"*) ;;
  *) fail "the summary should contain '$want' but was: $summary" ;;
esac
echo "ok: $scenario"

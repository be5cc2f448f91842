#!/usr/bin/env bash
# broker_crash.sh MODE - queue_broker --data killed with SIGKILL, restarted, checked
# (tests/queue/broker_crash.py has the modes: crash-always, crash-everysec, crash-no, torn,
# survive). The Python script starts and kills every broker by its PID.
. "$WIRELAB_SOURCE/tests/lib.sh"

mode=${1:?usage: broker_crash.sh MODE}
step "broker_crash.py $mode in $PWD"
/usr/bin/python3 "$WIRELAB_SOURCE/tests/queue/broker_crash.py" "$mode" "$WIRELAB_BIN/queue_broker" \
  "$PWD/$mode" || fail "mode '$mode' failed (its transcript is above)"

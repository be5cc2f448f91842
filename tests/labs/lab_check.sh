# lab_check.sh LABDIR - run a lab unattended (its own checks against its capture), recording
# what each step printed, then check that its README still shows what the programs print.
. "$WIRELAB_SOURCE/tests/lib.sh"
lab=$1
step "run $(basename "$lab") --record (every check the lab teaches)"
LAB_RECORD_DIR=$PWD bash "$lab/run" --record > lab.log 2>&1 || fail "the lab failed:
$(cat lab.log)"
cat lab.log
step "the page's output blocks match what the programs printed just now"
/usr/bin/python3 "$WIRELAB_SOURCE/labs/pages.py" check "$lab" "$PWD/output" || fail "the page drifted"

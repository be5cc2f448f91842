# lab_replay.sh LABDIR - the lab as it runs where unprivileged namespaces are forbidden
# (WIRELAB_FORCE_REPLAY): nothing runs, each step shows its recorded output, and every check
# that reads a capture runs against the captures shipped in the lab's folder.
. "$WIRELAB_SOURCE/tests/lib.sh"
lab=$1
step "$(basename "$lab") --check with WIRELAB_FORCE_REPLAY=1"
WIRELAB_FORCE_REPLAY=1 bash "$lab/run" --check > replay.log 2>&1 || fail "the replay failed:
$(cat replay.log)"
grep -q '(recorded)' replay.log || fail "no recorded output was shown: $(head -20 replay.log)"
if grep -q '^check' "$lab/run" 2>/dev/null || grep -q 'golden' "$lab/run"; then
  grep -q '^check' replay.log || fail "no check ran on the shipped captures: $(cat replay.log)"
fi
echo "$(grep -c '^check' replay.log) checks passed on the shipped captures"

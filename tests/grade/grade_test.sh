# grade_test.sh N - lab N's grader against work that must pass and work that must fail.
#
#   tests/grade/labN/reference/   a correct solution: every check must hold (exit 0)
#   tests/grade/labN/broken-*/    deliberately wrong ones: the grade must fail (exit 1, or 2 if
#                                 expect.txt says "exit: 2"), and the first failing check's
#                                 name or explanation must contain each other line of
#                                 expect.txt.
#                                 Lines "not: TEXT" in expect.txt: TEXT must appear nowhere in
#                                 the grader's output (a hint never gives the answer away).
# A folder may hold `prepare` (bash): it runs first in the scratch copy, with WIRELAB_BIN and
# WIRELAB_ROOT set, to make what must not be committed (a capture taken by a script, say).
# If it exits 77, the case is skipped (no namespaces on this machine), and so is the test.
# Each case runs on a scratch copy, so a grader that builds or writes never touches the repo.
# tests/grade/labN/needs-namespaces (its text says why): the whole test is skipped (77) where
# unprivileged user namespaces are forbidden, since the grader or the captures need them.
. "$WIRELAB_SOURCE/tests/lib.sh"
n=$1
export WIRELAB_ROOT=$WIRELAB_SOURCE
grader=$WIRELAB_SOURCE/grade/lab$n/grade
cases=$WIRELAB_SOURCE/tests/grade/lab$n
[ -x "$grader" ] || fail "grade/lab$n/grade is missing or not executable"
[ -d "$cases/reference" ] || fail "tests/grade/lab$n/reference/ is missing: every grader needs a solution that passes"
ls -d "$cases"/broken-*/ >/dev/null 2>&1 || fail "tests/grade/lab$n has no broken-*/ cases: a grader must be shown to fail"
skipped=0
if [ -f "$cases/needs-namespaces" ] && ! unshare --user --map-root-user --net true 2>/dev/null; then
  echo "skipped: user namespaces are forbidden here, and lab $n's grade needs them: $(cat "$cases/needs-namespaces")"
  exit 77
fi

# run_case DIR: copy DIR to a scratch work folder, prepare it, grade it; sets RC and OUT.
run_case() {
  local src=$1 name
  name=$(basename "$src")
  WORK=$PWD/$name
  rm -rf "$WORK"
  cp -r "$src" "$WORK"
  rm -f "$WORK/expect.txt"
  if [ -f "$WORK/prepare" ]; then
    local prc=0
    (cd "$WORK" && bash ./prepare) >"$PWD/$name.prepare.log" 2>&1 || prc=$?
    rm -f "$WORK/prepare"
    if [ $prc -eq 77 ]; then
      echo "  skip $name: $(tail -n 1 "$PWD/$name.prepare.log")"
      skipped=$((skipped + 1))
      return 1
    fi
    [ $prc -eq 0 ] || fail "$name/prepare failed (exit $prc): $(cat "$PWD/$name.prepare.log")"
  fi
  RC=0
  OUT=$(timeout 600 "$grader" "$WORK" 2>"$PWD/$name.stderr") || RC=$?
  printf '%s\n' "$OUT" >"$PWD/$name.out"
  return 0
}

# The first failing check, as "name: explanation" (empty if none failed).
first_failure() {
  printf '%s\n' "$OUT" | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    try:
        c = json.loads(line)
    except ValueError:
        continue
    if isinstance(c, dict) and c.get("ok") is False:
        print(c.get("check", "") + ": " + c.get("explain", ""))
        break'
}

step "lab $n: the reference solution passes"
if run_case "$cases/reference"; then
  [ $RC -eq 0 ] || fail "the reference solution did not pass (exit $RC):
$OUT
$(cat "$PWD/reference.stderr")"
  [ -z "$(first_failure)" ] || fail "the grader exited 0 but reported a failing check: $(first_failure)"
  printf '%s\n' "$OUT" | grep -q '"ok": *true' || fail "the grader printed no passing check: $OUT"
  echo "    $(printf '%s\n' "$OUT" | grep -c '"ok": *true') checks passed"
fi

for dir in "$cases"/broken-*/; do
  dir=${dir%/}
  name=$(basename "$dir")
  [ -f "$dir/expect.txt" ] || fail "$name has no expect.txt (the explanation its failure must give)"
  want=$(grep -v -e '^not: ' -e '^exit: ' "$dir/expect.txt" | head -n 1)
  want_rc=1
  grep -q '^exit: 2$' "$dir/expect.txt" && want_rc=2
  step "lab $n: $name fails, explaining: $want"
  run_case "$dir" || continue
  [ $RC -eq $want_rc ] || fail "$name: expected the grader to exit $want_rc, it exited $RC:
$OUT
$(cat "$PWD/$name.stderr")"
  got=$(first_failure)
  [ -n "$got" ] || fail "$name: the grader failed but printed no failing check: $OUT"
  echo "    $got" | cut -c1-200
  while IFS= read -r line; do
    case "$line" in
      "exit: "*) ;;
      "not: "*)
        secret=${line#not: }
        if printf '%s\n' "$OUT" | grep -qF -- "$secret"; then
          fail "$name: the grader's output gives the answer away ('$secret'): $OUT"
        fi ;;
      *)
        case "$got" in
          *"$line"*) ;;
          *) fail "$name: the first failing check should mention '$line', but it says:
    $got" ;;
        esac ;;
    esac
  done <"$dir/expect.txt"
done
if [ $skipped -gt 0 ]; then
  echo "skipped $skipped case(s): this machine cannot make namespaces for their captures"
  exit 77
fi

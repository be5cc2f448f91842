# driver_test.sh - ./wirelab grade's driver (grade/grade.py) with a fake lab's graders: the
# summary explains the first problem, --init copies without overwriting, exit codes, and
# --report writes Markdown and JSON with each file's sha256, the date and the commit.
. "$WIRELAB_SOURCE/tests/lib.sh"
root=$PWD/root
rm -rf "$root" work report.*
mkdir -p "$root/grade/lab1/skeleton" "$root/grade/lab2"
cp "$WIRELAB_SOURCE/grade/grade.py" "$root/grade/"
printf '## Say hello\n\nWrite hello.txt.\n' >"$root/grade/lab1/task.md"
printf 'TODO\n' >"$root/grade/lab1/skeleton/hello.txt"
# A grader in shell: passes when hello.txt says hello, else explains without the answer.
cat >"$root/grade/lab1/grade" <<'SH'
#!/usr/bin/env bash
f=$1/hello.txt
[ -f "$f" ] || { echo '{"check": "files", "ok": false, "explain": "no hello.txt: run --init"}'; exit 2; }
echo "a note that is not JSON"
if grep -qx hello "$f"; then echo '{"check": "greeting", "ok": true, "explain": ""}'; exit 0; fi
echo '{"check": "greeting", "ok": false, "explain": "hello.txt does not greet; see the task"}'
exit 1
SH
printf '#!/bin/sh\nexit 1\n' >"$root/grade/lab2/grade" # fails without a failing check: a grader bug
chmod +x "$root/grade/lab1/grade" "$root/grade/lab2/grade"
export WIRELAB_ROOT=$root WIRELAB_WORK=$PWD/work
drive() { RC=0; OUT=$(python3 "$root/grade/grade.py" "$@" 2>&1) || RC=$?; }

step "grade 1 before --init: could not grade (exit 2), says to run --init"
drive 1
expect_eq "exit status" 2 "$RC"
grep -q -- '--init' <<<"$OUT" || fail "no hint to run --init: $OUT"

step "--init copies the skeleton and says where"
drive 1 --init
expect_eq "exit status" 0 "$RC"
grep -q "$PWD/work/lab1" <<<"$OUT" || fail "--init did not say where it copied: $OUT"
expect_eq "copied file" TODO "$(cat work/lab1/hello.txt)"

step "the skeleton fails with the first problem in words"
drive 1
expect_eq "exit status" 1 "$RC"
grep -q 'The first problem (greeting)' <<<"$OUT" || fail "no first problem: $OUT"
grep -q 'does not greet' <<<"$OUT" || fail "the explanation is missing: $OUT"

step "--init again never overwrites the student's file"
echo hello >work/lab1/hello.txt
drive 1 --init
grep -q 'kept' <<<"$OUT" || fail "--init did not say it kept the file: $OUT"
expect_eq "the student's file" hello "$(cat work/lab1/hello.txt)"

step "the fixed work passes"
drive 1
expect_eq "exit status" 0 "$RC"
grep -q 'PASS' <<<"$OUT" || fail "no PASS: $OUT"

step "grade all --report: lab 2's grader fails without a check; the report has both tasks"
drive all --report "$PWD/report.md"
expect_eq "exit status" 2 "$RC"
[ -f report.md ] && [ -f report.json ] || fail "report.md/report.json not written: $OUT"
sum=$(sha256sum work/lab1/hello.txt | cut -d' ' -f1)
grep -q "$sum  hello.txt" report.md || fail "report.md lacks the file's sha256: $(cat report.md)"
python3 - "$sum" <<'PY' || fail "report.json is not as expected: $(cat report.json)"
import json, sys
r = json.load(open("report.json"))
assert r["date"].endswith("Z") and r["toolkit_commit"]
t = {x["lab"]: x for x in r["tasks"]}
assert t[1]["status"] == "pass" and t[1]["files"]["hello.txt"] == sys.argv[1]
assert t[2]["status"] == "not started", t[2]["status"]
PY
mkdir -p work/lab2
drive 2
grep -q 'a bug in the grader' <<<"$OUT" || fail "a grader failing without a check was not reported: $OUT"

step "an unknown lab is refused with the list"
drive 42
expect_eq "exit status" 2 "$RC"
grep -q 'the labs with one: 1, 2' <<<"$OUT" || fail "$OUT"

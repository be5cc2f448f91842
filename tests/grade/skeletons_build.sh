# skeletons_build.sh - every C skeleton a student starts from (grade/labN/skeleton/*.c) compiles
# with the project's warning flags as errors, and, untouched, still FAILS its grade: a skeleton
# must build as it is, and must not pass before the student has done the work. Each .c is
# compiled on its own, with the skeleton folder and the repository root on the include path.
. "$WIRELAB_SOURCE/tests/lib.sh"
export WIRELAB_ROOT=$WIRELAB_SOURCE
FLAGS=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Wpedantic -Wshadow
  -Wconversion -Werror)
found=0
for skel in "$WIRELAB_SOURCE"/grade/lab*/skeleton; do
  ls "$skel"/*.c >/dev/null 2>&1 || continue
  lab=$(basename "$(dirname "$skel")")
  found=$((found + 1))
  work=$PWD/$lab
  rm -rf "$work"
  cp -r "$skel" "$work"
  for src in "$work"/*.c; do
    step "$lab: $(basename "$src") compiles with ${FLAGS[*]}"
    cc "${FLAGS[@]}" -I"$work" -I"$WIRELAB_SOURCE" -c "$src" -o "$work/$(basename "$src" .c).o" 2>"$work/cc.log" \
      || fail "$lab/skeleton/$(basename "$src") does not compile cleanly:
$(cat "$work/cc.log")"
    rm -f "$work/$(basename "$src" .c).o"
  done
  step "$lab: the untouched skeleton fails its grade (a check fails)"
  rc=0
  timeout 600 "$WIRELAB_SOURCE/grade/$lab/grade" "$work" >"$work.out" 2>&1 || rc=$?
  fails=$(grep -c '"ok": *false' "$work.out" || true)
  # Exit 1: a check failed. Exit 2 (could not grade) counts only when a check had failed before
  # the grader stopped (a later check needing a tool this machine lacks, say): the last line is
  # the "could not grade" one, so at least two failing lines.
  case "$rc" in
    1) [ "$fails" -ge 1 ] || fail "$lab: the skeleton's grade exited 1 without a failing check:
$(cat "$work.out")" ;;
    2) [ "$fails" -ge 2 ] || fail "$lab: the skeleton could not be graded (exit 2) and no check had failed first:
$(cat "$work.out")" ;;
    *) fail "$lab: the skeleton's grade exited $rc, not 1 (a failed check):
$(cat "$work.out")" ;;
  esac
  echo "    $(grep -m 1 '"ok": *false' "$work.out" | cut -c1-160)"
done
[ $found -gt 0 ] || fail "no C skeleton found under grade/lab*/skeleton/"
echo "$found C skeleton(s) compile cleanly and fail their grade"

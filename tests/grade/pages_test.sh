# pages_test.sh - every lab with a task (grade/labN/task.md) shows it as "Your turn" on its page.
. "$WIRELAB_SOURCE/tests/lib.sh"
count=0
for task in "$WIRELAB_SOURCE"/grade/lab*/task.md; do
  [ -f "$task" ] || continue
  n=$(basename "$(dirname "$task")" | cut -c4-)
  lab=$(ls -d "$WIRELAB_SOURCE/labs/$(printf '%02d' "$n")"-*/ | head -n 1)
  step "lab $n's page shows grade/lab$n/task.md"
  /usr/bin/python3 "$WIRELAB_SOURCE/labs/pages.py" check-task "${lab%/}" || fail "lab $n's page is stale"
  count=$((count + 1))
done
echo "$count lab page(s) show their task"

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

step "a page without its task fails check-task; pasting puts the task back before Questions"
page=$PWD/01-tcp-handshake
rm -rf "$page"
mkdir -p "$page"
/usr/bin/python3 - "$WIRELAB_SOURCE/labs/01-tcp-handshake/README.md" "$page/README.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r"## Your turn\n\n<!-- task -->\n.*?<!-- /task -->\n\n", "",
                                    text, flags=re.S))
PY
grep -q '<!-- task -->' "$page/README.md" && fail "could not strip the task block for the test"
if /usr/bin/python3 "$WIRELAB_SOURCE/labs/pages.py" check-task "$page" >check.out; then
  fail "check-task passed on a page without its task"
fi
grep -q 'labs/regen 01' check.out || fail "check-task did not say to run labs/regen: $(cat check.out)"
PYTHONPATH=$WIRELAB_SOURCE/labs /usr/bin/python3 -B -c '
import sys, pages
path = sys.argv[1] + "/README.md"
text = open(path).read()
open(path, "w").write(pages.paste_task(sys.argv[1], text))' "$page"
/usr/bin/python3 "$WIRELAB_SOURCE/labs/pages.py" check-task "$page" || fail "paste did not restore the task"
awk '/^## Your turn/ { y = NR } /^## Questions/ { q = NR } END { exit !(y && q && y < q) }' \
  "$page/README.md" || fail "the task is not placed before ## Questions"
cmp -s "$page/README.md" "$WIRELAB_SOURCE/labs/01-tcp-handshake/README.md" \
  || fail "paste_task did not give back the page labs/regen made"

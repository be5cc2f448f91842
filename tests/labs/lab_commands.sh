# lab_commands.sh - every command a lab page (or the tour's) shows after "$ " is one a student
# can type in ./wirelab shell: a program in build/bin, a helper in labs/bin, ./wirelab itself,
# or a command Debian installs (looked up with the shell's PATH, /usr/sbin included). A page
# that showed a function private to its script would fail here.
. "$WIRELAB_SOURCE/tests/lib.sh"
. "$WIRELAB_SOURCE/labs/env.sh"
PATH="$WIRELAB_BIN:$WIRELAB_SOURCE/labs/bin:$WIRELAB_SOURCE:$PATH"
checked=0
for page in "$WIRELAB_SOURCE"/labs/*/README.md; do
  step "the commands shown in ${page#"$WIRELAB_SOURCE"/}"
  while read -r word rest; do
    if [ "$word" = ip ] && [[ "$rest" == netns\ exec\ * ]]; then
      read -r _ _ _ word _ <<<"$rest" # ip netns exec NS PROGRAM ...: the program too
      command -v ip >/dev/null || fail "$page shows ip, which is not found"
    fi
    command -v "$word" >/dev/null ||
      fail "$page shows the command '$word', which is not found in ./wirelab shell's PATH ($PATH)"
    checked=$((checked + 1))
  done < <(sed -n 's/^\$ //p' "$page")
done
[ "$checked" -gt 0 ] || fail "no commands found in the pages: the pattern is wrong"
echo "$checked command lines in the pages, every command found"

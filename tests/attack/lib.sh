# tests/attack/lib.sh: what every attack script shares (source it after tests/lib.sh).
#
# The rule under test: one client can only ever hurt itself. Each attack script starts a
# server, sets a hostile client on it (tests/attack/attack.py), and checks four things:
#   - memory and descriptors stay bounded      rss_kb, expect_rss_growth_below, expect_fds_back
#   - an ordinary client is still served       innocent SCENARIO
#   - the limit that bit said so in the log    expect_log FILE REGEX
#   - the server still stops on SIGTERM        stop_within SECONDS
# Helpers:
#   start_attacker NAME SCENARIO ARG...   runs attack.py in the background, waits for "ready"
#   stop_attacker                          SIGTERM to that attacker's PID, and waits
#   start_with_unread_stdout NAME CMD...   the server's stdout is a pipe read once, never again
# Every process is stopped by its own PID (tests/lib.sh), never by name.
ATTACK_PY="/usr/bin/python3 $WIRELAB_SOURCE/tests/attack/attack.py"
# An ordinary client's deadline. A server that an attacker blocks never answers at all; the
# margin over the issue's "within a second" is for a machine busy with other tests.
INNOCENT_DEADLINE=${INNOCENT_DEADLINE:-3}

# Resident memory of a process, in KiB (Linux /proc).
rss_kb() {
  awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

# expect_rss_growth_below PID BASE_KB LIMIT_KB WHAT
expect_rss_growth_below() {
  local now
  now=$(rss_kb "$1")
  [ $((now - $2)) -lt "$3" ] \
    || fail "$4: the server's memory grew from $2 KiB to $now KiB (limit: +$3 KiB)"
  printf '      memory: %s KiB -> %s KiB (bound +%s KiB)\n' "$2" "$now" "$3"
}

# expect_fds_at_most PID MAX WHAT
expect_fds_at_most() {
  local now
  now=$(fd_count "$1")
  [ "$now" -le "$2" ] || fail "$3: the server holds $now descriptors (bound: $2)"
}

# expect_fds_back PID COUNT WHAT: the descriptors return to COUNT within 5 s.
expect_fds_back() {
  local i
  for i in $(seq 1 50); do
    [ "$(fd_count "$1")" -le "$2" ] && return 0
    sleep 0.1
  done
  fail "$3: the server still holds $(fd_count "$1") descriptors, $2 before the attack"
}

# innocent SCENARIO PORT: an ordinary exchange must succeed within INNOCENT_DEADLINE.
innocent() {
  local out
  out=$(timeout $((INNOCENT_DEADLINE + 5)) $ATTACK_PY "$1" "$2" "$INNOCENT_DEADLINE" 2>&1) \
    || fail "while under attack: ${out:-the ordinary client hung}"
  printf '      %s\n' "$out"
}

# start_attacker NAME SCENARIO ARG...: sets ATTACKER_PID; its output is in NAME.out.
start_attacker() {
  local name=$1 i
  shift
  : >"$name.out"
  # shellcheck disable=SC2086
  $ATTACK_PY "$@" >"$name.out" 2>&1 &
  ATTACKER_PID=$!
  PIDS+=("$ATTACKER_PID")
  for i in $(seq 1 200); do
    grep -q '^ready' "$name.out" && { printf '      %s\n' "$(grep '^ready' "$name.out")"; return 0; }
    kill -0 "$ATTACKER_PID" 2>/dev/null || fail "attacker $name ended early: $(cat "$name.out")"
    sleep 0.1
  done
  fail "attacker $name was not ready within 20 s: $(cat "$name.out")"
}

stop_attacker() {
  kill -TERM "$ATTACKER_PID" 2>/dev/null || true
  wait "$ATTACKER_PID" 2>/dev/null || true
}

# wait_attacker NAME: the attacker ends by itself (within 30 s); its last line is printed.
wait_attacker() {
  local i
  for i in $(seq 1 300); do
    kill -0 "$ATTACKER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$ATTACKER_PID" 2>/dev/null && fail "attacker $1 did not finish within 30 s"
  wait "$ATTACKER_PID" 2>/dev/null || true
  printf '      %s\n' "$(tail -n 1 "$1.out")"
}

# expect_log FILE REGEX WHAT: the line appears within 3 s (logs are written as limits bite).
expect_log() {
  local i
  for i in $(seq 1 30); do
    grep -Eq "$2" "$1" && { printf '      logged: %s\n' "$(grep -E "$2" "$1" | head -n 1)"; return 0; }
    sleep 0.1
  done
  fail "$3: no line matching '$2' in $1; its last lines: $(tail -n 5 "$1")"
}

# stop_within SECONDS: SIGTERM to the server; it must exit in time. Sets SERVER_RC.
stop_within() {
  local i
  kill -TERM "$SERVER_PID"
  for i in $(seq 1 $(($1 * 10))); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$SERVER_PID" 2>/dev/null && fail "the server still runs $1 s after SIGTERM"
  SERVER_RC=0
  wait "$SERVER_PID" || SERVER_RC=$?
}

# start_with_unread_stdout NAME CMD...: stdout is a FIFO this shell holds open on fd 3 (so it
# always has a reader), read for the port line and never again; stderr goes to NAME.err.
# Sets SERVER_PID and SERVER_PORT. `exec 3>&-` afterwards makes the reader go away.
start_with_unread_stdout() {
  local name=$1 line i
  shift
  rm -f "$name.fifo"
  mkfifo "$name.fifo"
  exec 3<>"$name.fifo"
  # 3>&-: the server must not hold the FIFO's read end itself, or the reader never goes away
  "$@" >"$name.fifo" 2>"$name.err" 3>&- &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for i in 1 2 3; do
    read -r -t 5 line <&3 || fail "$name said nothing on stdout within 5 s: $(cat "$name.err")"
    SERVER_PORT=$(sed -n 's/.*listening on .*port \([0-9][0-9]*\).*/\1/p' <<<"$line")
    [ -n "$SERVER_PORT" ] && return 0
  done
  fail "no port in $name's first lines: $line"
}

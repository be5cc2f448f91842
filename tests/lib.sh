# tests/lib.sh: what every integration script shares. Source it first:
#   . "$WIRELAB_SOURCE/tests/lib.sh"
#
# - start_server NAME CMD...   runs a server in the background, waits for the line
#                              "listening on ... port N" and sets SERVER_PID and SERVER_PORT
# - stop_server                SIGTERM to that PID only (never by name), waits, sets SERVER_RC
# - step "text"                records what the test is doing, for the failure transcript
# - fail "what happened"       prints the steps so far, then what went wrong, and exits 1
# - expect_eq WHAT WANT GOT    fails with both values when they differ
# Every server a test starts is stopped on exit by its PID, whatever happens.
set -euo pipefail

: "${WIRELAB_BIN:?WIRELAB_BIN must point at build/bin (CTest sets it)}"
: "${WIRELAB_SOURCE:?WIRELAB_SOURCE must point at the repository (CTest sets it)}"

STEPS=()
PIDS=()

step() {
  STEPS+=("$*")
  printf '  ... %s\n' "$*"
}

fail() {
  {
    printf '\nFAILED: %s\n' "$(basename "$0")"
    printf 'The steps that ran:\n'
    local s
    for s in "${STEPS[@]}"; do printf '  - %s\n' "$s"; done
    printf 'What went wrong:\n  %s\n' "$*"
  } >&2
  exit 1
}

expect_eq() {
  local what=$1 want=$2 got=$3
  [ "$want" = "$got" ] || fail "$what: expected '$want' but got '$got'"
}

cleanup_pids() {
  local p i
  for p in "${PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]}"; do
    # A server that ignores SIGTERM (the bug a test just caught) gets 5 s, then SIGKILL.
    for i in $(seq 1 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}
trap cleanup_pids EXIT

# start_server NAME CMD... : the server must print "... port N" on its first stdout line(s).
start_server() {
  local name=$1; shift
  local log="$PWD/$name.log"
  : >"$log" # empty it here, before the server starts: never read a port from an older run
  "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  SERVER_LOG=$log
  local i
  for i in $(seq 1 100); do
    SERVER_PORT=$(sed -n 's/.*listening on .*port \([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$SERVER_PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "$name exited before listening: $(cat "$log")"
    sleep 0.05
  done
  fail "$name did not say which port it listens on within 5 s: $(cat "$log")"
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  SERVER_RC=0
  wait "$SERVER_PID" || SERVER_RC=$?
}

# Count the open file descriptors of a process (Linux /proc).
fd_count() {
  ls "/proc/$1/fd" | wc -l
}

# labs/lib.sh - what every lab's `run` script shares. A lab script reads like the page:
#
#   . "$(dirname "$0")/../lib.sh"
#   lab_begin 1 "TCP echo and the three-way handshake" "$@"
#   step start "Start the echo server"          # a heading; pauses first in step-by-step mode
#   show tcp_echo_server ...                     # prints "$ command", runs it, records output
#   background server tcp_echo_server ...        # a server, stopped by its PID at the end
#   capture_start lab1 'tcp port 7007'           # sniffer -w into the lab's scratch folder
#   capture_stop                                 # then the sniffer's view of the step
#   picture ladder --svg ladder                  # the capture drawn, for the page (pages.py)
#   check "exactly one SYN before the data" ...  # --check: compare, explain the first difference
#   lab_end
#
# Modes: `--tour` (no pauses, no checks: ./wirelab tour), `run` (step by step: Enter between steps, the sniffer's view after each),
# `run --check` (unattended: every check must hold, exit 1 with an explanation if not), and
# `run --record` (like --check, and also saves each step's output for labs/regen to paste into
# the README, and the captures into the lab folder for machines where namespaces are forbidden).
#
# Isolation: every lab re-runs itself inside a user + network namespace of its own
# (`unshare --user --map-root-user --net`): a private loopback, where an ordinary user may
# capture packets and add firewall rules, and nothing outside is touched. Where the system
# forbids that, the lab says so and shows the captures shipped in its folder instead.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
LABS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LABS_ROOT/.." && pwd)
BIN=${WIRELAB_BIN:-$ROOT/build/bin}
. "$LABS_ROOT/env.sh" # /usr/sbin and /sbin on PATH: nft (lab 3), sysctl (lab 9), haproxy (lab 10)
# The programs, then the helpers the pages show as commands (labs/bin: frames, client, ...).
export PATH="$BIN:$LABS_ROOT/bin:$PATH"
PY=/usr/bin/python3

LAB_MODE=step
LAB_PIDS=()
declare -A LAB_JOBS=() # background NAME -> how a student stops it in bash (kill %tcp_echo_server)
LAB_FAILS=0
CAPTURE_PID=""
CAPTURE_FILE=""

bold=""; dim=""; red=""; green=""; off=""
if [ -t 1 ]; then bold=$'\e[1m'; dim=$'\e[2m'; red=$'\e[31m'; green=$'\e[32m'; off=$'\e[0m'; fi

# ---- set-up and isolation ----------------------------------------------------------------

# Can this user make a network namespace of its own? (Some distributions forbid it.)
lab_can_unshare() {
  unshare --user --map-root-user --net true 2>/dev/null
}

lab_begin() {
  LAB_NUMBER=$1 LAB_TITLE=$2
  shift 2
  local a
  for a in "$@"; do
    case "$a" in
      --check) LAB_MODE=check ;;
      --record) LAB_MODE=record ;;
      --step) LAB_MODE=step ;;
      --tour) LAB_MODE=tour ;;
      *) echo "lab $LAB_NUMBER: unknown option '$a' (use --check or --record)" >&2; exit 2 ;;
    esac
  done
  [ -t 0 ] || [ "$LAB_MODE" != step ] || LAB_MODE=check  # no terminal to press Enter on
  for a in "${LAB_NEEDS[@]:-}"; do
    [ -z "$a" ] || [ -x "$BIN/$a" ] || {
      echo "lab $LAB_NUMBER needs $a, which is not built yet: run ./wirelab build" >&2
      exit 1
    }
  done
  # npm packages, for the labs that run them (LAB_NPM=1): installed before the namespace, which
  # has no network; when that fails, the lab says what it cannot do (every other lab is offline).
  if [ -n "${LAB_NPM:-}" ] && [ -z "${WIRELAB_IN_NS:-}" ] && [ -z "${WIRELAB_FORCE_REPLAY:-}" ]; then
    wirelab_npm_ready "$ROOT" || true
  fi
  if [ -n "${WIRELAB_FORCE_REPLAY:-}" ]; then
    LAB_REPLAY=1 # as if namespaces were forbidden: for tests, and to show it in class
    printf '%sWIRELAB_FORCE_REPLAY is set: the lab replays what was recorded.%s\n' "$bold" "$off"
  elif [ -z "${WIRELAB_IN_NS:-}" ]; then
    if lab_can_unshare; then
      # Run this same script again inside a namespace of its own, with its own loopback.
      WIRELAB_IN_NS=1 exec unshare --user --map-root-user --net --mount \
        bash "$0" "$@" --"$LAB_MODE"
    fi
    LAB_REPLAY=1
    printf '%sThis system does not let ordinary users create network namespaces%s\n' "$bold" "$off"
    printf '(kernel.unprivileged_userns_clone=0 or user.max_user_namespaces=0, or an AppArmor\n'
    printf 'policy: kernel.apparmor_restrict_unprivileged_userns=1). Nothing is run: each step\n'
    printf 'shows what the programs printed when the lab was recorded, and the checks read the\n'
    printf 'captures shipped in %s (open them with sniffer -r).\n' "labs/$(basename "$LAB_DIR")/captures"
  else
    ip link set lo up
    # A private /run, so `ip netns add` (two-host lab) works without touching the host's.
    mount -t tmpfs wirelab-run /run 2>/dev/null || true
  fi
  LAB_WORK=$(mktemp -d "${TMPDIR:-/tmp}/wirelab-lab$LAB_NUMBER.XXXXXX")
  cd "$LAB_WORK"  # a scratch folder: files the steps make have short, stable names
  # --record writes each step's output (and the captures) here; labs/regen pastes them in.
  LAB_RECORD=${LAB_RECORD_DIR:-$LAB_DIR}
  LAB_OUT=$LAB_RECORD/output
  if [ -n "${LAB_REPLAY:-}" ] && [ "$LAB_MODE" = record ]; then
    echo "lab $LAB_NUMBER: --record needs network namespaces (it records real runs)" >&2
    exit 1
  fi
  if [ "$LAB_MODE" = record ]; then rm -rf "$LAB_OUT"; mkdir -p "$LAB_OUT"; fi
  trap lab_cleanup EXIT
  [ "$LAB_MODE" = tour ] || printf '%sLab %s: %s%s\n' "$bold" "$LAB_NUMBER" "$LAB_TITLE" "$off"
  [ "$LAB_MODE" = step ] && printf '%sPress Enter to go on at each step; Ctrl-C to stop.%s\n' "$dim" "$off"
  return 0
}

# stop_pid PID SIGNAL SECONDS : send SIGNAL to PID (a child of this script) and reap it; if it
# has not ended within SECONDS, SIGKILL it and return 1. A lab never waits forever.
stop_pid() {
  local pid=$1 i
  kill "-$2" "$pid" 2>/dev/null || true
  for i in $(seq 1 $(($3 * 20))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 1
  fi
  wait "$pid" 2>/dev/null || true
}

lab_cleanup() {
  local p
  [ -z "$CAPTURE_PID" ] || stop_pid "$CAPTURE_PID" INT 5 || true
  for p in "${LAB_PIDS[@]}"; do stop_pid "$p" TERM 5 || true; done
  rm -rf "$LAB_WORK"
}

lab_end() {
  if [ "$LAB_FAILS" -gt 0 ]; then
    printf '\n%sLab %s: %d check(s) failed.%s\n' "$red" "$LAB_NUMBER" "$LAB_FAILS" "$off"
    exit 1
  fi
  case "$LAB_MODE" in
    check | record) printf '\n%sLab %s: every check passed.%s\n' "$green" "$LAB_NUMBER" "$off" ;;
  esac
  return 0
}

# ---- steps and commands ------------------------------------------------------------------

STEP_NAME=""
step() {
  STEP_NAME=$1
  shift
  if [ "$LAB_MODE" = step ]; then
    printf '\n%s[Enter] next: %s%s ' "$dim" "$*" "$off"
    read -r _ || true
  fi
  printf '\n%s== %s ==%s\n' "$bold" "$*" "$off"
  if [ -n "${LAB_REPLAY:-}" ]; then
    printf '%s(recorded)%s\n' "$dim" "$off"
    $PY "$LABS_ROOT/pages.py" extract "$LAB_DIR" "$STEP_NAME" || true
  fi
}

say() { printf '%s\n' "$*"; }

# Record what a step printed, for labs/regen to paste into the README.
record_output() {
  if [ "$LAB_MODE" = record ]; then
    cat >>"$LAB_OUT/$STEP_NAME.txt"
  else
    cat >/dev/null  # read it all anyway: a writer must never die of SIGPIPE here
  fi
}

# The command line as a student would type it in ./wirelab shell (which starts in the
# repository): a path inside the repository is shown relative to it, and a word with anything
# but safe characters is put in single quotes.
shown() {
  local a out="" q="'"
  for a in "$@"; do
    a=${a#"$ROOT"/}
    if [[ -z "$a" || "$a" == *[![:alnum:]_./:=,@%+-]* ]]; then
      out+=" $q${a//$q/$q\\$q$q}$q"
    else
      out+=" $a"
    fi
  done
  printf '%s' "${out# }"
}

# show CMD... : print the command as a student would type it, run it, show and record output.
show() {
  [ -z "${LAB_REPLAY:-}" ] || return 0 # replay: step() printed the recorded output
  printf '%s$ %s%s\n' "$bold" "$(shown "$@")" "$off"
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [ -z "$out" ] || printf '%s\n' "$out" # a command that prints nothing shows no blank line
  { printf '$ %s\n' "$(shown "$@")"; [ -z "$out" ] || printf '%s\n' "$out"; } | record_output
  return $rc
}

# demo WHAT CMD... : like show, in every mode, but not recorded into the page (for what differs
# from machine to machine, like a browser); if CMD fails, the lab fails with WHAT.
demo() {
  [ -z "${LAB_REPLAY:-}" ] || return 0
  local what=$1
  shift
  printf '%s$ %s%s\n' "$bold" "$(shown "$@")" "$off"
  if "$@" 2>&1; then
    case "$LAB_MODE" in check | record) printf '%scheck%s %s\n' "$green" "$off" "$what" ;; esac
  else
    lab_fail "$what"
  fi
}

# background NAME CMD... : start a server; waits for "listening on" (or 5 s) and shows it.
# A server that prints no such line (redis-server) is waited for with LAB_READY=CMD instead
# (LAB_READY='redis-cli ping' background ...): CMD is run until it succeeds, nothing more shown.
background() {
  [ -z "${LAB_REPLAY:-}" ] || return 0
  local name=$1
  shift
  printf '%s$ %s &%s\n' "$bold" "$(shown "$@")" "$off"
  # Emptied here, before the fork: the child's own > happens a moment later, and until then
  # the wait below would find the "listening on" line of an earlier run of the same name.
  : >"$LAB_WORK/$name.log"
  "$@" >"$LAB_WORK/$name.log" 2>&1 &
  LAB_PIDS+=("$!")
  LAB_JOBS[$name]=$(jobspec "$@")
  local i
  for i in $(seq 1 100); do
    if [ -n "${LAB_READY:-}" ]; then
      $LAB_READY >/dev/null 2>&1 && break
    else
      grep -q 'listening on' "$LAB_WORK/$name.log" && break
    fi
    kill -0 "${LAB_PIDS[-1]}" 2>/dev/null || { cat "$LAB_WORK/$name.log"; lab_fail "$name exited at once"; return 1; }
    sleep 0.05
  done
  if [ -n "${LAB_READY:-}" ]; then
    $LAB_READY >/dev/null 2>&1 ||
      { cat "$LAB_WORK/$name.log"; lab_fail "$name did not answer '$LAB_READY' within 5 s"; return 1; }
    printf '$ %s &\n' "$(shown "$@")" | record_output
    return 0
  fi
  grep -m 1 'listening on' "$LAB_WORK/$name.log"
  { printf '$ %s &\n' "$(shown "$@")"; grep -m 1 'listening on' "$LAB_WORK/$name.log"; } | record_output
}

# jobspec CMD... : how a student names this background job in bash to stop it: %PROGRAM
# (the job whose command starts with it), or %?PROGRAM for `ip netns exec NS PROGRAM ...`.
jobspec() {
  if [ "$1" = ip ] && [ "${2:-}" = netns ]; then printf '%%?%s' "$5"; else printf '%%%s' "$1"; fi
}

# stop_background NAME [SECONDS] [quiet] : give the server started last SECONDS to end by
# itself (default 0), then SIGTERM to its PID, shown as the student would type it
# (`kill %tcp_echo_server`); show what it printed after its first line (unless quiet).
stop_background() {
  [ -z "${LAB_REPLAY:-}" ] || return 0
  local name=$1 pid=${LAB_PIDS[-1]} i
  for i in $(seq 1 $((${2:-0} * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  unset 'LAB_PIDS[-1]'
  if kill -0 "$pid" 2>/dev/null; then
    if [ "${3:-}" != quiet ]; then
      printf '%s$ kill %s%s\n' "$bold" "${LAB_JOBS[$name]}" "$off"
      printf '$ kill %s\n' "${LAB_JOBS[$name]}" | record_output
    fi
    stop_pid "$pid" TERM 10 || lab_fail "$name did not end within 10 s of SIGTERM, so it was killed"
  fi
  wait "$pid" 2>/dev/null || true
  [ "${3:-}" = quiet ] && return 0
  sed -n '2,$p' "$LAB_WORK/$name.log"
  sed -n '2,$p' "$LAB_WORK/$name.log" | record_output
}

# ---- capture -----------------------------------------------------------------------------

# capture_start NAME FILTER [IFACE [NETNS]] : sniffer writes the packets on IFACE (default lo;
# inside network namespace NETNS if given) to NAME.pcap; the command is shown as typed.
capture_start() {
  CAPTURE_FILE=$LAB_WORK/$1.pcap
  CAPTURE_NAME=$1
  if [ -n "${LAB_REPLAY:-}" ]; then # the capture recorded from the real programs
    CAPTURE_FILE=$LAB_DIR/captures/$1.pcap
    return 0
  fi
  local cmd=(sniffer -i "${3:-lo}" -f "$2" -w "$1.pcap")
  [ -z "${4:-}" ] || cmd=(ip netns exec "$4" "${cmd[@]}")
  CAPTURE_JOB=$(jobspec "${cmd[@]}")
  # stdout (the packets as they pass) is not the lesson here: the view after the step is.
  printf '%s$ %s >/dev/null &%s\n' "$bold" "$(shown "${cmd[@]}")" "$off"
  printf '$ %s >/dev/null &\n' "$(shown "${cmd[@]}")" | record_output
  : >"$LAB_WORK/sniffer.err" # before the fork: an earlier capture's line must not count
  "${cmd[@]}" >/dev/null 2>"$LAB_WORK/sniffer.err" &
  CAPTURE_PID=$!
  if sniffer_ready "$CAPTURE_PID" "$LAB_WORK/sniffer.err"; then
    grep -m 1 'listening on' "$LAB_WORK/sniffer.err"
    grep -m 1 'listening on' "$LAB_WORK/sniffer.err" | record_output
    return 0
  fi
  cat "$LAB_WORK/sniffer.err" >&2
  lab_fail "the sniffer could not start capturing on ${3:-lo}"
}

# sniffer_ready PID ERRFILE : wait (5 s at most) until the sniffer PID, whose stderr goes to
# ERRFILE (emptied before it was started), says "listening on": from then on it sees every
# packet. Returns 1 if it ended or never said so. Traffic made before that line is not captured.
sniffer_ready() {
  local i
  for i in $(seq 1 100); do
    grep -q 'listening on' "$2" && return 0
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  grep -q 'listening on' "$2"
}

# capture_stop : end the capture (SIGINT, as Ctrl-C would; shown as kill -INT %sniffer), keep
# the pcap.
capture_stop() {
  [ -z "${LAB_REPLAY:-}" ] || return 0
  sleep 0.3  # let the last packets (the final ACK) reach the capture
  printf '%s$ kill -INT %s%s\n' "$bold" "$CAPTURE_JOB" "$off"
  printf '$ kill -INT %s\n' "$CAPTURE_JOB" | record_output
  stop_pid "$CAPTURE_PID" INT 10 ||
    lab_fail "the sniffer did not end within 10 s of SIGINT, so it was killed: $CAPTURE_NAME.pcap may be incomplete"
  CAPTURE_PID=""
  if [ "$LAB_MODE" = record ]; then
    mkdir -p "$LAB_RECORD/captures"
    cp "$CAPTURE_FILE" "$LAB_RECORD/captures/$CAPTURE_NAME.pcap"
  fi
}

# view ARGS... : the sniffer's view of the last capture (e.g. view --ladder).
view() {
  [ -z "${LAB_REPLAY:-}" ] || return 0
  local cmd out
  cmd="sniffer -r $CAPTURE_NAME.pcap $(shown "$@")"
  printf '%s$ %s%s\n' "$bold" "${cmd% }" "$off"
  out=$(sniffer -r "$CAPTURE_FILE" "$@" 2>/dev/null)
  printf '%s\n' "$out"
  { printf '$ %s\n' "${cmd% }"; printf '%s\n' "$out"; } | record_output
}

# picture NAME ARGS... : a picture of the last capture (sniffer -r CAPTURE --svg KIND ARGS...),
# saved as NAME.svg. --record keeps it for labs/regen, which puts it beside the page
# (labs/NN-*/pictures/NAME.svg, shown where the page has a <!-- picture: NAME --> block);
# step by step, it is also left in build/pictures/labN/ for you to open in a browser.
picture() {
  local name=$1 cmd out
  shift
  if [ -n "${LAB_REPLAY:-}" ]; then
    printf '(picture: labs/%s/pictures/%s.svg, as recorded)\n' "$(basename "$LAB_DIR")" "$name"
    return 0
  fi
  cmd="sniffer -r $CAPTURE_NAME.pcap $(shown "$@") > $name.svg"
  printf '%s$ %s%s\n' "$bold" "$cmd" "$off"
  printf '$ %s\n' "$cmd" | record_output
  if ! sniffer -r "$CAPTURE_FILE" "$@" >"$LAB_WORK/$name.svg" 2>"$LAB_WORK/picture.err"; then
    cat "$LAB_WORK/picture.err"
    lab_fail "sniffer could not draw $name.svg"
    return 0
  fi
  case "$LAB_MODE" in
    record) mkdir -p "$LAB_OUT/pictures" && cp "$LAB_WORK/$name.svg" "$LAB_OUT/pictures/" ;;
    step | tour)
      out=$ROOT/build/pictures/lab$LAB_NUMBER
      if mkdir -p "$out" 2>/dev/null && cp "$LAB_WORK/$name.svg" "$out/"; then
        printf '%s(saved as %s: open it in a browser)%s\n' "$dim" "${out#"$ROOT"/}/$name.svg" "$off"
      fi ;;
  esac
}

# ---- checks ------------------------------------------------------------------------------

lab_fail() {
  LAB_FAILS=$((LAB_FAILS + 1))
  printf '%sFAILED%s %s\n' "$red" "$off" "$*"
}

# check WHAT CMD... : CMD must succeed; its output explains a failure (golden.py does that).
check() {
  local what=$1
  shift
  case "$LAB_MODE" in step | tour) return 0 ;; esac
  if [ -n "${LAB_REPLAY:-}" ] && [ "$1" != golden ]; then
    printf '%sskip%s  %s (needs the programs to run)\n' "$dim" "$off" "$what"
    return 0
  fi
  local out
  if out=$("$@" 2>&1); then
    printf '%scheck%s %s\n' "$green" "$off" "$what"
  else
    lab_fail "$what"
    printf '%s\n' "$out" | sed 's/^/    /'
  fi
}

# golden ARGS... : labs/golden.py over the last capture (see its --help).
golden() {
  $PY "$LABS_ROOT/golden.py" "$CAPTURE_FILE" "$@"
}

#!/usr/bin/env bash
# Clear errors: unknown host, port already in use, bad arguments (usage and exit 2).
. "$WIRELAB_SOURCE/tests/lib.sh"

# run_expect RC PATTERN CMD... : CMD must exit with RC and print PATTERN on stderr.
run_expect() {
  local want_rc=$1 pattern=$2; shift 2
  step "$(basename "$1") ${*:2}"
  local rc=0
  "$@" >out.log 2>err.log || rc=$?
  expect_eq "exit status of $(basename "$1") ${*:2}" "$want_rc" "$rc"
  grep -q -- "$pattern" err.log || fail "expected '$pattern' on stderr, got: $(cat err.log)"
}

S="$WIRELAB_BIN/udp_sender"
R="$WIRELAB_BIN/udp_receiver"
run_expect 1 "cannot .* host 'no-such-host.invalid'" "$S" --host no-such-host.invalid --port 9
run_expect 2 'usage: udp_sender' "$S" --port 9
run_expect 2 '--count must be a whole number' "$S" --host 127.0.0.1 --port 9 --count abc
run_expect 2 "--port must be a whole number from 1 to 65535, not '70000'" "$S" --host 127.0.0.1 --port 70000
run_expect 2 'cannot --batch' "$S" --host 127.0.0.1 --port 9 --echo --batch
run_expect 2 'use --reorder-every and' "$S" --host 127.0.0.1 --port 9 --echo --reorder-every 3
run_expect 2 'usage: udp_receiver' "$R" --no-such-option
run_expect 2 '--expect must be a whole number' "$R" --expect -5

step "start udp_receiver on a free port, then a second one on the same port"
start_server first "$R" --port 0
run_expect 1 "UDP port $SERVER_PORT .* is already in use" "$R" --port "$SERVER_PORT"
run_expect 1 'is not an address of this machine' "$R" --port 0 --bind 192.0.2.1
echo "ok: each error says what happened and what to do"

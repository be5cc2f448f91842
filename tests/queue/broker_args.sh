#!/usr/bin/env bash
# broker_args.sh - queue_broker's command line (args/ table): every mistake is exit status 2
# and one sentence naming the flag, what it wants and what it got; --help is exit status 0.
. "$WIRELAB_SOURCE/tests/lib.sh"
qb=$WIRELAB_BIN/queue_broker
bad() { # bad WANT ARGS...: must exit 2 and print WANT (a fixed string) on stderr
  local want=$1 rc=0 out
  shift
  step "queue_broker $*"
  out=$("$qb" "$@" 2>&1 >/dev/null) || rc=$?
  expect_eq "exit status of queue_broker $*" 2 "$rc"
  grep -qF -- "$want" <<<"$out" || fail "queue_broker $* should say '$want', said: $out"
}
bad "--capacity must be a whole number from 1 to 1048576, not '0'" --capacity 0
bad "--prefetch must be a whole number from 1 to 1048576, not 'lots'" --prefetch lots
bad "--ack-timeout must be a whole number from 1 to 43200, not '0'" --ack-timeout 0
bad "--max-deliveries must be a whole number from 0 to 1000, not '1001'" --max-deliveries 1001
bad "--max-clients must be a whole number from 1 to 100000, not '0'" --max-clients 0
bad "--overflow must be one of reject|overwrite, not 'loud'" --overflow loud
bad "--keepalive is IDLE:INTERVAL:COUNT (seconds, seconds, probes), e.g. 10:2:3, not '1:2'" --keepalive 1:2
bad "--keepalive INTERVAL must be a whole number from 1 to 3600, not '0'" --keepalive 1:0:2
bad "--queue's capacity (after '=') must be a whole number from 1 to 1048576, not 'abc'" --queue jobs=abc
bad "--fsync must be one of always|everysec|no, not 'sometimes'" --fsync sometimes
bad "--compact-min must be a whole number from 4096 to 1099511627776, not '100'" --compact-min 100
bad "unknown option '--bogus'" --bogus
step "queue_broker --help"
"$qb" --help | grep -q -- '--max-deliveries N' || fail "--help should list --max-deliveries"
"$qb" --help | grep -q -- '--data DIR' || fail "--help should list --data"
echo "ok: every mistake named, exit 2; --help exit 0"

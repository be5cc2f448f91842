#!/usr/bin/env bash
# Deterministic loss: udp_sender --count 1000 --drop-every 10 never sends sequence numbers
# 9, 19, ..., 999, and udp_receiver must report exactly 100 lost - including 999, the last one,
# which only the announced total in the header can reveal. Run twice: the plain loop, and the
# --batch path (sendmmsg/recvmmsg) on both sides.
. "$WIRELAB_SOURCE/tests/lib.sh"

run_case() {
  local label=$1; shift
  local rx_flags=$1; shift
  step "[$label] start udp_receiver $rx_flags with a 4 MiB receive buffer"
  # shellcheck disable=SC2086
  start_server "receiver-$label" "$WIRELAB_BIN/udp_receiver" --port 0 --quiet --expect 900 \
    --idle-timeout 5 --rcvbuf 4194304 $rx_flags
  step "[$label] udp_sender --count 1000 --drop-every 10 --rate 5000 $*"
  "$WIRELAB_BIN/udp_sender" --host 127.0.0.1 --port "$SERVER_PORT" --count 1000 \
    --drop-every 10 --rate 5000 "$@" >"sender-$label.log" 2>&1 \
    || fail "udp_sender failed: $(cat "sender-$label.log")"
  grep -q 'sent 900 datagrams.*skipped 100 on purpose' "sender-$label.log" \
    || fail "udp_sender should say it sent 900 and skipped 100: $(cat "sender-$label.log")"
  wait "$SERVER_PID" || fail "udp_receiver exited with status $?: $(cat "$SERVER_LOG")"
  local drops
  drops=$(sed -n 's/.*kernel dropped \([0-9]*\) .*/\1/p' "$SERVER_LOG")
  [ "$drops" = 0 ] || fail "the kernel dropped $drops datagrams (receive buffer full), so this \
run cannot tell our loss from the kernel's; the machine is overloaded: $(cat "$SERVER_LOG")"
  grep -q 'received 900, lost 100, duplicated 0, reordered 0' "$SERVER_LOG" \
    || fail "expected 'received 900, lost 100, duplicated 0, reordered 0' in: $(cat "$SERVER_LOG")"
  echo "ok [$label]: $(grep '^sender ' "$SERVER_LOG")"
}

run_case plain ""
run_case batch "--batch" --batch

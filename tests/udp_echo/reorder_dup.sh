#!/usr/bin/env bash
# Reordering and duplication, made deterministic: udp_sender --count 100 --reorder-every 10
# --duplicate-every 25 sends 9 after 10, 19 after 20, ... (89 after 90; 99 is last, with nothing
# to swap with) and 24, 49, 74, 99 twice. The receiver's books must show exactly that:
# received 104, lost 0, duplicated 4, reordered 9. Plain loop and --batch.
. "$WIRELAB_SOURCE/tests/lib.sh"

for mode in plain batch; do
  flags=()
  [ "$mode" = batch ] && flags=(--batch)
  step "[$mode] udp_receiver ${flags[*]}; udp_sender --count 100 --reorder-every 10 --duplicate-every 25"
  start_server "receiver-$mode" "$WIRELAB_BIN/udp_receiver" --port 0 --expect 104 \
    --idle-timeout 5 --rcvbuf 4194304 "${flags[@]}"
  "$WIRELAB_BIN/udp_sender" --host 127.0.0.1 --port "$SERVER_PORT" --count 100 --rate 5000 \
    --reorder-every 10 --duplicate-every 25 "${flags[@]}" >"sender-$mode.log" 2>&1 \
    || fail "udp_sender failed: $(cat "sender-$mode.log")"
  wait "$SERVER_PID" || fail "udp_receiver exited with status $?: $(cat "$SERVER_LOG")"
  grep -q 'received 104, lost 0, duplicated 4, reordered 9$' "$SERVER_LOG" \
    || fail "expected 'received 104, lost 0, duplicated 4, reordered 9' in: $(cat "$SERVER_LOG")"
  grep -q 'seq 9  (late: reordered, fills a gap)' "$SERVER_LOG" \
    || fail "seq 9 should arrive late, after 10: $(cat "$SERVER_LOG")"
  expect_eq "lines saying seq 49 was a duplicate" 1 "$(grep -c 'seq 49  (duplicate)' "$SERVER_LOG")"
done
echo "ok: reordering and duplicates are counted exactly"

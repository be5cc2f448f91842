#!/usr/bin/env bash
# A datagram bigger than the receiver's buffer is cut by the kernel; recvmsg() flags it
# (MSG_TRUNC) and udp_receiver must say so instead of silently handing on 100 bytes.
. "$WIRELAB_SOURCE/tests/lib.sh"

for mode in plain batch; do
  flags=()
  [ "$mode" = batch ] && flags=(--batch)
  step "[$mode] udp_receiver --buffer 100 ${flags[*]}, then a 1000-byte datagram"
  start_server "receiver-$mode" "$WIRELAB_BIN/udp_receiver" --port 0 --buffer 100 --expect 1 \
    --idle-timeout 10 "${flags[@]}"
  "$WIRELAB_BIN/udp_sender" --host 127.0.0.1 --port "$SERVER_PORT" --size 1000 --count 1 \
    >sender.log 2>&1 || fail "udp_sender failed: $(cat sender.log)"
  wait "$SERVER_PID" || fail "udp_receiver exited with status $?: $(cat "$SERVER_LOG")"
  grep -q '1000-byte datagram did not fit in the 100-byte buffer' "$SERVER_LOG" \
    || fail "the cut datagram was not reported: $(cat "$SERVER_LOG")"
  grep -q 'truncated (bigger than --buffer, MSG_TRUNC): 1' "$SERVER_LOG" \
    || fail "the summary does not count the truncated datagram: $(cat "$SERVER_LOG")"
  # The header survived in the first 100 bytes, so the datagram is still numbered and counted.
  grep -q 'received 1, lost 0' "$SERVER_LOG" || fail "seq 0 not counted: $(cat "$SERVER_LOG")"
done
echo "ok: MSG_TRUNC is detected and reported"

#!/usr/bin/env bash
# Real loss without privilege: a receiver with a tiny receive buffer (SO_RCVBUF) and a sender
# with no rate limit. The kernel drops what does not fit - silently, no retransmission - and
# counts it (SO_RXQ_OVFL / SO_MEMINFO). The sequence gaps the receiver sees must be exactly
# the datagrams the kernel says it dropped: the books and the kernel agree.
. "$WIRELAB_SOURCE/tests/lib.sh"

step "start udp_receiver --rcvbuf 2048 (the kernel rounds it up to its minimum, a few datagrams)"
start_server receiver "$WIRELAB_BIN/udp_receiver" --port 0 --rcvbuf 2048 --quiet --idle-timeout 2
step "udp_sender --count 20000 --batch (as fast as sendmmsg goes)"
"$WIRELAB_BIN/udp_sender" --host 127.0.0.1 --port "$SERVER_PORT" --count 20000 --batch \
  >sender.log 2>&1 || fail "udp_sender failed: $(cat sender.log)"
wait "$SERVER_PID" || fail "udp_receiver exited with status $?: $(cat "$SERVER_LOG")"
drops=$(sed -n 's/.*kernel dropped \([0-9]*\) .*/\1/p' "$SERVER_LOG")
lost=$(sed -n 's/^sender .*lost \([0-9]*\),.*/\1/p' "$SERVER_LOG")
received=$(sed -n 's/^sender .*received \([0-9]*\),.*/\1/p' "$SERVER_LOG")
if [ -z "$drops" ] || [ -z "$lost" ]; then fail "no summary: $(cat "$SERVER_LOG")"; fi
[ "$lost" -gt 0 ] || fail "nothing was lost, so the buffer never filled: $(cat "$SERVER_LOG")"
expect_eq "datagrams lost (sequence gaps) against datagrams the kernel dropped" "$drops" "$lost"
expect_eq "received + lost" 20000 $((received + lost))
echo "ok: the kernel dropped $drops of 20000 and the receiver's books show exactly those gaps"

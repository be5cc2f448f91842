#!/usr/bin/env bash
# UDP keeps message boundaries: each sendto() arrives as one recvfrom() of exactly that size.
# Sends one datagram each of 1, 1,000, 1,472 (the most that fits one Ethernet frame over IPv4),
# 8,192 and 65,507 bytes (the IPv4 maximum) to 127.0.0.1, and 65,527 (the IPv6 maximum) to ::1,
# and checks the receiver saw each with its exact size, in that order.
. "$WIRELAB_SOURCE/tests/lib.sh"

v4_sizes=(1 1000 1472 8192 65507)
step "start udp_receiver on a free port, expecting ${#v4_sizes[@]} + 1 datagrams"
start_server receiver "$WIRELAB_BIN/udp_receiver" --port 0 --expect $((${#v4_sizes[@]} + 1)) \
  --idle-timeout 10
for size in "${v4_sizes[@]}"; do
  step "udp_sender --host 127.0.0.1 --size $size --count 1"
  "$WIRELAB_BIN/udp_sender" --host 127.0.0.1 --port "$SERVER_PORT" --size "$size" --count 1 \
    >sender.log 2>&1 || fail "udp_sender --size $size exited with an error: $(cat sender.log)"
done
step "udp_sender --host ::1 --size 65527 --count 1 (the IPv6 maximum)"
"$WIRELAB_BIN/udp_sender" --host ::1 --port "$SERVER_PORT" --size 65527 --count 1 \
  >sender.log 2>&1 || fail "udp_sender --size 65527 to ::1 exited with an error: $(cat sender.log)"

step "wait for udp_receiver to finish (it stops after the expected count)"
wait "$SERVER_PID" || fail "udp_receiver exited with status $?: $(cat "$SERVER_LOG")"

got=$(sed -n 's/^from [^ ]*  \([0-9]*\) bytes  .*/\1/p' "$SERVER_LOG" | tr '\n' ' ')
expect_eq "sizes received, in order (each must arrive whole, as one datagram)" \
  "${v4_sizes[*]} 65527 " "$got"
grep -q 'did not fit' "$SERVER_LOG" && fail "a datagram was cut: $(cat "$SERVER_LOG")"
echo "ok: every datagram arrived whole, with its exact size"

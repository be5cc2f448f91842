#!/usr/bin/env bash
# --echo round trip on IPv4 and IPv6 loopback: every datagram comes back, the sender reports
# round-trip times. And the negative case: without a receiver that echoes, the sender must say
# they never came back and exit 1 (UDP itself would never tell it).
. "$WIRELAB_SOURCE/tests/lib.sh"

step "start udp_receiver --echo on a free port (one dual-stack socket: IPv4 and IPv6)"
start_server receiver "$WIRELAB_BIN/udp_receiver" --port 0 --echo --idle-timeout 30
for host in 127.0.0.1 ::1; do
  step "udp_sender --host $host --echo --count 20 --size 100"
  "$WIRELAB_BIN/udp_sender" --host "$host" --port "$SERVER_PORT" --echo --count 20 --size 100 \
    >"echo-$host.log" 2>&1 || fail "udp_sender --echo to $host failed: $(cat "echo-$host.log")"
  grep -q 'echo: 20 came back, 0 never came back' "echo-$host.log" \
    || fail "expected all 20 echoes from $host: $(cat "echo-$host.log")"
  grep -q '^rtt min/avg/max/mdev = ' "echo-$host.log" \
    || fail "no round-trip times reported: $(cat "echo-$host.log")"
  expect_eq "per-echo lines from $host" 20 "$(grep -c "bytes back from .* seq" "echo-$host.log")"
done
stop_server
grep -q '^sender \[::1\]:.*received 20, lost 0' "$SERVER_LOG" \
  || fail "the receiver should list the IPv6 sender: $(cat "$SERVER_LOG")"
grep -q '^sender 127.0.0.1:.*received 20, lost 0' "$SERVER_LOG" \
  || fail "the receiver should list the IPv4 sender: $(cat "$SERVER_LOG")"

step "start udp_receiver WITHOUT --echo, then udp_sender --echo --count 3 --timeout 200"
start_server silent "$WIRELAB_BIN/udp_receiver" --port 0
rc=0
"$WIRELAB_BIN/udp_sender" --host 127.0.0.1 --port "$SERVER_PORT" --echo --count 3 \
  --timeout 200 >noecho.log 2>&1 || rc=$?
expect_eq "exit status when no echo comes back" 1 "$rc"
grep -q 'echo: 0 came back, 3 never came back' noecho.log \
  || fail "expected '0 came back, 3 never came back': $(cat noecho.log)"
echo "ok: echoes on IPv4 and IPv6, and missing echoes are reported"

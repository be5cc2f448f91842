#!/usr/bin/env bash
# The size limit is a lesson, so exceeding it must give a clear error naming the limits
# (65,507 over IPv4, 65,527 over IPv6), exit 2, and send nothing - never a bare EMSGSIZE.
. "$WIRELAB_SOURCE/tests/lib.sh"

# expect_size_error ARGS... : udp_sender must refuse with exit 2 and name both limits.
expect_size_error() {
  step "udp_sender $*"
  local rc=0
  "$WIRELAB_BIN/udp_sender" "$@" >out.log 2>err.log || rc=$?
  expect_eq "exit status of udp_sender $*" 2 "$rc"
  grep -q 'too big for one UDP datagram' err.log || fail "no clear size error: $(cat err.log)"
  grep -q '65507' err.log || fail "the error does not name the IPv4 limit 65507: $(cat err.log)"
  grep -q '65527' err.log || fail "the error does not name the IPv6 limit 65527: $(cat err.log)"
  grep -qi 'EMSGSIZE\|message too long' err.log && fail "a raw errno leaked: $(cat err.log)"
  [ -s out.log ] && fail "nothing should be sent, yet udp_sender printed: $(cat out.log)"
  return 0
}

step "start udp_receiver (nothing should arrive)"
start_server receiver "$WIRELAB_BIN/udp_receiver" --port 0
expect_size_error --host 127.0.0.1 --port "$SERVER_PORT" --size 65508
expect_size_error --host ::1 --port "$SERVER_PORT" --size 65528
expect_size_error --host 127.0.0.1 --port "$SERVER_PORT" --size 1000000
step "the largest IPv4 datagram, 65507 bytes, is accepted"
"$WIRELAB_BIN/udp_sender" --host 127.0.0.1 --port "$SERVER_PORT" --size 65507 --count 1 \
  >ok.log 2>&1 || fail "--size 65507 to 127.0.0.1 must work: $(cat ok.log)"
sleep 0.2
stop_server
expect_eq "datagrams the receiver saw" 1 "$(grep -c '^from ' "$SERVER_LOG")"
echo "ok: sizes past the limit are refused with a clear error, the limit itself works"

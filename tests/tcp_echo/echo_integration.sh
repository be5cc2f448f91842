# echo_integration.sh - tcp_echo_server against independent Python clients and tcp_echo_client.
# Each step names what it checks; a failure prints the steps that ran and what went wrong.
. "$WIRELAB_SOURCE/tests/lib.sh"
PY="/usr/bin/python3 $WIRELAB_SOURCE/tests/tcp_echo/clients.py"

step "start tcp_echo_server on a free port"
start_server server "$WIRELAB_BIN/tcp_echo_server" --port 0
fds_at_start=$(fd_count "$SERVER_PID")

for scenario in one_byte random_mib ipv6 "concurrent 100" nonreader reset; do
  step "python client: $scenario"
  # shellcheck disable=SC2086
  out=$($PY ${scenario%% *} "$SERVER_PORT" ${scenario#* } 2>&1) || fail "$scenario: $out"
  printf '      %s\n' "$out"
done

step "tcp_echo_client --message (3 times) checks its echo and exits 0"
out=$("$WIRELAB_BIN/tcp_echo_client" --port "$SERVER_PORT" --message "hello, wire" --count 3) \
  || fail "tcp_echo_client failed: $out"
expect_eq "echo lines from tcp_echo_client" 3 "$(grep -c 'echo matches' <<<"$out")"

step "tcp_echo_client --size 1048576 over IPv6"
"$WIRELAB_BIN/tcp_echo_client" --host ::1 --port "$SERVER_PORT" --size 1048576 >/dev/null \
  || fail "a 1 MiB echo over ::1 failed"

step "1,000 connect/close cycles, then the server's descriptors are back where they started"
out=$($PY cycles "$SERVER_PORT" 1000 2>&1) || fail "cycles: $out"
for _ in $(seq 1 50); do  # closes are noticed on the server's next loop round: allow 5 s
  [ "$(fd_count "$SERVER_PID")" -eq "$fds_at_start" ] && break
  sleep 0.1
done
expect_eq "open descriptors of the server after 1,000 cycles" "$fds_at_start" "$(fd_count "$SERVER_PID")"

step "the log has one connect and one close line per connection, with the peer address"
grep -q '^connect 127.0.0.1:[0-9]* (client #1)' "$SERVER_LOG" || fail "no connect line in the log"
grep -q 'reset by peer (RST)' "$SERVER_LOG" || fail "the resets were not logged as RST"

step "SIGTERM stops the server with exit 0 and a summary"
stop_server
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
grep -q '^tcp_echo_server: stopped; served [0-9]* connections' "$SERVER_LOG" \
  || fail "no summary line after SIGTERM: $(tail -n 3 "$SERVER_LOG")"
echo "all tcp_echo integration checks passed"

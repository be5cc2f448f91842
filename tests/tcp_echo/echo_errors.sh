# echo_errors.sh - each way of getting it wrong earns a sentence that says what to do.
. "$WIRELAB_SOURCE/tests/lib.sh"

# run_expect WANT_RC PATTERN CMD... : CMD must exit WANT_RC and print PATTERN (on either stream).
run_expect() {
  local want=$1 pattern=$2; shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  expect_eq "exit status of '$*'" "$want" "$rc"
  grep -q -- "$pattern" <<<"$out" || fail "'$*' should say '$pattern' but said: $out"
}

step "connecting where nothing listens names the fix"
start_server probe "$WIRELAB_BIN/tcp_echo_server" --port 0
free_port=$SERVER_PORT
stop_server  # the port is free again: nothing listens there now
run_expect 1 "nothing is listening on 127.0.0.1:$free_port.*start tcp_echo_server first" \
  "$WIRELAB_BIN/tcp_echo_client" --port "$free_port" --message hi

step "an unknown host is named"
run_expect 1 "unknown host 'no-such-host.invalid'" \
  "$WIRELAB_BIN/tcp_echo_client" --host no-such-host.invalid --message hi

step "a port in use is named, with --port suggested"
start_server server "$WIRELAB_BIN/tcp_echo_server" --port 0
run_expect 1 "port $SERVER_PORT is already in use.*--port" \
  "$WIRELAB_BIN/tcp_echo_server" --port "$SERVER_PORT"

step "a port below 1024 without privilege says why (skipped when we are root)"
if [ "$(id -u)" -ne 0 ]; then
  run_expect 1 "below 1024 and needs privilege" "$WIRELAB_BIN/tcp_echo_server" --port 80
elif command -v setpriv >/dev/null; then
  run_expect 1 "below 1024 and needs privilege" \
    setpriv --reuid=65534 --regid=65534 --clear-groups "$WIRELAB_BIN/tcp_echo_server" --port 80
fi

step "bad arguments print the usage and exit 2"
run_expect 2 "usage: tcp_echo_server" "$WIRELAB_BIN/tcp_echo_server" --port 70000
run_expect 2 "unknown option '--colour'" "$WIRELAB_BIN/tcp_echo_client" --colour
run_expect 2 "not both" "$WIRELAB_BIN/tcp_echo_client" --message a --size 2
run_expect 0 "usage: tcp_echo_client" "$WIRELAB_BIN/tcp_echo_client" --help

step "--max-clients: the connection beyond the limit is closed at once"
stop_server
start_server limited "$WIRELAB_BIN/tcp_echo_server" --port 0 --max-clients 1
exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT"  # holds the one allowed connection open
run_expect 1 "the connection.* after echoing 0 of 2 bytes" \
  "$WIRELAB_BIN/tcp_echo_client" --port "$SERVER_PORT" --message hi
exec 3>&-
echo "all tcp_echo error checks passed"

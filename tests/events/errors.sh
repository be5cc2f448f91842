#!/usr/bin/env bash
# errors.sh - events_server's command line: bad arguments -> usage and exit 2; a port in use
# -> a sentence that says what to do and exit 1; SIGTERM -> a clean stop with status 0.
. "$WIRELAB_SOURCE/tests/lib.sh"
S="$WIRELAB_BIN/events_server"
# Each mistake and the sentence args_parse (args/args.h) says for it, as in every program.
while IFS='|' read -r args sentence; do
  step "events_server $args"
  rc=0; out=$("$S" $args 2>&1) || rc=$?
  expect_eq "exit status of events_server $args" 2 "$rc"
  expect_eq "first line for '$args'" "events_server: $sentence" "$(head -n 1 <<<"$out")"
  grep -q "^usage: events_server" <<<"$out" || fail "no usage for '$args': $out"
done <<'CASES'
--bogus|unknown option '--bogus'
--port|--port needs a value
--port 70000|--port must be a whole number from 0 to 65535, not '70000'
--demo nope|--demo must be one of chat|protocol-suite, not 'nope'
--recovery-window 0|--recovery-window must be a whole number from 1 to 86400000, not '0'
--ping-interval abc|--ping-interval must be a whole number from 10 to 86400000, not 'abc'
--verbose=yes|--verbose takes no value
--bind=|--bind needs an address (127.0.0.1, ::1, or :: for every one)
3000|unexpected argument '3000' (every option starts with --)
CASES
step "events_server --help"
"$S" --help | grep -q -- "--demo protocol-suite" || fail "--help does not describe --demo"
step "start one server, then a second on the same port"
start_server first "$S" --port 0
rc=0; out=$("$S" --port "$SERVER_PORT" 2>&1) || rc=$?
expect_eq "exit status when the port is in use" 1 "$rc"
grep -q "already in use" <<<"$out" || fail "no 'already in use' sentence: $out"
step "a polling request with 'Connection: close' is answered, then the server closes (HTTP/1.1)"
out=$(/usr/bin/python3 - "$SERVER_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    print("TIMEOUT: the server kept the connection open")
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode(), "close" if b"Connection: close" in head else "no-close", body[:2].decode())
PY
)
expect_eq "answer to a Connection: close handshake" "HTTP/1.1 200 OK close 0{" "$out"
step "stop the first with SIGTERM"
stop_server
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
grep -q "events_server: stopped" "$SERVER_LOG" || fail "no 'stopped' line: $(cat "$SERVER_LOG")"

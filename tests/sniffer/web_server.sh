#!/usr/bin/env bash
# web_server.sh - sniffer --web's server from a WebSocket client of our own (web_server.py):
# details on demand equal --json, the display filter, the bounded store, the non-reading
# browser cut off at --max-queue. Reads files only: no privileges needed.
. "$WIRELAB_SOURCE/tests/lib.sh"
step "python3 web_server.py: every test pcap through the live view, then the limits"
cd "$PWD"
PYTHONPATH="$WIRELAB_SOURCE/tests/sniffer" /usr/bin/python3 \
  "$WIRELAB_SOURCE/tests/sniffer/web_server.py" "$WIRELAB_BIN" "$WIRELAB_SOURCE" \
  || fail "web_server.py failed (above); the sniffer's log: $(tail -20 server.log 2>/dev/null)"

step "the command line: each mistake is exit status 2 and one sentence"
check_usage() {
  local want=$1; shift
  local rc=0
  "$WIRELAB_BIN/sniffer" "$@" >out.txt 2>err.txt || rc=$?
  expect_eq "exit status of sniffer $*" 2 "$rc"
  grep -q -- "$want" err.txt || fail "sniffer $*: expected '$want' on stderr, got: $(cat err.txt)"
}
check_usage "--web must be a whole number from 0 to 65535, not '99999'" --web 99999
check_usage "--max-queue must be a whole number from 65536" --web --max-queue 5
check_usage "--max-store must be a whole number from 1048576" --web --max-store 10
check_usage "-i (live) or -r (a file), not both" --web -i lo -r x.pcap
check_usage "unknown option '--bogus'" --web --bogus

#!/usr/bin/env bash
# ws_programs.sh - ws_client against ws_server (echo and chat), and how both programs treat bad
# arguments and unreachable servers. No software from outside Wirelab: runs in --quick too.
. "$WIRELAB_SOURCE/tests/lib.sh"
# start_server reads NAME.log as soon as the server starts: a log left by an earlier run could
# give it the old port before the new server truncates the file. Start from a clean directory.
rm -f ./*.log
S="$WIRELAB_BIN/ws_server" C="$WIRELAB_BIN/ws_client"

step "bad arguments: usage and exit status 2"
for args in "--port 99999" "--mode loud" "--ping-interval soon" "--max-message 0" "--bogus"; do
  rc=0; "$S" $args >/dev/null 2>err.txt || rc=$?
  expect_eq "ws_server $args exit status" 2 "$rc"
  grep -q "usage: ws_server" err.txt || fail "ws_server $args printed no usage: $(cat err.txt)"
  grep -q -- "^ws_server: .*${args%% *}" err.txt \
    || fail "ws_server $args did not name ${args%% *} in its error: $(cat err.txt)"
done
for url in "http://127.0.0.1/ws" "wss://127.0.0.1/ws" "ws://"; do
  rc=0; "$C" "$url" --message x >/dev/null 2>err.txt || rc=$?
  expect_eq "ws_client $url exit status" 2 "$rc"
done
grep -q "use ws://" <("$C" wss://h/ 2>&1) || fail "ws_client does not explain that wss:// is unsupported"

step "start ws_server --port 0 (echo)"
start_server echo "$S" --port 0
URL="ws://127.0.0.1:$SERVER_PORT/ws"

step "ws_client --message twice: both echoes, in order"
out=$("$C" "$URL" --message "one" --message "two, κόσμε" 2>err.txt) || fail "ws_client: $(cat err.txt)"
expect_eq "echoes" "$(printf 'one\ntwo, κόσμε')" "$out"
grep -q "answered our close frame: code 1000" err.txt \
  || fail "no clean closing handshake reported: $(cat err.txt)"

step "ws_client interactive: stdin lines become messages"
out=$(printf 'alpha\nbeta\n' | "$C" "$URL" 2>err.txt) || fail "ws_client: $(cat err.txt)"
expect_eq "echoes" "$(printf 'alpha\nbeta')" "$out"

step "ws_client to an unknown path: the server's 404 is reported, exit 1"
rc=0; "$C" "ws://127.0.0.1:$SERVER_PORT/nowhere" --message x >/dev/null 2>err.txt || rc=$?
expect_eq "exit status" 1 "$rc"
grep -q "404" err.txt || fail "the 404 was not reported: $(cat err.txt)"
stop_server
expect_eq "ws_server exit status after SIGTERM" 0 "$SERVER_RC"

step "SIGTERM with a client connected: it gets close 1001 (going away), then the server exits"
start_server echo2 "$S" --port 0 --verbose
"$C" "ws://127.0.0.1:$SERVER_PORT/ws" < <(exec sleep 5 2>/dev/null) >/dev/null 2>away.txt & # stdin stays open
CLIENT=$!
for _ in $(seq 1 50); do grep -q "client 1" "$SERVER_LOG" 2>/dev/null && break; sleep 0.05; done
sleep 0.3
stop_server
expect_eq "ws_server exit status after SIGTERM" 0 "$SERVER_RC"
wait "$CLIENT" || true
grep -q "the server is closing: code 1001" away.txt \
  || fail "the client was not told 1001 going away: $(cat away.txt)"

step "ws_client to a closed port: a sentence, exit 1"
rc=0; "$C" "ws://127.0.0.1:$SERVER_PORT/ws" --message x >/dev/null 2>err.txt || rc=$?
expect_eq "exit status" 1 "$rc"
[ -s err.txt ] || fail "no error message"

step "chat mode: ws_client sees its own message broadcast with its number"
start_server chat "$S" --port 0 --mode chat
# Each --message waits for one message back: the first gets the join notice, the second the
# broadcast of the first.
out=$("$C" "ws://127.0.0.1:$SERVER_PORT/ws" --message "hi all" --message "again" 2>err.txt) \
  || fail "ws_client: $(cat err.txt)"
echo "$out" | grep -q "^\* client 1 .* joined, 1 online$" || fail "no join notice: $out"
echo "$out" | grep -qx "\[1\] hi all" || fail "no broadcast '[1] hi all': $out"
echo "ws_client and ws_server agree"

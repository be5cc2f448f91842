# ws_accept.sh - ws_accept computes RFC 6455's example accept value, and ws_client --key uses it.
. "$WIRELAB_SOURCE/tests/lib.sh"
step "ws_accept on RFC 6455 1.3's example key gives the RFC's answer"
out=$("$WIRELAB_BIN/ws_accept" dGhlIHNhbXBsZSBub25jZQ==) || fail "ws_accept failed: $out"
grep -q "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  <- Sec-WebSocket-Accept" <<<"$out" || fail "wrong value: $out"
grep -q "b37a4f2cc0624f1690f64606cf385945b2bec4ea" <<<"$out" || fail "wrong SHA-1 step: $out"
step "a key that is not base64 of 16 bytes is refused with a reason"
out=$("$WIRELAB_BIN/ws_accept" abc 2>&1) && fail "ws_accept accepted 'abc'"
grep -q "16 random bytes" <<<"$out" || fail "no reason given: $out"
step "ws_client --key sends that key, and checks the server's answer to it"
start_server server "$WIRELAB_BIN/ws_server" --port 0
out=$("$WIRELAB_BIN/ws_client" "ws://127.0.0.1:$SERVER_PORT/ws" --trace \
  --key dGhlIHNhbXBsZSBub25jZQ== --message hi 2>&1) || fail "ws_client failed: $out"
grep -q "> Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" <<<"$out" || fail "key not sent: $out"
grep -q "< Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" <<<"$out" || fail "no accept: $out"
out=$("$WIRELAB_BIN/ws_client" "ws://127.0.0.1:$SERVER_PORT/ws" --key abc --message hi 2>&1) \
  && fail "ws_client accepted --key abc"
grep -q "exactly 16 bytes" <<<"$out" || fail "no reason for the bad key: $out"
echo "ws_accept and ws_client --key agree with RFC 6455"

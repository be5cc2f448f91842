#!/usr/bin/env bash
# udp_receiver --idle-timeout counts the silence after a first datagram, not before it: a
# sender that starts late (a busy machine can take seconds to start one) is still received.
# Then, once datagrams came, a silence as long as the timeout does end the run by itself.
. "$WIRELAB_SOURCE/tests/lib.sh"

step "start udp_receiver --idle-timeout 1 on a free port, and send nothing for 2 s"
start_server receiver "$WIRELAB_BIN/udp_receiver" --port 0 --idle-timeout 1
sleep 2 # longer than the timeout: the silence under test, not a wait for an event
kill -0 "$SERVER_PID" 2>/dev/null ||
  fail "udp_receiver ended during the silence before any datagram: $(cat "$SERVER_LOG")"

step "udp_sender --count 3: received, then 1 s of silence ends the receiver by itself"
"$WIRELAB_BIN/udp_sender" --host 127.0.0.1 --port "$SERVER_PORT" --count 3 >sender.log 2>&1 ||
  fail "udp_sender exited with an error: $(cat sender.log)"
for _ in $(seq 1 200); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$SERVER_PID" 2>/dev/null &&
  fail "udp_receiver still runs 10 s after the last datagram (--idle-timeout 1): $(cat "$SERVER_LOG")"
wait "$SERVER_PID" || fail "udp_receiver exited with status $?: $(cat "$SERVER_LOG")"
grep -q '^summary (idle timeout): 3 datagrams' "$SERVER_LOG" ||
  fail "expected 'summary (idle timeout): 3 datagrams ...'; it printed: $(cat "$SERVER_LOG")"
echo "ok: the silence before the first datagram did not count; the silence after the last did"

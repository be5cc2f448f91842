#!/usr/bin/env bash
# live.sh - capture on the loopback interface while tcp_echo_client talks to tcp_echo_server, and find
# in the capture the three-way handshake, the data both ways and the teardown.
# Needs root (or a sniffer with cap_net_raw); otherwise it is skipped (exit 77).
. "$WIRELAB_SOURCE/tests/lib.sh"
PY=/usr/bin/python3
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: live capture needs root"
  exit 77
fi

# start_sniffer NAME SNIFFER-ARGS... : capture on lo as JSON into NAME.json (messages in
# NAME.err) and wait until libpcap is listening, so the next step's packets are all seen.
start_sniffer() {
  local name=$1
  shift
  # Emptied before the fork: the child's own 2> comes a moment later, and a rerun in the same
  # folder would find the last run's "listening" line and make traffic before the capture.
  : >"$name.err"
  "$WIRELAB_BIN/sniffer" -i lo "$@" --json >"$name.json" 2>"$name.err" &
  SNIFF=$!
  PIDS+=("$SNIFF")
  for _ in $(seq 1 100); do
    grep -q 'listening on lo' "$name.err" && return 0
    kill -0 $SNIFF 2>/dev/null || fail "the sniffer exited: $(cat "$name.err")"
    sleep 0.05
  done
  fail "the sniffer did not start within 5 s: $(cat "$name.err")"
}

# stop_sniffer NAME : give the last packets half a second to arrive, then SIGINT; it must
# stop cleanly (exit 0).
stop_sniffer() {
  sleep 0.5
  kill -INT $SNIFF
  wait $SNIFF || fail "the sniffer exited with status $? after SIGINT: $(cat "$1.err")"
}

step "start tcp_echo_server on 127.0.0.1 (port 0: any free port)"
start_server echo "$WIRELAB_BIN/tcp_echo_server" --port 0 --bind 127.0.0.1
PORT=$SERVER_PORT

step "start the sniffer on lo with filter 'tcp port $PORT', saving to live.pcap"
start_sniffer live -f "tcp port $PORT" -w live.pcap

step "tcp_echo_client --port $PORT --message 'hello wirelab'"
"$WIRELAB_BIN/tcp_echo_client" --port "$PORT" --message "hello wirelab" >client.log 2>&1 \
  || fail "the echo exchange failed: $(cat client.log)"

step "stop the sniffer with SIGINT; it prints libpcap's counts"
stop_sniffer live
grep -q 'packets received by filter' live.err || fail "no received count: $(cat live.err)"
grep -q 'packets dropped by kernel' live.err || fail "no dropped count: $(cat live.err)"

step "find the handshake, the data both ways and the teardown in the capture"
$PY - live.json "$PORT" <<'PY' || fail "the capture does not show the whole exchange (see above)"
import json, sys
port = int(sys.argv[2])
pk = [json.loads(l) for l in open(sys.argv[1])]
tcp = [next(l for l in p["layers"] if l["proto"] == "tcp") for p in pk]
def find(pred, what, start=0):
    for i in range(start, len(tcp)):
        if pred(tcp[i]):
            return i
    print("  missing: %s; segments seen: %s" % (what, [(t["sport"], t["flags"], t["payload_len"]) for t in tcp]))
    sys.exit(1)
to_srv = lambda t: t["dport"] == port
syn = find(lambda t: to_srv(t) and t["flags"] == ["SYN"], "SYN from the client")
synack = find(lambda t: not to_srv(t) and t["flags"] == ["SYN", "ACK"] and t["ack"] == (tcp[syn]["seq"] + 1) % 2**32, "SYN-ACK acknowledging it", syn)
ack = find(lambda t: to_srv(t) and "ACK" in t["flags"] and "SYN" not in t["flags"] and t["ack"] == (tcp[synack]["seq"] + 1) % 2**32, "the client's ACK", synack)
d1 = find(lambda t: to_srv(t) and t["payload_len"] >= 13, "the message's bytes to the server", ack)
d2 = find(lambda t: not to_srv(t) and t["payload_len"] == tcp[d1]["payload_len"], "the same number of bytes echoed back", d1)
f1 = find(lambda t: "FIN" in t["flags"], "a FIN", d2)
f2 = find(lambda t: "FIN" in t["flags"] and to_srv(t) != to_srv(tcp[f1]), "the other side's FIN", f1)
print("  handshake at packets %d,%d,%d; data at %d and %d; FINs at %d and %d" % (syn + 1, synack + 1, ack + 1, d1 + 1, d2 + 1, f1 + 1, f2 + 1))
PY

step "the saved live.pcap reads back with the same number of packets"
expect_eq "packets in live.pcap" "$(wc -l <live.json)" "$("$WIRELAB_BIN/sniffer" -r live.pcap 2>/dev/null | wc -l)"
stop_server

step "UDP: udp_sender sends 3 numbered datagrams to udp_receiver; the sniffer explains each header"
start_server receiver "$WIRELAB_BIN/udp_receiver" --port 0 --expect 3
UPORT=$SERVER_PORT
start_sniffer udp -f "udp port $UPORT" -c 3
"$WIRELAB_BIN/udp_sender" --host 127.0.0.1 --port "$UPORT" --count 3 --size 100 >sender.log 2>&1 \
  || fail "udp_sender failed: $(cat sender.log)"
for _ in $(seq 1 100); do
  kill -0 $SNIFF 2>/dev/null || break
  sleep 0.05
done
kill -0 $SNIFF 2>/dev/null && fail "the sniffer did not see 3 datagrams: $(cat udp.json)"
expect_eq "udp_echo sequence numbers seen" "0 1 2" \
  "$(/usr/bin/python3 -c '
import json, sys
seqs = [l["seq"] for p in map(json.loads, open(sys.argv[1])) for l in p["layers"] if l.get("wirelab") == "udp_echo" and l.get("payload_len") == 76]
print(*seqs)' udp.json)"

step "WebSocket: ws_client sends 'hello ws' to ws_server; the capture shows the upgrade and frames"
start_server ws "$WIRELAB_BIN/ws_server" --port 0 --bind 127.0.0.1
WPORT=$SERVER_PORT
start_sniffer ws -f "tcp port $WPORT"
"$WIRELAB_BIN/ws_client" "ws://127.0.0.1:$WPORT/ws" --message "hello ws" >wsclient.log 2>&1 \
  || fail "ws_client failed: $(cat wsclient.log)"
stop_sniffer ws
/usr/bin/python3 - ws.json "$WPORT" <<'PY' || fail "the WebSocket exchange is not all in the capture (see above)"
import json, sys
port = int(sys.argv[2])
seen = []
for p in map(json.loads, open(sys.argv[1])):
    tcp = next(l for l in p["layers"] if l["proto"] == "tcp")
    to_srv = tcp["dport"] == port
    for l in p["layers"]:
        if l["proto"] == "http":
            seen.append(("GET" if l.get("method") == "GET" else l.get("status"), to_srv, l.get("upgrade")))
        elif l["proto"] == "websocket":
            seen.append((l["opcode"], to_srv, l["masked"], l["payload_len"], l.get("invalid")))
want = [("GET", True, "websocket"), (101, False, "websocket"), (1, True, True, 8, None),
        (1, False, False, 8, None)]
missing = [w for w in want if w not in seen]
if missing:
    print("  missing %s; seen %s" % (missing, seen))
    sys.exit(1)
if not any(s[0] == 8 for s in seen if len(s) == 5):
    print("  no close frame; seen %s" % seen)
    sys.exit(1)
print("  upgrade, masked text to the server, unmasked echo back, close: %s" % seen)
PY
stop_server

step "queue_broker: a client's PUSH and QUIT and the broker's replies are shown as queue lines"
start_server broker "$WIRELAB_BIN/queue_broker" --port 0 --bind 127.0.0.1
QPORT=$SERVER_PORT
start_sniffer queue -f "tcp port $QPORT"
/usr/bin/python3 - "$QPORT" <<'PY' || fail "talking to queue_broker failed"
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
c.sendall(b"PUSH jobs build-42\n")
assert c.recv(100).startswith(b"OK"), "no OK for PUSH"
time.sleep(0.05)  # separate segments, so each line is the start of one
c.sendall(b"QUIT\n")
got = b""
while True:
    d = c.recv(100)
    if not d:
        break
    got += d
assert got.startswith(b"OK"), got
c.close()
PY
stop_sniffer queue
expect_eq "queue verbs in the capture (client>, <broker)" "PUSH> <OK QUIT> <OK" \
  "$(/usr/bin/python3 -c '
import json, sys
port = int(sys.argv[2])
out = []
for p in map(json.loads, open(sys.argv[1])):
    tcp = next(l for l in p["layers"] if l["proto"] == "tcp")
    for l in p["layers"]:
        if l.get("wirelab") == "queue":
            out.append(l["verb"] + ">" if tcp["dport"] == port else "<" + l["verb"])
print(*out)' queue.json "$QPORT")"
stop_server

step "Socket.IO: a raw long-polling exchange with events_server; the capture shows its packets"
start_server events "$WIRELAB_BIN/events_server" --port 0
EPORT=$SERVER_PORT
start_sniffer sio -f "tcp port $EPORT"
/usr/bin/python3 - "$EPORT" <<'PY' || fail "the polling exchange with events_server failed (see above)"
import json, socket, sys
port = int(sys.argv[1])
def call(method, body="", sid=None):
    # The whole request in one write, so head and body share a TCP segment: the sniffer reads
    # one segment at a time (no reassembly), and http.client would send the body separately.
    target = "/socket.io/?EIO=4&transport=polling" + ("&sid=" + sid if sid else "")
    req = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % (method, target)
    if body:
        req += "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n" % len(body)
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall((req + "\r\n" + body).encode())
    resp = b""
    while True:  # bounded by the server closing (Connection: close) or the 5 s timeout
        d = c.recv(4096)
        if not d:
            break
        resp += d
        head, _, rest = resp.partition(b"\r\n\r\n")
        n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
        if n and len(rest) >= n[0]:
            break
    c.close()
    head, _, rest = resp.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), (method, resp[:200])
    return rest.decode()
hs = call("GET")
assert hs.startswith("0{"), hs
sid = json.loads(hs[1:])["sid"]
call("POST", "40", sid)           # Socket.IO CONNECT to the main namespace
got = call("GET", sid=sid)         # the server's CONNECT answer with the socket's id
assert got.startswith("40"), got
print("  handshake, CONNECT and its answer over polling: sid %s" % sid)
PY
stop_sniffer sio
expect_eq "Engine.IO/Socket.IO lines in the capture (client>, <server)" \
  "<engine.io OPEN CONNECT> <socket.io CONNECT" \
  "$(/usr/bin/python3 -c '
import json, sys
port = int(sys.argv[2])
out = []
for p in map(json.loads, open(sys.argv[1])):
    tcp = next(l for l in p["layers"] if l["proto"] == "tcp")
    for l in p["layers"]:
        if "socketio" in l:
            words = l["socketio"].split()
            if tcp["dport"] == port:
                out.append(words[1] + ">")
            else:
                out.append("<" + " ".join(words[:2]))
print(*out)' sio.json "$EPORT")"
stop_server

step "SIGINT the moment the sniffer says it is listening, 20 times: it stops every time (a background job starts with SIGINT ignored, so the handler must be in place before that line)"
for i in $(seq 1 20); do
  : >early.err # not the last run's line: SIGINT before this sniffer's handler is in place
  "$WIRELAB_BIN/sniffer" -i lo -f 'tcp port 9' >/dev/null 2>early.err &
  early=$!
  for _ in $(seq 1 200); do
    grep -q 'listening on lo' early.err && break
    sleep 0.01
  done
  kill -INT $early
  for _ in $(seq 1 100); do
    kill -0 $early 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 $early 2>/dev/null; then
    kill -KILL $early
    fail "run $i: the sniffer was still running 5 s after SIGINT: $(cat early.err)"
  fi
  wait $early || fail "run $i: the sniffer exited with status $? after SIGINT: $(cat early.err)"
done

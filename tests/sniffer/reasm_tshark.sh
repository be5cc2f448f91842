#!/usr/bin/env bash
# reasm_tshark.sh - TCP reassembly against tshark's, on real traffic split by a real MTU.
#
# Inside a network namespace of its own (an unprivileged user namespace maps us to root there),
# loopback gets MTU 1500, so a 70,000-byte WebSocket message, a chunked HTTP answer and a
# 20,000-byte Engine.IO POST each cross many segments (reasm_traffic.py sends them to ws_server,
# to its own HTTP thread and to events_server). The sniffer captures it; then, frame by frame,
# every message the sniffer reassembled from several segments (--json "messages") must be one
# that tshark reassembled at the same frame from the same frames (its tcp.segment list), and
# the other way round. Also checked: --follow shows the conversation's bytes whole.
# Skipped (77) without tshark or without user namespaces.
set -euo pipefail
: "${WIRELAB_BIN:?WIRELAB_BIN must point at build/bin (CTest sets it)}"
: "${WIRELAB_SOURCE:?WIRELAB_SOURCE must point at the repository (CTest sets it)}"
export PATH="$PATH:/usr/sbin:/sbin"

if [ "${WIRELAB_IN_NETNS:-}" != 1 ]; then
  command -v tshark >/dev/null || { echo "skipped: tshark is not installed (Debian package tshark)"; exit 77; }
  if ! unshare --user --map-root-user --net true 2>/dev/null; then
    echo "skipped: this machine forbids unprivileged user+network namespaces"
    exit 77
  fi
  WIRELAB_IN_NETNS=1 exec unshare --user --map-root-user --net bash "$0" "$@"
fi

. "$WIRELAB_SOURCE/tests/lib.sh"
PY=/usr/bin/python3

step "inside a new network namespace: lo up with MTU 1500 and no segmentation offload (segments of at most 1448 bytes)"
ip link set lo mtu 1500 up
# Loopback hands TCP's large "GSO" buffers over uncut (nothing needs cutting on the way to
# ourselves), so the capture would see 64 KB segments; a GSO limit of one MTU makes TCP build
# each wire-sized segment itself, as it does on a real network card without offload.
ip link set lo gso_max_size 1500 || fail "ip could not set gso_max_size on lo (iproute2 too old?)"

step "start ws_server (echo) and events_server on free ports"
start_server ws "$WIRELAB_BIN/ws_server" --port 0 --bind 127.0.0.1
WS_PORT=$SERVER_PORT
start_server events "$WIRELAB_BIN/events_server" --port 0
EIO_PORT=$SERVER_PORT

step "capture on lo into reasm.pcap"
: >sniff.err # before the fork: never a rerun's "listening" line
"$WIRELAB_BIN/sniffer" -i lo -f tcp -w reasm.pcap >/dev/null 2>sniff.err &
SNIFF=$!
PIDS+=("$SNIFF")
for _ in $(seq 1 100); do
  grep -q 'listening on lo' sniff.err && break
  kill -0 $SNIFF 2>/dev/null || fail "the sniffer exited: $(cat sniff.err)"
  sleep 0.05
done

step "reasm_traffic.py: a 70,000-byte WebSocket message and a fragmented one, chunked HTTP, an Engine.IO POST"
$PY "$WIRELAB_SOURCE/tests/sniffer/reasm_traffic.py" "$WS_PORT" "$EIO_PORT" >traffic.log 2>&1 \
  || fail "the traffic did not go through: $(cat traffic.log)"
HTTP_PORT=$(sed -n 's/^http port //p' traffic.log)
sleep 0.5
kill -INT $SNIFF
wait $SNIFF || fail "the sniffer did not stop cleanly: $(cat sniff.err)"

step "sniffer -r reasm.pcap --json, and tshark with reassembly (decode-as HTTP on the three ports)"
"$WIRELAB_BIN/sniffer" -r reasm.pcap --json >ours.json 2>ours.err || fail "sniffer -r failed: $(cat ours.err)"
tshark -r reasm.pcap -o tcp.desegment_tcp_streams:TRUE -o http.desegment_body:TRUE \
  -o http.dechunk_body:TRUE \
  -d "tcp.port==$WS_PORT,http" -d "tcp.port==$EIO_PORT,http" -d "tcp.port==$HTTP_PORT,http" \
  -T fields -E separator='|' -E aggregator=, -e frame.number -e tcp.segment \
  -e http.request.method -e http.response.code -e websocket.opcode >theirs.txt 2>tshark.err \
  || fail "tshark failed: $(cat tshark.err)"

step "compare: every message reassembled from several segments, at the same frame, from the same frames"
$PY - ours.json theirs.txt <<'PY' || fail "the sniffer's reassembly and tshark's differ (above)"
import json, sys
ours, joined = {}, []
for line in open(sys.argv[1]):
    p = json.loads(line)
    for m in p.get("messages", []):
        if m["frames_total"] < 2 or m["kind"] not in ("http", "websocket"):
            continue
        # tshark's tcp.segment lists the segments of one TCP-level unit: an HTTP message or one
        # WebSocket frame. A message of several WebSocket frames is joined above TCP: each of
        # its frames must be one of tshark's units, inside the message's segments.
        if m["kind"] == "websocket" and m["parts"] > 1:
            joined.append(m)
        else:
            ours.setdefault(p["n"], []).append(m)
theirs = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("|")
    if f[1]:
        theirs[int(f[0])] = [int(x) for x in f[1].split(",")]
errors = []
def inside(segs, m):
    return m["frames_total"] == len(m["frames"]) and set(segs) <= set(m["frames"])
for n, segs in sorted(theirs.items()):
    ms = ours.get(n, [])
    if any(m["frames_total"] == len(segs) and m["frames"] == segs[:len(m["frames"])] for m in ms):
        continue
    if not ms and any(inside(segs, m) for m in joined):
        continue
    errors.append("frame %d: tshark reassembled frames %s; the sniffer: %s"
                  % (n, segs, [(m["summary"], m["frames"], m["frames_total"]) for m in ms]))
for n, ms in sorted(ours.items()):
    if n not in theirs:
        errors.append("frame %d: the sniffer reassembled %s; tshark nothing there"
                      % (n, [(m["summary"], m["frames"]) for m in ms]))
if not joined:
    errors.append("the message in three WebSocket frames was not reassembled")
for e in errors[:20]:
    print(e)
kinds = sorted({m["summary"].split(" ")[0] + " " + m["kind"] for ms in ours.values() for m in ms})
kinds.append("%d WebSocket messages of several frames" % len(joined))
print("%d messages reassembled by tshark, %d by the sniffer; %d differences (%s)"
      % (len(theirs), sum(len(v) for v in ours.values()), len(errors), ", ".join(kinds)))
big = [m for ms in ours.values() for m in ms if m["body"] == 70000 and m["kind"] == "websocket"]
if len(big) != 2:
    print("expected the 70,000-byte message both ways, found %d" % len(big))
    sys.exit(1)
sys.exit(1 if errors or len(theirs) < 6 else 0)
PY

step "--follow: the chunked conversation's bytes, whole, and its messages"
CONV=$("$WIRELAB_BIN/sniffer" -r reasm.pcap --ladder | sed -n "s/^conversation \([0-9]*\) (TCP): .*:$HTTP_PORT\$/\1/p" | head -n 1)
[ -n "$CONV" ] || fail "no conversation to port $HTTP_PORT in --ladder"
"$WIRELAB_BIN/sniffer" -r reasm.pcap --follow "$CONV" >follow.txt 2>follow.err || fail "--follow failed: $(cat follow.err)"
[ "$(grep -o B follow.txt | wc -l)" -ge 6000 ] || fail "--follow lost bytes of the chunked body"
grep -q '^>>> message server > client: HTTP/1.1 200 OK: .* from frames' follow.txt \
  || fail "--follow does not list the reassembled answer: $(head -c 600 follow.txt)"
echo "PASS"

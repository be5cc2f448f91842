#!/usr/bin/env bash
# resp_tshark.sh - the sniffer's RESP messages against tshark's RESP dissector, on real
# redis-server traffic split by a real MTU.
#
# Inside a network namespace of its own (an unprivileged user namespace maps us to root there),
# loopback gets MTU 1500 and no segmentation offload, and a redis-server (Debian's) listens on
# a free loopback port with no persistence (--save '' --appendonly no). resp_traffic.py sends
# it a 70,000-byte PUBLISH (pushed to a subscriber, so the reply side has one too), then eight
# commands pipelined in one write (XADD, a 20,000-byte SET, GET, XRANGE, PUBLISH, an unknown
# command, PING). The sniffer captures it; then, frame by frame, every RESP value the sniffer
# reassembled from several segments (--json "messages", kind "resp") must be one that tshark's
# `resp` dissector (Wireshark 4.0 in Debian 12; older versions have none: skipped) reassembled
# at the same frame from the same frames (tcp.segment), and the other way round, with the same
# bulk string length; and every command and reply must be there, pipelined ones included.
# redis-server is stopped by its PID. Skipped (77) without tshark, its resp dissector,
# redis-server, or user namespaces.
set -euo pipefail
: "${WIRELAB_BIN:?WIRELAB_BIN must point at build/bin (CTest sets it)}"
: "${WIRELAB_SOURCE:?WIRELAB_SOURCE must point at the repository (CTest sets it)}"
export PATH="$PATH:/usr/sbin:/sbin"

if [ "${WIRELAB_IN_NETNS:-}" != 1 ]; then
  command -v tshark >/dev/null || { echo "skipped: tshark is not installed (Debian package tshark)"; exit 77; }
  tshark -G protocols 2>/dev/null | grep -q -P '\tresp$' \
    || { echo "skipped: this tshark has no RESP dissector (Wireshark 4.0 and later have 'resp')"; exit 77; }
  command -v redis-server >/dev/null \
    || { echo "skipped: redis-server is not installed (Debian package redis-server)"; exit 77; }
  if ! unshare --user --map-root-user --net true 2>/dev/null; then
    echo "skipped: this machine forbids unprivileged user+network namespaces"
    exit 77
  fi
  WIRELAB_IN_NETNS=1 exec unshare --user --map-root-user --net bash "$0" "$@"
fi

. "$WIRELAB_SOURCE/tests/lib.sh"
PY=/usr/bin/python3

step "inside a new network namespace: lo up with MTU 1500 and no segmentation offload"
ip link set lo mtu 1500 up
ip link set lo gso_max_size 1500 || fail "ip could not set gso_max_size on lo (iproute2 too old?)"

step "start redis-server on a free loopback port, without persistence"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$PWD" \
  >redis.log 2>&1 &
REDIS=$!
PIDS+=("$REDIS")
for _ in $(seq 1 100); do
  grep -q 'Ready to accept connections' redis.log && break
  kill -0 $REDIS 2>/dev/null || fail "redis-server exited: $(cat redis.log)"
  sleep 0.05
done
grep -q 'Ready to accept connections' redis.log || fail "redis-server did not start within 5 s: $(cat redis.log)"

step "capture on lo into resp.pcap"
: >sniff.err # before the fork: never a rerun's "listening" line
"$WIRELAB_BIN/sniffer" -i lo -f tcp -w resp.pcap >/dev/null 2>sniff.err &
SNIFF=$!
PIDS+=("$SNIFF")
for _ in $(seq 1 100); do
  grep -q 'listening on lo' sniff.err && break
  kill -0 $SNIFF 2>/dev/null || fail "the sniffer exited: $(cat sniff.err)"
  sleep 0.05
done

step "resp_traffic.py: SUBSCRIBE, a 70,000-byte PUBLISH, eight commands pipelined in one write"
$PY "$WIRELAB_SOURCE/tests/sniffer/resp_traffic.py" "$PORT" >traffic.log 2>&1 \
  || fail "the traffic did not go through: $(cat traffic.log)"
sleep 0.5
kill -INT $SNIFF
wait $SNIFF || fail "the sniffer did not stop cleanly: $(cat sniff.err)"
kill -TERM $REDIS
wait $REDIS || true

step "sniffer -r resp.pcap --json, and tshark's resp dissector (decode-as on port $PORT)"
"$WIRELAB_BIN/sniffer" -r resp.pcap --json >ours.json 2>ours.err || fail "sniffer -r failed: $(cat ours.err)"
tshark -r resp.pcap -o tcp.desegment_tcp_streams:TRUE -d "tcp.port==$PORT,resp" -Y resp \
  -T fields -E separator='|' -E aggregator=, -e frame.number -e tcp.segment \
  -e resp.bulk_string.length -e _ws.col.Info >theirs.txt 2>tshark.err \
  || fail "tshark failed: $(cat tshark.err)"

step "compare: every RESP value reassembled from several segments, at the same frame, from the same frames"
$PY - ours.json theirs.txt <<'PY' || fail "the sniffer's RESP messages and tshark's differ (above)"
import json, re, sys
ours, every = {}, []
for line in open(sys.argv[1]):
    p = json.loads(line)
    for m in p.get("messages", []):
        if m["kind"] != "resp":
            print("frame %d: a %s message %r (expected only RESP)" % (p["n"], m["kind"], m["summary"]))
            sys.exit(1)
        every.append(m)
        if m["frames_total"] >= 2:
            ours.setdefault(p["n"], []).append(m)
theirs, bulks = {}, {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("|")
    if f[1]:
        theirs[int(f[0])] = [int(x) for x in f[1].split(",")]
        bulks[int(f[0])] = [int(x) for x in f[2].split(",") if x]
errors = []
for n, segs in sorted(theirs.items()):
    ms = ours.get(n, [])
    hit = [m for m in ms if m["frames_total"] == len(segs) and m["frames"] == segs[:len(m["frames"])]]
    if not hit:
        errors.append("frame %d: tshark reassembled frames %s; the sniffer: %s"
                      % (n, segs, [(m["summary"], m["frames"], m["frames_total"]) for m in ms]))
        continue
    size = re.search(r"<bulk (\d+) bytes>", hit[0]["summary"])
    if size and int(size.group(1)) not in bulks[n]:
        errors.append("frame %d: the sniffer's %r; tshark's bulk string lengths there: %s"
                      % (n, hit[0]["summary"], bulks[n]))
for n, ms in sorted(ours.items()):
    if n not in theirs:
        errors.append("frame %d: the sniffer reassembled %s; tshark nothing there"
                      % (n, [(m["summary"], m["frames"]) for m in ms]))
# Every command and reply, whole, in order: the pipelined ones are messages of their own.
cmds = [m["summary"].split(" ")[1] for m in every if m["dir"] == "c>s"]
want = ['"SUBSCRIBE"', '"PUBLISH"', '"XADD"', '"XADD"', '"SET"', '"GET"', '"XRANGE"',
        '"PUBLISH"', '"NOSUCHCOMMAND"', '"PING"']
if cmds != want:
    errors.append("commands: expected %s, the sniffer showed %s" % (want, cmds))
replies = [m["summary"] for m in every if m["dir"] == "s>c"]
for want_reply in ('*3 "message" "chan" <bulk 70000 bytes>', '<bulk 20000 bytes>', '*2 *2 *2',
                   '"PONG"', '*3 "message" "chan" <bulk 3000 bytes>'):
    if want_reply not in replies:
        errors.append("reply %r not among the sniffer's: %s" % (want_reply, replies))
# the unknown command's error (its text, and so its length, depends on Redis's version)
if not any(re.match(r'^(-<\d+ bytes>|error ".*")$', r) for r in replies):
    errors.append("no error reply among the sniffer's: %s" % replies)
if len(replies) != 12:
    errors.append("expected 12 replies and pushes, the sniffer showed %d: %s" % (len(replies), replies))
for e in errors[:20]:
    print(e)
print("%d RESP values reassembled by tshark, %d by the sniffer; %d values in all; %d differences"
      % (len(theirs), sum(len(v) for v in ours.values()), len(every), len(errors)))
sys.exit(1 if errors or len(theirs) < 5 else 0)
PY
echo "PASS"

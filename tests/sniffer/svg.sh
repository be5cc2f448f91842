#!/usr/bin/env bash
# svg.sh - every picture (`sniffer --svg KIND`) of every file in the corpus parses as XML, and
# on the well-formed captures each is checked against --json of the same file (check_svg.py):
# an arrow per TCP/UDP packet with its label, retransmissions marked, a bar per data segment,
# a gap per missing Wirelab sequence number, the layers of the frame asked for, the bytes.
. "$WIRELAB_SOURCE/tests/lib.sh"
S="$WIRELAB_BIN/sniffer"
CORPUS="$WIRELAB_SOURCE/tests/sniffer/pcaps"
CHECK="/usr/bin/python3 $WIRELAB_SOURCE/tests/sniffer/check_svg.py"

parses() {
  /usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1"
}

for pcap in "$CORPUS"/*.pcap; do
  for kind in ladder tcptrace throughput layers; do
    step "sniffer -r $(basename "$pcap") --svg $kind: exit 0, well-formed XML"
    "$S" -r "$pcap" --svg "$kind" >pic.svg 2>err.txt || fail "exit status $?: $(cat err.txt)"
    parses pic.svg || fail "not well-formed XML: $(head -c 600 pic.svg)"
  done
done

for name in eth_tcp tcp_retrans tcp_wscale http_ws socketio wirelab dns tcpdump_lines; do
  pcap="$CORPUS/$name.pcap"
  "$S" -r "$pcap" --json >pkts.jsonl 2>/dev/null
  for kind in ladder tcptrace throughput layers; do
    step "$name.pcap --svg $kind against --json"
    "$S" -r "$pcap" --svg "$kind" >pic.svg 2>err.txt || fail "exit status $?: $(cat err.txt)"
    $CHECK "$kind" pic.svg pkts.jsonl || fail "$name.pcap --svg $kind does not match the capture"
  done
done

step "--svg layers --frame 4 draws frame 4; a frame past the end is an error, not an empty file"
"$S" -r "$CORPUS/eth_tcp.pcap" --svg layers --frame 4 >f4.svg 2>/dev/null
grep -q 'frame 4: ' f4.svg || fail "frame 4 is not the one drawn: $(grep -m1 'frame ' f4.svg)"
if "$S" -r "$CORPUS/eth_tcp.pcap" --svg layers --frame 99 >f99.svg 2>err.txt; then
  fail "--frame 99 of an 8-frame file succeeded"
fi
grep -q 'no frame 99' err.txt || fail "the error does not say which frame: $(cat err.txt)"
[ ! -s f99.svg ] || fail "a half picture was written: $(head -c 200 f99.svg)"

step "usage errors: an unknown picture, and --svg mixed with another view"
if "$S" -r "$CORPUS/eth_tcp.pcap" --svg pie >out.svg 2>err.txt; then fail "--svg pie succeeded"; fi
grep -q "ladder, tcptrace, throughput or layers, not 'pie'" err.txt \
  || fail "the error does not list the pictures: $(cat err.txt)"
if "$S" -r "$CORPUS/eth_tcp.pcap" --svg ladder --json >out.svg 2>err.txt; then
  fail "--svg with --json succeeded"
fi
grep -q "only the picture" err.txt || fail "the error does not say why: $(cat err.txt)"

step "the checker can fail: an arrow removed, a retransmission unmarked"
"$S" -r "$CORPUS/tcp_retrans.pcap" --json >pkts.jsonl 2>/dev/null
"$S" -r "$CORPUS/tcp_retrans.pcap" --svg ladder >good.svg 2>/dev/null
sed 's/class="arrow retrans"/class="arrow"/' good.svg >unmarked.svg
if $CHECK ladder unmarked.svg pkts.jsonl >out.txt; then fail "an unmarked retransmission passed"; fi
grep -q 'marked retrans' out.txt || fail "wrong complaint: $(cat out.txt)"
/usr/bin/python3 - good.svg dropped.svg <<'PY'
import re, sys
text = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r'<g class="arrow" data-frame="2".*?</g>\n', "", text,
                                    count=1, flags=re.S))
PY
if $CHECK ladder dropped.svg pkts.jsonl >out.txt; then fail "a missing arrow passed"; fi

step "hostile payload text stays text: a label with markup is escaped"
/usr/bin/python3 - hostile.pcap <<'PY'
import struct, sys
# one UDP datagram whose payload is markup; the ladder labels carry no payload, but the
# layers picture shows the application header text: it must come out escaped
payload = b'GET /</text><script>x</script>&amp; HTTP/1.1\r\nHost: a\r\n\r\n'
tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 0x50, 0x18, 65535, 0, 0)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0, 64, 6, 0,
                 bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
frame = b"\x00" * 12 + b"\x08\x00" + ip + tcp + payload
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)) + frame)
PY
"$S" -r hostile.pcap --svg layers >hostile.svg 2>/dev/null || fail "--svg layers failed"
parses hostile.svg || fail "the hostile packet broke the XML"
grep -q '<script' hostile.svg && fail "raw <script> in the picture"
grep -q '&lt;/text&gt;&lt;script&gt;' hostile.svg || fail "the markup is not shown escaped: $(grep -m1 GET hostile.svg)"
echo "every picture parses and matches its capture"

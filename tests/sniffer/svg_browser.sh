#!/usr/bin/env bash
# svg_browser.sh - headless Chromium renders the sniffer's pictures (svg_browser.js): the marks
# the capture implies are drawn, every label is laid out, and the screenshot has the picture's
# size, is not blank, and shows retransmission red exactly where the capture has some.
# Skipped (77) only where Chromium cannot be installed at all (no chromium package); with the
# package available but not installed, or playwright-core missing, it fails and says what to do.
. "$WIRELAB_SOURCE/tests/lib.sh"
S="$WIRELAB_BIN/sniffer"
CORPUS="$WIRELAB_SOURCE/tests/sniffer/pcaps"

if [ ! -x /usr/bin/chromium ]; then
  if apt-cache show chromium >/dev/null 2>&1; then
    fail "/usr/bin/chromium is missing but installable: apt-get install chromium"
  fi
  echo "SKIP: no chromium package on this system, so nothing can render the pictures"
  exit 77
fi
[ -d "$WIRELAB_SOURCE/tests/node_modules/playwright-core" ] \
  || fail "playwright-core is missing: run (cd tests && npm ci)"

count() { # count KIND FILE: what --json says the picture must hold
  "$S" -r "$2" --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
kind, n = sys.argv[1], 0
for line in sys.stdin:
    p = json.loads(line)
    protos = [l["proto"] for l in p["layers"]]
    conv = ("tcp" in protos or "udp" in protos) and not {"icmp", "icmpv6"} & set(protos)
    n += conv
print(n)' "$1"
}

step "draw the pictures: ladders with and without retransmissions, layers, tcptrace, throughput"
"$S" -r "$CORPUS/tcp_retrans.pcap" --svg ladder >retrans.svg 2>/dev/null
"$S" -r "$CORPUS/eth_tcp.pcap" --svg ladder >clean.svg 2>/dev/null
"$S" -r "$CORPUS/http_ws.pcap" --svg layers --frame 4 >layers.svg 2>/dev/null
"$S" -r "$CORPUS/wirelab.pcap" --svg tcptrace >udp.svg 2>/dev/null
"$S" -r "$CORPUS/tcp_retrans.pcap" --svg tcptrace >trace.svg 2>/dev/null
"$S" -r "$CORPUS/tcp_retrans.pcap" --svg throughput >rate.svg 2>/dev/null
layers=$("$S" -r "$CORPUS/http_ws.pcap" --json 2>/dev/null | sed -n 4p | grep -o '"proto"' | wc -l)
dgrams=$("$S" -r "$CORPUS/wirelab.pcap" --json 2>/dev/null | grep -c '"udp_echo"')
bars=$("$S" -r "$CORPUS/tcp_retrans.pcap" --json 2>/dev/null | grep -c '"payload_len":[1-9]' || true)

profile=$(mktemp -d "$PWD/chromium-profile.XXXXXX")
step "headless Chromium renders them (fresh profile $profile)"
node "$WIRELAB_SOURCE/tests/sniffer/svg_browser.js" "$profile" \
  "retrans.svg@g.arrow@$(count ladder "$CORPUS/tcp_retrans.pcap")@red" \
  "clean.svg@g.arrow@$(count ladder "$CORPUS/eth_tcp.pcap")@none" \
  "layers.svg@g.layer@$layers@none" "udp.svg@circle.dgram@$dgrams@none" \
  "trace.svg@line.seg@$bars@red" "rate.svg@polyline.flow@1@none" \
  || fail "Chromium did not draw the pictures as the captures say"
rm -rf "$profile"

step "the check can fail: a ladder with one arrow hidden"
sed '0,/<g class="arrow"/s//<g style="display:none" class="arrow"/' clean.svg >hidden.svg
profile=$(mktemp -d "$PWD/chromium-profile.XXXXXX")
if node "$WIRELAB_SOURCE/tests/sniffer/svg_browser.js" "$profile" \
  "hidden.svg@g.arrow@$(count ladder "$CORPUS/eth_tcp.pcap")@none" >hidden.out 2>&1; then
  fail "a hidden arrow passed: $(cat hidden.out)"
fi
grep -q 'no size' hidden.out || fail "wrong complaint for a hidden arrow: $(cat hidden.out)"
rm -rf "$profile"
echo "Chromium draws every picture as its capture says"

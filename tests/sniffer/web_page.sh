#!/usr/bin/env bash
# web_page.sh - the page of `sniffer --web` in headless Chromium (web_page.js):
#   live  inside a network namespace of its own (an unprivileged user namespace maps us to
#         root there, so the sniffer may capture on its lo): tcp_echo_client's packets appear,
#         fields light up their bytes, the ladder grows, the filter filters;
#   big   a generated file of 1,000,000 small packets: the page stays responsive (deadlines).
# Needs chromium (Debian) and playwright-core (cd tests && npm ci). Skipped (77) only without
# chromium or without user namespaces.
set -euo pipefail
: "${WIRELAB_BIN:?WIRELAB_BIN must point at build/bin (CTest sets it)}"
: "${WIRELAB_SOURCE:?WIRELAB_SOURCE must point at the repository (CTest sets it)}"
export PATH="$PATH:/usr/sbin:/sbin"

if [ "${WIRELAB_IN_NETNS:-}" != 1 ]; then
  [ -x /usr/bin/chromium ] || { echo "skipped: /usr/bin/chromium is missing (apt-get install chromium)"; exit 77; }
  if ! unshare --user --map-root-user --net true 2>/dev/null; then
    echo "skipped: this machine forbids unprivileged user+network namespaces"
    exit 77
  fi
  WIRELAB_IN_NETNS=1 exec unshare --user --map-root-user --net bash "$0" "$@"
fi

. "$WIRELAB_SOURCE/tests/lib.sh"
[ -d "$WIRELAB_SOURCE/tests/node_modules/playwright-core" ] \
  || fail "playwright-core is missing: run (cd tests && npm ci) or ./wirelab test"
ip link set lo up

step "start tcp_echo_server on 127.0.0.1, port 0"
start_server echo "$WIRELAB_BIN/tcp_echo_server" --port 0 --bind 127.0.0.1
ECHO=$SERVER_PORT
step "start sniffer --web 0 -i lo -f 'tcp port $ECHO' (live, in this namespace)"
start_server web "$WIRELAB_BIN/sniffer" --web 0 -i lo -f "tcp port $ECHO"
WEB=$SERVER_PORT
profile=$(mktemp -d "$PWD/chromium-profile.XXXXXX")
step "headless Chromium on http://127.0.0.1:$WEB/ while tcp_echo_client talks"
node "$WIRELAB_SOURCE/tests/sniffer/web_page.js" live "$WEB" "$profile" "$ECHO" "$WIRELAB_BIN" \
  || fail "the live page test failed; the sniffer's log: $(tail -20 web.log)"
rm -rf "$profile"

step "write big.pcap: 1,000,000 small packets (web_gen_pcap.py)"
/usr/bin/python3 "$WIRELAB_SOURCE/tests/sniffer/web_gen_pcap.py" big.pcap 1000000
step "start sniffer --web 0 -r big.pcap"
start_server big "$WIRELAB_BIN/sniffer" --web 0 -r big.pcap
profile=$(mktemp -d "$PWD/chromium-profile.XXXXXX")
step "headless Chromium on the million-packet file: clicks and scrolls answered within deadlines"
node "$WIRELAB_SOURCE/tests/sniffer/web_page.js" big "$SERVER_PORT" "$profile" \
  || fail "the big-file page test failed; the sniffer's log: $(tail -20 big.log)"
rm -rf "$profile" big.pcap
grep -q "the store is full" big.log || fail "the sniffer did not log that its store was full: $(cat big.log)"
echo "the live view works in Chromium, live and on a million packets"

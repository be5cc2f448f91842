#!/usr/bin/env bash
# cli.sh - the sniffer's errors: bad arguments (usage, exit 2), a missing file, a bad filter,
# and, when we can drop privileges, the permission message that tells the student what to do.
. "$WIRELAB_SOURCE/tests/lib.sh"
S="$WIRELAB_BIN/sniffer"

step "an unknown option: usage on stderr and exit 2"
rc=0; "$S" --bogus >out.txt 2>err.txt || rc=$?
expect_eq "exit status" 2 "$rc"
grep -q '^usage: sniffer' err.txt || fail "no usage text: $(cat err.txt)"

step "-c with a non-number: exit 2 and a sentence"
rc=0; "$S" -c ten -r x.pcap >out.txt 2>err.txt || rc=$?
expect_eq "exit status" 2 "$rc"
grep -q 'positive number' err.txt || fail "unclear message: $(cat err.txt)"

step "--json with --ladder is refused"
rc=0; "$S" --json --ladder -r x.pcap >out.txt 2>err.txt || rc=$?
expect_eq "exit status" 2 "$rc"

step "a file that does not exist"
rc=0; "$S" -r /nonexistent.pcap >out.txt 2>err.txt || rc=$?
expect_eq "exit status" 1 "$rc"
grep -q 'cannot read /nonexistent.pcap' err.txt || fail "unclear message: $(cat err.txt)"

step "a filter that is not BPF"
rc=0; "$S" -r "$WIRELAB_SOURCE/tests/sniffer/pcaps/eth_tcp.pcap" -f 'tcp port banana' >out.txt 2>err.txt || rc=$?
expect_eq "exit status" 1 "$rc"
grep -q 'not valid BPF syntax' err.txt || fail "unclear message: $(cat err.txt)"

step "a filter that matches: -f 'tcp[tcpflags] & tcp-syn != 0' keeps the 2 SYNs"
"$S" -r "$WIRELAB_SOURCE/tests/sniffer/pcaps/eth_tcp.pcap" -f 'tcp[tcpflags] & tcp-syn != 0' >out.txt 2>err.txt
expect_eq "packets shown" 2 "$(wc -l <out.txt)"
grep -q '2 packets read' err.txt || fail "no count at the end: $(cat err.txt)"

step "-w writes a pcap that reads back the same"
"$S" -r "$WIRELAB_SOURCE/tests/sniffer/pcaps/eth_tcp.pcap" -c 3 -w copy.pcap >/dev/null 2>&1
expect_eq "packets in the copy" 3 "$("$S" -r copy.pcap 2>/dev/null | wc -l)"

step "--list shows the loopback interface"
"$S" --list >list.txt 2>&1 || fail "--list failed: $(cat list.txt)"
grep -q "^lo .*(loopback)" list.txt || fail "lo is not listed as loopback: $(cat list.txt)"

step "an interface that does not exist"
if [ "$(id -u)" -eq 0 ]; then
  rc=0; "$S" -i wirelab-nosuch0 -c 1 >out.txt 2>err.txt || rc=$?
  expect_eq "exit status" 1 "$rc"
  grep -q "no interface named 'wirelab-nosuch0'" err.txt || fail "unclear message: $(cat err.txt)"
fi

step "live capture without permission says how to fix it"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  rc=0
  setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$S" -c 1 >out.txt 2>err.txt || rc=$?
  if grep -q 'Permission denied\|cannot execute' err.txt && ! grep -q 'sniffer:' err.txt; then
    echo "  (the build tree is not readable by nobody; permission message not checked)"
  else
    expect_eq "exit status" 1 "$rc"
    grep -q 'no permission to capture on lo' err.txt || fail "unclear message: $(cat err.txt)"
    grep -q 'setcap cap_net_raw,cap_net_admin=eip' err.txt || fail "the fix is not named: $(cat err.txt)"
  fi
else
  echo "  (not root: cannot drop privileges to test the message)"
fi

step "--frame N shows only frame N, decoded with what came before it (WebSocket after the upgrade)"
pcap=$WIRELAB_SOURCE/labs/04-http-to-websocket/captures/lab4.pcap
out=$("$WIRELAB_BIN/sniffer" -r "$pcap" --frame 8 --layers 2>/dev/null) || fail "--frame 8 failed"
expect_eq "frames shown by --frame 8" 1 "$(grep -c '^frame ' <<<"$out")"
grep -q '^frame 8:' <<<"$out" || fail "--frame 8 did not show frame 8: $out"
grep -q 'WebSocket frame' <<<"$out" || fail "frame 8 was not decoded as WebSocket: $out"
grep -q 'masking key' <<<"$out" || fail "the masked frame's key is not shown: $out"
out=$("$WIRELAB_BIN/sniffer" -r "$pcap" --frame 0 2>&1) && fail "--frame 0 was accepted"
grep -q 'frame number' <<<"$out" || fail "no reason for --frame 0: $out"

#!/usr/bin/env bash
# tcpdump_lines.sh - the default view against Debian's tcpdump -nn, line by line, on the
# corpus (tcpdump_lines.py says what may differ, and sniffer/README.md why). Skipped when
# tcpdump is not installed (Debian package tcpdump, in tests/deb-packages.txt).
. "$WIRELAB_SOURCE/tests/lib.sh"
TCPDUMP=$(command -v tcpdump || ls /usr/sbin/tcpdump /usr/bin/tcpdump 2>/dev/null | head -1)
if [ -z "$TCPDUMP" ]; then
  echo "skipped: tcpdump is not installed (Debian package tcpdump)"
  exit 77
fi
C="$WIRELAB_SOURCE/tests/sniffer/pcaps"
# Left out: wirelab.pcap (tcpdump reads UDP ports 7000-7009 as AFS RX, where udp_sender's 7008
# is), the truncated, lying and garbage files (tcpdump's wording of a cut header is its own),
# timestamps*.pcap (tcpdump 4.99.3 prints the times after 2038 and the invalid ones wrongly),
# and eth_ipv6.pcap (tcpdump names the extension headers on the line; we show them in --layers).
step "sniffer --absolute / tcpdump -nn -S, then sniffer / tcpdump -nn, line by line"
/usr/bin/python3 "$WIRELAB_SOURCE/tests/sniffer/tcpdump_lines.py" "$WIRELAB_BIN/sniffer" "$TCPDUMP" \
  "$C/tcpdump_lines.pcap" "$C/eth_tcp.pcap" "$C/eth_tcp_ok_bad.pcap" "$C/link_null.pcap" \
  "$C/link_raw.pcap" "$C/link_sll.pcap" "$C/link_sll2.pcap" "$C/vlan_arp.pcap" "$C/dns.pcap" \
  "$C/ipv4_opts_frag_icmp.pcap" "$C/http_ws.pcap" "$C/socketio.pcap" "$C/exactness.pcap" \
  || fail "the default view and tcpdump -nn differ (above)"

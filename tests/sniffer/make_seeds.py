#!/usr/bin/python3
"""make_seeds.py - the fuzzer's seed corpus (tests/sniffer/fuzz_seeds) from the pcap corpus:
one frame per file, prefixed by the two bytes fuzz_decode.c reads (link type index, hints).

    /usr/bin/python3 tests/sniffer/make_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
LINKS = {1: 0, 113: 1, 276: 2, 0: 3, 108: 4, 12: 5, 101: 5, 228: 6, 229: 7}  # fuzz_decode.c
PICK = ["eth_tcp", "eth_ipv6", "link_sll", "link_sll2", "link_null", "link_raw", "vlan_arp",
        "ipv4_opts_frag_icmp", "dns", "http_ws", "wirelab", "socketio", "exactness",
        "tcpdump_lines", "link_ipv6_only"]

out = os.path.join(HERE, "fuzz_seeds")
os.makedirs(out, exist_ok=True)
for name in PICK:
    d = open(os.path.join(HERE, "pcaps", name + ".pcap"), "rb").read()
    link = struct.unpack("<I", d[20:24])[0]
    off, i = 24, 0
    while off < len(d) and i < {"socketio": 22, "tcpdump_lines": 80}.get(name, 8):
        caplen = struct.unpack("<I", d[off + 8:off + 12])[0]
        frame = d[off + 16:off + 16 + caplen]
        ws = 1 if name == "http_ws" and i >= 5 else 0
        if name == "socketio":  # Engine.IO flow (bit 7); WebSocket from frame 10 on
            ws = 0x80 | (1 if i >= 10 else 0)
        with open(os.path.join(out, "%s_%d" % (name, i)), "wb") as f:
            f.write(bytes([LINKS[link], ws]) + frame)
        off += 16 + caplen
        i += 2

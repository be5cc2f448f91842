#!/usr/bin/env python3
"""web_gen_pcap.py - write a pcap of N small packets for the tests of `sniffer --web`.

What it makes: Ethernet + IPv4 frames on 127.0.0.1, alternating between conversations: TCP
segments of 16 bytes each ("packet NNNNNNNNN\n"-ish payload) from 127.0.0.1:40000 to
127.0.0.2:7007 and back, and every fifth one a UDP datagram to port 9999. One microsecond
apart. A million packets take about 90 MB and a few seconds. Checksums are left 0 (the
sniffer says so; nothing here is about checksums).

Run: python3 web_gen_pcap.py OUT.pcap N
"""
import struct
import sys


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    f = open(out, "wb")
    eth = bytes(6) + bytes(6) + b"\x08\x00"
    chunks = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    seq = [1000, 5000]
    for i in range(n):
        payload = b"pkt %011d\n" % i  # 16 bytes
        if i % 5 == 4:
            l4 = struct.pack("!HHHH", 50000, 9999, 8 + len(payload), 0) + payload
            proto, src, dst = 17, b"\x7f\x00\x00\x01", b"\x7f\x00\x00\x02"
        else:
            d = i % 2
            sp, dp = (40000, 7007) if d == 0 else (7007, 40000)
            src, dst = (b"\x7f\x00\x00\x01", b"\x7f\x00\x00\x02")[:: 1 if d == 0 else -1]
            l4 = struct.pack("!HHIIBBHHH", sp, dp, seq[d], seq[1 - d], 0x50, 0x18, 65535, 0,
                             0) + payload
            seq[d] = (seq[d] + len(payload)) & 0xFFFFFFFF
            proto = 6
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), i & 0xFFFF, 0x4000, 64, proto,
                         0, src, dst)
        frame = eth + ip + l4
        t = 1700000000 * 1000000 + i
        chunks.append(struct.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame)))
        chunks.append(frame)
        if len(chunks) > 20000:
            f.write(b"".join(chunks))
            chunks = []
    f.write(b"".join(chunks))
    f.close()


if __name__ == "__main__":
    main()

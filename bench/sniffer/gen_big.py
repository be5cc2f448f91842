#!/usr/bin/python3
"""gen_big.py OUT.pcap COUNT - a large capture for the sniffer benchmark, made here.

Traffic as a lab machine sees it on Ethernet: TCP conversations (handshake with options, a
request and a response of varying size, teardown), each on its own client port so the
conversation table keeps meeting new flows; DNS queries and answers; UDP datagrams; an ARP pair
now and then. Checksums are computed so every tool does the same work.
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


CLI, SRV = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
ETH = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return ETH + b"\x08\x00" + h + payload


def tcp(src, dst, sp, dp, seq, ack, flags, payload=b"", opts=b""):
    hl = 20 + len(opts)
    t = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, hl // 4 << 4, flags, 512, 0, 0) + opts + payload
    ph = src + dst + struct.pack("!BBH", 0, 6, len(t))
    t = t[:16] + struct.pack("!H", csum(ph + t)) + t[18:]
    return ipv4(src, dst, 6, t)


def udp(src, dst, sp, dp, payload):
    u = struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload
    ph = src + dst + struct.pack("!BBH", 0, 17, len(u))
    return ipv4(src, dst, 17, u[:6] + struct.pack("!H", csum(ph + u) or 0xFFFF) + u[8:])


SYNOPT = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + struct.pack("!BBII", 8, 10, 1, 0) + b"\x01\x03\x03\x07"


def conversation(i):
    sp, isn, isn2 = 10000 + i % 50000, (i * 7919) & 0xFFFFFFFF, (i * 104729) & 0xFFFFFFFF
    req = b"GET /item/%d HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n" % i
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n" + b"x" * (64 + i % 900)
    c, s = isn + 1, isn2 + 1
    return [
        tcp(CLI, SRV, sp, 80, isn, 0, 0x02, opts=SYNOPT),
        tcp(SRV, CLI, 80, sp, isn2, c, 0x12, opts=SYNOPT),
        tcp(CLI, SRV, sp, 80, c, s, 0x10),
        tcp(CLI, SRV, sp, 80, c, s, 0x18, req),
        tcp(SRV, CLI, 80, sp, s, c + len(req), 0x10),
        tcp(SRV, CLI, 80, sp, s, c + len(req), 0x18, resp),
        tcp(CLI, SRV, sp, 80, c + len(req), s + len(resp), 0x10),
        tcp(CLI, SRV, sp, 80, c + len(req), s + len(resp), 0x11),
        tcp(SRV, CLI, 80, sp, s + len(resp), c + len(req) + 1, 0x11),
        tcp(CLI, SRV, sp, 80, c + len(req) + 1, s + len(resp) + 1, 0x10),
    ]


def dns_pair(i):
    q = struct.pack("!HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0) + b"\x03www\x07example\x03com\x00\x00\x01\x00\x01"
    a = struct.pack("!HHHHHH", i & 0xFFFF, 0x8180, 1, 1, 0, 0) + q[12:] + b"\xc0\x0c" + \
        struct.pack("!HHIH", 1, 1, 300, 4) + bytes([93, 184, 216, 34])
    return [udp(CLI, SRV, 30000 + i % 20000, 53, q), udp(SRV, CLI, 53, 30000 + i % 20000, a)]


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    arp = ETH[6:] * 0 + b"\xff" * 6 + ETH[6:] + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + \
        ETH[6:] + CLI + b"\0" * 6 + SRV + b"\0" * 18
    n, i = 0, 0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        while n < count:
            group = conversation(i) + dns_pair(i) + [udp(CLI, SRV, 40000, 7008, b"WLU1" + bytes(60))]
            if i % 50 == 0:
                group.append(arp)
            for p in group:
                if n >= count:
                    break
                f.write(struct.pack("<IIII", 1_700_000_000 + n // 100000, n % 100000 * 10, len(p), len(p)))
                f.write(p)
                n += 1
            i += 1


main()

#!/usr/bin/python3
"""gen_pcaps.py - writes the sniffer's test corpus: small pcap files built byte by byte here,
never downloaded, each with an .expect.jsonl file saying what the decoder must find in it.

    /usr/bin/python3 tests/sniffer/gen_pcaps.py tests/sniffer/pcaps     # regenerate the corpus

Every packet is built by the helpers below, which also record the layers they wrote and the
fields a correct decoder must report (the --json contract). Truncated variants cut a packet at
every header boundary and one byte inside every header; the expectation follows from where the
cut falls: layers before the cut are complete, the layer the cut falls in is "truncated", no
layer comes after it. The check (check_json.py) compares the sniffer's --json field by field.
"""
import json
import os
import random
import struct
import sys

# ---------------------------------------------------------------- checksums and addresses


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def pseudo_sum(src, dst, proto, length):
    data = src + dst + (struct.pack("!BBH", 0, proto, length) if len(src) == 4
                        else struct.pack("!IxxxB", length, proto))
    if len(data) % 2:
        data += b"\0"
    return fold(sum(struct.unpack("!%dH" % (len(data) // 2), data)))


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


# ---------------------------------------------------------------- packets as layer lists
# A packet under construction is a list of [proto, header bytes, expected fields] from the
# outermost layer in; the payload is the last entry (proto "data", "http", "dns", ...).
# hdr_len says how many of the bytes are header (the rest of a layer's bytes is its payload).


class L:
    def __init__(self, proto, osi, data, fields, hdr_len=None):
        self.proto, self.osi, self.data, self.fields = proto, osi, data, fields
        self.hdr_len = len(data) if hdr_len is None else hdr_len


def eth(dst, src, etype):
    return L("eth", 2, mac(dst) + mac(src) + struct.pack("!H", etype),
             {"src": src, "dst": dst, "type": etype})


def vlan(vid, etype, pcp=0):
    return L("vlan", 2, struct.pack("!HH", pcp << 13 | vid, etype), {"id": vid, "type": etype})


def sll(etype, pkttype=0):
    return L("sll", 2, struct.pack("!HHH8sH", pkttype, 772, 6, b"\0" * 8, etype), {"type": etype})


def sll2(etype, ifindex=1):
    return L("sll", 2, struct.pack("!HHIHBB8s", etype, 0, ifindex, 772, 0, 6, b"\0" * 8),
             {"type": etype})


def null(family, order="<"):
    return L("null", 2, struct.pack(order + "I", family), {"family": family})


def arp(op, sha, spa, tha, tpa):
    data = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac(sha) + ip4(spa) + mac(tha) + ip4(tpa)
    return L("arp", 2, data, {"op": op, "sender_ip": spa, "target_ip": tpa})


def tcp_opts(mss=None, ws=None, sackok=False, ts=None, sack=None):
    o = b""
    if mss is not None:
        o += struct.pack("!BBH", 2, 4, mss)
    if sackok:
        o += b"\x04\x02"
    if ts is not None:
        o += struct.pack("!BBII", 8, 10, ts[0], ts[1])
    if sack:
        o += b"\x01\x01" + struct.pack("!BB", 5, 2 + 8 * len(sack))
        for a, b in sack:
            o += struct.pack("!II", a, b)
    if ws is not None:
        o += b"\x01" + struct.pack("!BBB", 3, 3, ws)
    while len(o) % 4:
        o += b"\0"
    return o


FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]


def tcp(sport, dport, seq, ack, flags, win=65535, opts=b""):
    bits = sum(1 << FLAGS.index(f) for f in flags)
    hl = 20 + len(opts)
    data = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (hl // 4) << 4, bits, win, 0, 0) + opts
    return L("tcp", 4, data, {"sport": sport, "dport": dport, "seq": seq, "ack": ack,
                              "flags": [f for f in FLAGS if f in flags], "window": win,
                              "hdr_len": hl})


def udp(sport, dport):
    return L("udp", 4, struct.pack("!HHHH", sport, dport, 0, 0), {"sport": sport, "dport": dport})


def ipv4(src, dst, proto, ttl=64, ident=1, df=True, mf=False, frag=0, opts=b""):
    hl = 20 + len(opts)
    return L("ipv4", 3, bytearray(struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, 0, ident,
                                              (0x4000 if df else 0) | (0x2000 if mf else 0) | frag // 8,
                                              ttl, proto, 0, ip4(src), ip4(dst)) + opts),
             {"src": src, "dst": dst, "ttl": ttl, "id": ident, "protocol": proto, "hdr_len": hl,
              "df": df, "mf": mf, "frag_offset": frag})


def ipv6(src, dst, nh, hlim=64, ext=()):
    """ext: list of (type, bytes) extension headers, in order; their next-header bytes are set
    here."""
    chain = [t for t, _ in ext] + [nh]
    first = chain[0]
    body = b""
    for i, (t, raw) in enumerate(ext):
        body += bytes([chain[i + 1]]) + raw[1:]
    return L("ipv6", 3, bytearray(struct.pack("!IHBB16s16s", 6 << 28, 0, first, hlim, ip6(src), ip6(dst)) + body),
             {"src": src, "dst": dst, "hop_limit": hlim, "next_header": nh})


def icmp(typ, code, ident=0, seq=0, v6=False):
    return L("icmpv6" if v6 else "icmp", 3, struct.pack("!BBHHH", typ, code, 0, ident, seq),
             {"type": typ, "code": code})


def data(payload, proto="data", osi=7, fields=None):
    f = dict(fields or {})
    if proto == "data" and "wirelab" not in f:
        f.setdefault("len", len(payload))
    return L(proto, osi, payload, f)


def http(text, fields):
    return L("http", 7, text.encode(), fields)


def ws_frame(payload, opcode=1, fin=True, mask=None):
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    mbit = 0x80 if mask else 0
    if n < 126:
        h = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        h = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        h = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask:
        h += mask
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return h + payload, {"fin": fin, "opcode": opcode, "masked": bool(mask), "payload_len": n}


def dns_name(name):
    out = b""
    for part in name.split("."):
        out += bytes([len(part)]) + part.encode()
    return out + b"\0"


def dns(ident, qname, qtype, answers=(), response=False):
    flags = 0x8180 if response else 0x0100
    msg = struct.pack("!HHHHHH", ident, flags, 1, len(answers), 0, 0)
    msg += dns_name(qname) + struct.pack("!HH", qtype, 1)
    for atype, rdata in answers:
        rd = ip4(rdata) if atype == 1 else ip6(rdata)
        msg += b"\xc0\x0c" + struct.pack("!HHIH", atype, 1, 300, len(rd)) + rd
    return L("dns", 7, msg, {"id": ident, "qr": response, "qname": qname, "qtype": qtype,
                             "ancount": len(answers)})


def udp_echo(seq, total, payload_len):
    pl = bytes(ord("a") + (seq + i) % 26 for i in range(payload_len))
    raw = b"WLU1" + struct.pack("!IQII", seq, 1_700_000_000_000_000_000 + seq, total, payload_len) + pl
    return L("data", 7, raw, {"wirelab": "udp_echo", "seq": seq, "total": total,
                              "payload_len": payload_len})


# ---------------------------------------------------------------- assembling a packet


def assemble(layers, cksum="ok", pad_to=0):
    """Fill lengths and checksums from the inside out; return (bytes, expected layers)."""
    blobs = [bytearray(l.data) for l in layers]
    exp = [dict(layer=l.osi, proto=l.proto, **l.fields) for l in layers]
    for i in range(len(layers) - 1, -1, -1):
        l, b = layers[i], blobs[i]
        inner = b"".join(bytes(x) for x in blobs[i + 1:])
        if l.proto == "ipv4":
            struct.pack_into("!H", b, 2, len(b) + len(inner))
            struct.pack_into("!H", b, 10, 0)
            struct.pack_into("!H", b, 10, csum(bytes(b)))
            exp[i]["total_len"] = len(b) + len(inner)
            exp[i]["checksum"] = "ok"
        elif l.proto == "ipv6":
            struct.pack_into("!H", b, 4, len(b) - 40 + len(inner))
            exp[i]["payload_len"] = len(b) - 40 + len(inner)
        elif l.proto == "udp":
            struct.pack_into("!H", b, 4, 8 + len(inner))
            exp[i]["length"] = 8 + len(inner)
            exp[i]["payload_len"] = len(inner)
        elif l.proto == "tcp":
            exp[i]["payload_len"] = len(inner)
    # transport checksums need the IP addresses: find the IP layer before each transport
    for i, l in enumerate(layers):
        if l.proto not in ("tcp", "udp", "icmp", "icmpv6"):
            continue
        ipl = max(j for j in range(i) if layers[j].proto in ("ipv4", "ipv6"))
        src, dst = (bytes(blobs[ipl][12:16]), bytes(blobs[ipl][16:20])) if layers[ipl].proto == "ipv4" \
            else (bytes(blobs[ipl][8:24]), bytes(blobs[ipl][24:40]))
        seg = bytes(blobs[i]) + b"".join(bytes(x) for x in blobs[i + 1:])
        proto = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}[l.proto]
        off = {"tcp": 16, "udp": 6, "icmp": 2, "icmpv6": 2}[l.proto]
        ph = 0 if proto == 1 else pseudo_sum(src, dst, proto, len(seg))
        if cksum == "partial" and proto in (6, 17):
            val = ph
            exp[i]["checksum"] = "unverifiable (offload)"
        else:
            s = ph + (0xFFFF - csum(seg))  # sum of the segment with a zero checksum field
            val = (~fold(s)) & 0xFFFF
            if proto == 17 and val == 0:
                val = 0xFFFF
            if cksum == "bad":
                val ^= 0x5555
            exp[i]["checksum"] = cksum
        struct.pack_into("!H", blobs[i], off, val)
    frame = b"".join(bytes(b) for b in blobs)
    if len(frame) < pad_to:
        frame += b"\0" * (pad_to - len(frame))
    return frame, exp


def boundaries(layers):
    """(start, header end) of each layer in the assembled frame."""
    out, off = [], 0
    for l in layers:
        out.append((off, off + l.hdr_len))
        off += len(l.data)
    return out


def cut_expect(layers, exp, k):
    """What the decoder must report when only the first k bytes were captured."""
    res = []
    for (start, end), e in zip(boundaries(layers), exp):
        if end <= k:
            e = dict(e)
            if e["proto"] in ("tcp", "udp", "icmp", "icmpv6") and "checksum" in e:
                e["checksum"] = "unchecked"  # the bytes it covers were not all captured
            res.append(e)
            continue
        res.append({"layer": e["layer"], "proto": e["proto"], "truncated": True})
        break
    return res


# ---------------------------------------------------------------- pcap files

LINK = {"eth": 1, "null": 0, "raw": 101, "sll": 113, "sll2": 276, "loop": 108, "ipv4": 228,
        "ipv6": 229}


class Pcap:
    """nano: a nanosecond pcap (magic 0xa1b23c4d), whose fraction field counts nanoseconds."""

    def __init__(self, name, link, nano=False):
        self.name, self.link, self.recs, self.nano = name, LINK[link], [], nano

    def add(self, frame, expect, caplen=None, note=None, ts=None, ts_text=False):
        """ts: (seconds, fraction) written as is, valid or not; ts_text: the "ts" the --json
        must print for it (text, to compare digit by digit), or None for an invalid one."""
        n = len(self.recs) + 1
        cap = len(frame) if caplen is None else caplen
        e = {"n": n, "caplen": cap, "len": len(frame), "layers": expect}
        if note:
            e["note"] = note
        if ts_text is not False:
            e["ts"] = ts_text
        self.recs.append((frame[:cap], len(frame), e, ts))

    def write(self, outdir):
        t0 = 1_700_000_000
        magic = 0xA1B23C4D if self.nano else 0xA1B2C3D4
        with open(os.path.join(outdir, self.name + ".pcap"), "wb") as f:
            f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 262144, self.link))
            for i, (b, wire, _, ts) in enumerate(self.recs):
                sec, frac = ts if ts else (t0 + i // 1000, (i % 1000) * 1000 + 1)
                f.write(struct.pack("<IIII", sec, frac, len(b), wire))
                f.write(b)
        with open(os.path.join(outdir, self.name + ".expect.jsonl"), "w") as f:
            for _, _, e, _ in self.recs:
                f.write(json.dumps(e, sort_keys=True) + "\n")


ZERO = "00:00:00:00:00:00"
A, B = "02:00:00:00:00:01", "02:00:00:00:00:02"
C4, S4 = "127.0.0.1", "127.0.0.1"


def conversation(p, link_layers, cli, srv, ip="v4", cksum="ok"):
    """A TCP connection: handshake with options, data both ways, teardown."""
    def pkt(sport, dport, seq, ack, flags, payload=None, opts=b"", src=cli, dst=srv):
        ipl = ipv4(src, dst, 6) if ip == "v4" else ipv6(src, dst, 6)
        ls = link_layers() + [ipl, tcp(sport, dport, seq, ack, flags, opts=opts)]
        if payload is not None:
            ls.append(payload)
        return ls
    c, s = 40000, 7007
    ic, is_ = 1000, 5000
    seqs = [
        pkt(c, s, ic, 0, ["SYN"], opts=tcp_opts(1460, 7, True, (1, 0))),
        pkt(s, c, is_, ic + 1, ["SYN", "ACK"], opts=tcp_opts(1460, 7, True, (2, 1)), src=srv, dst=cli),
        pkt(c, s, ic + 1, is_ + 1, ["ACK"]),
        pkt(c, s, ic + 1, is_ + 1, ["PSH", "ACK"], data(b"hello")),
        pkt(s, c, is_ + 1, ic + 6, ["PSH", "ACK"], data(b"hello"), src=srv, dst=cli),
        pkt(c, s, ic + 6, is_ + 6, ["FIN", "ACK"]),
        pkt(s, c, is_ + 6, ic + 7, ["FIN", "ACK"], src=srv, dst=cli),
        pkt(c, s, ic + 7, is_ + 7, ["ACK"]),
    ]
    for ls in seqs:
        p.add(*assemble(ls, cksum))


def truncations(p, layers, note):
    frame, exp = assemble(layers)
    cuts = set()
    for start, end in boundaries(layers):
        cuts.update({start, start + 1, end - 1, end})
    for k in sorted(cuts):
        if 0 <= k < len(frame):
            p.add(frame, cut_expect(layers, exp, k), caplen=k, note="%s cut at %d" % (note, k))


def build(outdir):
    files = []

    p = Pcap("eth_tcp", "eth")
    conversation(p, lambda: [eth(ZERO, ZERO, 0x0800)], C4, S4, cksum="partial")
    files.append(p)

    p = Pcap("eth_tcp_ok_bad", "eth")
    conversation(p, lambda: [eth(B, A, 0x0800)], "10.0.0.1", "10.0.0.2")
    p.add(*assemble([eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.2", 6),
                     tcp(1, 2, 3, 4, ["PSH", "ACK"]), data(b"xyz")], cksum="bad"))
    # TCP options: SACK blocks, and a padded minimum frame (Ethernet padding is not payload)
    p.add(*assemble([eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.2", 6),
                     tcp(1, 2, 3, 4, ["ACK"], opts=tcp_opts(sack=[(100, 200), (300, 400)]))]))
    p.add(*assemble([eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.2", 6), tcp(1, 2, 3, 4, ["ACK"])],
                    pad_to=60))
    files.append(p)

    p = Pcap("eth_ipv6", "eth")
    conversation(p, lambda: [eth(ZERO, ZERO, 0x86DD)], "::1", "::1", ip="v6")
    hbh = bytes([0, 0, 1, 4, 0, 0, 0, 0])            # hop-by-hop: PadN
    rt = bytes([0, 0, 0, 0, 0, 0, 0, 0])             # routing type 0, segments left 0
    dst = bytes([0, 0, 1, 4, 0, 0, 0, 0])            # destination options: PadN
    ext = [(0, hbh), (43, rt), (60, dst)]
    p.add(*assemble([eth(B, A, 0x86DD), ipv6("2001:db8::1", "2001:db8:0:1::2", 17, ext=ext),
                     udp(5000, 6000), data(b"ipv6 with extension headers")]))
    frag = struct.pack("!BBHI", 0, 0, 0 | 1, 0xABCD)  # offset 0, M=1
    p.add(*assemble([eth(B, A, 0x86DD), ipv6("fe80::1", "fe80::2", 17, ext=[(44, frag)]),
                     udp(5000, 6000), data(b"first fragment")]))
    frag2 = struct.pack("!BBHI", 0, 0, 1480 | 0, 0xABCD)
    l6 = ipv6("fe80::1", "fe80::2", 17, ext=[(44, frag2)])
    p.add(*assemble([eth(B, A, 0x86DD), l6, data(b"later fragment: no UDP header here")]))
    p.add(assemble([eth(B, A, 0x86DD), ipv6("2001:db8::1", "2001:db8::2", 58),
                     icmp(128, 0, 7, 1, v6=True), data(b"ping6", proto="data")])[0],
          [dict(layer=2, proto="eth"), dict(layer=3, proto="ipv6", next_header=58),
           dict(layer=3, proto="icmpv6", type=128, code=0, checksum="ok")])
    files.append(p)

    p = Pcap("link_sll", "sll")
    conversation(p, lambda: [sll(0x0800)], C4, S4, cksum="partial")
    files.append(p)
    p = Pcap("link_sll2", "sll2")
    conversation(p, lambda: [sll2(0x0800)], C4, S4)
    p.add(*assemble([sll2(0x86DD), ipv6("::1", "::1", 17), udp(1, 2), data(b"x")]))
    files.append(p)
    p = Pcap("link_null", "null")
    conversation(p, lambda: [null(2)], C4, S4)
    p.add(*assemble([null(30), ipv6("::1", "::1", 17), udp(1, 2), data(b"macOS IPv6")]))
    p.add(assemble([null(2, ">"), ipv4(C4, S4, 17), udp(1, 2), data(b"big-endian capture")])[0],
          [dict(layer=2, proto="null", family=2), dict(layer=3, proto="ipv4"),
           dict(layer=4, proto="udp"), dict(layer=7, proto="data")])
    files.append(p)
    p = Pcap("link_raw", "raw")
    conversation(p, lambda: [], "192.168.1.10", "192.168.1.20")
    p.add(*assemble([ipv6("::1", "::1", 17), udp(1, 2), data(b"raw v6")]))
    files.append(p)

    p = Pcap("vlan_arp", "eth")
    p.add(*assemble([eth("ff:ff:ff:ff:ff:ff", A, 0x0806), arp(1, A, "10.0.0.1", ZERO, "10.0.0.2")],
                    pad_to=60))
    p.add(*assemble([eth(A, B, 0x0806), arp(2, B, "10.0.0.2", A, "10.0.0.1")], pad_to=60))
    p.add(*assemble([eth(B, A, 0x8100), vlan(42, 0x0800, pcp=5), ipv4("10.0.0.1", "10.0.0.2", 17),
                     udp(1000, 2000), data(b"tagged")]))
    p.add(*assemble([eth(B, A, 0x88A8), vlan(100, 0x8100), vlan(42, 0x0806),
                     arp(1, A, "10.0.0.1", ZERO, "10.0.0.2")]))
    files.append(p)

    p = Pcap("ipv4_opts_frag_icmp", "eth")
    rr = bytes([7, 7, 4, 0, 0, 0, 0]) + b"\x00"       # record route (one slot) + EOL
    p.add(*assemble([eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.2", 17, opts=rr), udp(1, 2),
                     data(b"options")]))
    p.add(*assemble([eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.2", 17, ident=77, df=False, mf=True),
                     udp(1, 2), data(b"A" * 32)]))
    lf = ipv4("10.0.0.1", "10.0.0.2", 17, ident=77, df=False, frag=40)
    p.add(*assemble([eth(B, A, 0x0800), lf, data(b"B" * 24)]))
    for typ, ident in ((8, 1), (0, 1)):
        fr, ex = assemble([eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.2", 1), icmp(typ, 0, 99, 3),
                           data(b"abcdefgh")])
        p.add(fr, [ex[0], ex[1], dict(layer=3, proto="icmp", type=typ, code=0, checksum="ok")])
    # port unreachable: the error quotes the IP header and first 8 bytes of the datagram
    # it is about, which the decoder shows as more layers (the quoted UDP's payload is cut)
    quoted, qex = assemble([ipv4("10.0.0.1", "10.0.0.2", 17), udp(40000, 33434), data(b"z" * 20)])
    fr, ex = assemble([eth(A, B, 0x0800), ipv4("10.0.0.2", "10.0.0.1", 1), icmp(3, 3),
                       data(quoted[:28])])
    qex[1]["checksum"] = "unchecked"
    p.add(fr, [ex[0], ex[1], dict(layer=3, proto="icmp", type=3, code=3, checksum="ok"), qex[0],
               qex[1], dict(layer=7, proto="data", truncated=True)],
          note="ICMP port unreachable quoting a UDP datagram")
    files.append(p)

    p = Pcap("dns", "eth")
    p.add(*assemble([eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.53", 17), udp(33000, 53),
                     dns(0x1234, "example.com", 1)]))
    p.add(*assemble([eth(A, B, 0x0800), ipv4("10.0.0.53", "10.0.0.1", 17), udp(53, 33000),
                     dns(0x1234, "example.com", 1, [(1, "93.184.216.34"), (1, "93.184.216.35")],
                         response=True)]))
    p.add(*assemble([eth(A, B, 0x86DD), ipv6("2001:db8::53", "2001:db8::1", 17), udp(53, 33001),
                     dns(7, "wirelab.test", 28, [(28, "2001:db8::7")], response=True)]))
    files.append(p)

    p = Pcap("http_ws", "eth")
    web(p)
    files.append(p)

    p = Pcap("socketio", "eth")
    engineio(p)
    files.append(p)

    p = Pcap("wirelab", "eth")
    for seq in range(3):
        p.add(*assemble([eth(ZERO, ZERO, 0x0800), ipv4(C4, S4, 17), udp(45000, 7008),
                         udp_echo(seq, 3, 16)]))
    seq = {True: 1, False: 1}  # a client talking to queue_broker on its default port 7010
    for client, line in ((True, b"PUSH jobs build-42\n"), (False, b"OK 1\n"),
                         (True, b"SUB news FROM 0\n"), (False, b"EVENT news 1 first\n"),
                         (True, b"HELLO\n"),
                         (False, b"ERR unknown command 'HELLO' (try PUSH PULL ACK PUB SUB QUIT)\n")):
        verb = line.split()[0].decode()
        sp, dp = (41000, 7010) if client else (7010, 41000)
        payload = data(line, fields={"wirelab": "queue", "verb": verb}) if verb != "HELLO" else data(line)
        p.add(*assemble([eth(ZERO, ZERO, 0x0800), ipv4(C4, S4, 6),
                         tcp(sp, dp, seq[client], seq[not client], ["PSH", "ACK"]), payload]))
        seq[client] += len(line)
    files.append(p)

    p = Pcap("truncated", "eth")
    truncations(p, [eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.2", 6, opts=rr),
                    tcp(1, 2, 3, 4, ["PSH", "ACK"], opts=tcp_opts(ts=(1, 2))), data(b"payload!")],
                "eth/ipv4+opts/tcp+opts/data")
    truncations(p, [eth(B, A, 0x8100), vlan(5, 0x86DD), ipv6("::1", "::2", 17, ext=[(0, hbh)]),
                    udp(1, 53), dns(1, "a.example", 1)], "eth/vlan/ipv6+hbh/udp/dns")
    truncations(p, [eth(B, A, 0x0806), arp(1, A, "10.0.0.1", ZERO, "10.0.0.2")], "eth/arp")
    truncations(p, [eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.2", 1), icmp(8, 0, 1, 1)],
                "eth/ipv4/icmp")
    files.append(p)
    p = Pcap("truncated_sll2", "sll2")
    truncations(p, [sll2(0x0800), ipv4(C4, S4, 17), udp(1, 2), data(b"abc")], "sll2/ipv4/udp/data")
    files.append(p)
    p = Pcap("truncated_null", "null")
    truncations(p, [null(2), ipv4(C4, S4, 17), udp(1, 2), data(b"abc")], "null/ipv4/udp/data")
    files.append(p)

    window_scale(files)
    timestamps(files)
    exactness(files)
    tcpdump_lines(files)
    lying(files)
    garbage(files)
    for f in files:
        f.write(outdir)
    return files


def web(p):
    """HTTP upgrade to WebSocket, then frames: several in one segment, one cut at the segment's
    end, a masked client frame and a 16-bit length."""
    cli, srv = 52000, 8080
    link = lambda: [eth(ZERO, ZERO, 0x0800), ipv4(C4, S4, 6)]
    req = ("GET /chat?room=a%20b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n")
    resp = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    seq_c, seq_s = 100, 900
    def seg(src_is_client, payload_layers, flags=("PSH", "ACK"), expect=None, note=None):
        nonlocal seq_c, seq_s
        sp, dp = (cli, srv) if src_is_client else (srv, cli)
        s, a = (seq_c, seq_s) if src_is_client else (seq_s, seq_c)
        fr, ex = assemble(link() + [tcp(sp, dp, s, a, list(flags))] + payload_layers)
        n = len(fr) - 54
        if src_is_client:
            seq_c += n + (1 if "SYN" in flags or "FIN" in flags else 0)
        else:
            seq_s += n + (1 if "SYN" in flags or "FIN" in flags else 0)
        p.add(fr, ex if expect is None else ex[:3] + expect, note=note)
    seg(True, [], ("SYN",))
    seg(False, [], ("SYN", "ACK"))
    seg(True, [], ("ACK",))
    seg(True, [http(req, {"method": "GET", "uri": "/chat?room=a%20b"})])
    seg(False, [http(resp, {"status": 101})])
    f1, e1 = ws_frame(b"hello", mask=b"\x01\x02\x03\x04")
    seg(True, [L("websocket", 7, f1, e1)])
    f2, e2 = ws_frame(b"hello")
    f3, e3 = ws_frame(b"x" * 300, opcode=2)
    f4, e4 = ws_frame(b"", opcode=9)
    seg(False, [L("websocket", 7, f2, e2), L("websocket", 7, f3, e3), L("websocket", 7, f4, e4)])
    # a frame header cut by the segment's end: a 16-bit length header needs 4 bytes, we send 3;
    # the next segment brings the 4th byte, the payload and another frame
    f5, e5 = ws_frame(b"y" * 200, opcode=1)
    f6, e6 = ws_frame(b"bye")
    ws = lambda e: dict(layer=7, proto="websocket", **e)
    seg(False, [L("websocket", 7, f2 + f5[:3], {})],
        expect=[ws(e2), dict(layer=7, proto="websocket", truncated=True)],
        note="frame header cut at the segment end")
    seg(False, [L("websocket", 7, f5[3:] + f6, {})], expect=[ws(e5), ws(e6)],
        note="the rest of the cut header, its payload, one more frame")
    # a frame whose payload goes on in the next segment, which then starts a close frame
    f7, e7 = ws_frame(bytes(range(256)) * 4, opcode=2)
    f8, e8 = ws_frame(b"\x03\xe8", opcode=8)
    seg(False, [L("websocket", 7, f7[:404], {})], expect=[ws(e7)], note="payload continues")
    seg(False, [L("websocket", 7, f7[404:] + f8, {})], expect=[ws(e8)],
        note="the rest of that payload, then a close frame")
    # rules ws_frame_header_check names: a client frame must be masked (RFC 6455 5.1), a control
    # frame carries at most 125 bytes (5.5)
    f9, e9 = ws_frame(b"not masked")
    seg(True, [L("websocket", 7, f9, e9)], expect=[dict(ws(e9), invalid=True)],
        note="an unmasked client frame")
    f10, e10 = ws_frame(b"p" * 126, opcode=9)
    seg(False, [L("websocket", 7, f10, e10)], expect=[dict(ws(e10), invalid=True)],
        note="a ping longer than 125 bytes")


class Flow:
    """One TCP connection's segments (no handshake: the decoder needs none) with running
    sequence numbers; add() appends a packet whose expected layers after tcp are `expect`."""

    def __init__(self, p, cli, srv):
        self.p, self.cli, self.srv, self.seq = p, cli, srv, {True: 100, False: 900}

    def add(self, from_client, payload, expect, caplen=None, note=None):
        sp, dp = (self.cli, self.srv) if from_client else (self.srv, self.cli)
        fr, ex = assemble([eth(ZERO, ZERO, 0x0800), ipv4(C4, S4, 6),
                           tcp(sp, dp, self.seq[from_client], self.seq[not from_client],
                               ["PSH", "ACK"]), data(payload)])
        self.seq[from_client] += len(payload)
        if caplen is not None:
            ex[2]["checksum"] = "unchecked"
        self.p.add(fr, ex[:3] + expect, caplen=caplen, note=note)


def http_msg(head, body=b""):
    return head.replace("\n", "\r\n").encode() + b"\r\n" + body


def engineio(p):
    """Engine.IO v4 / Socket.IO v5 as events_server speaks it: long-polling (the handshake in a
    text/plain response, a POST body of two packets joined by 0x1e), then a WebSocket upgrade
    whose frames each carry one packet. The expected "socketio" field is the sniffer's layer-7
    text, written out here by hand from the Socket.IO protocol; null means "must be absent"."""
    RS = b"\x1e"
    web = lambda k, **f: dict(layer=7, proto=k, **f)
    poll = Flow(p, 53000, 8080)
    poll.add(True, http_msg("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\nHost: 127.0.0.1\n"),
             [web("http", method="GET", uri="/socket.io/?EIO=4&transport=polling", socketio=None)],
             note="polling handshake request: no body")
    hs = b'0{"sid":"Xy7","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'
    poll.add(False, http_msg("HTTP/1.1 200 OK\nContent-Type: text/plain; charset=UTF-8\n"
                             "Content-Length: %d\n" % len(hs), hs),
             [web("http", status=200, socketio="engine.io OPEN " + hs[1:].decode())],
             note="the Engine.IO handshake in a text/plain body")
    body = b"40" + RS + b'42["message","hi"]'
    poll.add(True, http_msg("POST /socket.io/?EIO=4&transport=polling&sid=Xy7 HTTP/1.1\n"
                            "Content-Type: text/plain;charset=UTF-8\nContent-Length: %d\n" % len(body),
                            body),
             [web("http", method="POST", socketio='socket.io CONNECT /; socket.io EVENT / ["message","hi"]')],
             note="a POST body of two packets joined by 0x1e")
    poll.add(False, http_msg("HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: 2\n", b"ok"),
             [web("http", status=200, socketio=None)], note="the POST's answer: not Engine.IO")
    news = b'42["news","a long message that the snapshot length cuts"]'
    head = http_msg("HTTP/1.1 200 OK\nContent-Type: text/plain; charset=UTF-8\n"
                    "Content-Length: %d\n" % len(news))
    poll.add(False, head + news,
             [web("http", status=200, socketio='socket.io EVENT / ["news","a lo [truncated]')],
             caplen=54 + len(head) + 15, note="a polling body cut by the snapshot length")
    other = Flow(p, 53002, 8081)
    other.add(True, http_msg("GET /notes.txt HTTP/1.1\nHost: 127.0.0.1\n"),
              [web("http", method="GET", uri="/notes.txt", socketio=None)])
    other.add(False, http_msg("HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 8\n",
                              b"4 apples"),
              [web("http", status=200, socketio=None)],
              note="text/plain on a flow that never asked for EIO=: not Engine.IO")

    ws = Flow(p, 53001, 8080)
    ws.add(True, http_msg("GET /socket.io/?EIO=4&transport=websocket&sid=Xy7 HTTP/1.1\n"
                          "Host: 127.0.0.1:8080\nUpgrade: websocket\nConnection: Upgrade\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n"),
           [web("http", method="GET", socketio=None)])
    ws.add(False, http_msg("HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n"
                           "Connection: Upgrade\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n"),
           [web("http", status=101, socketio=None)])
    mask = b"\x37\xfa\x21\x3d"

    def frames(from_client, items, note=None):
        raw, exp = b"", []
        for payload, opcode, desc in items:
            f, e = ws_frame(payload, opcode=opcode, mask=mask if from_client else None)
            raw += f
            exp.append(web("websocket", socketio=desc, **e))
        ws.add(from_client, raw, exp, note=note)
    frames(True, [(b"2probe", 1, "engine.io PING probe")])
    frames(False, [(b"3probe", 1, "engine.io PONG probe")])
    frames(True, [(b"5", 1, "engine.io UPGRADE")])
    frames(True, [(b'42["message","hi"]', 1, 'socket.io EVENT / ["message","hi"]')],
           note="a masked EVENT in the main namespace")
    frames(True, [(b'42/chat,12["message","hi"]', 1, 'socket.io EVENT /chat ["message","hi"] ack=12')],
           note="a masked EVENT in /chat asking for ack 12")
    frames(False, [(b'43/chat,12["ok"]', 1, 'socket.io ACK /chat ["ok"] ack=12')])
    frames(True, [(b'451-["up",{"_placeholder":true,"num":0}]', 1,
                   'socket.io BINARY_EVENT / ["up",{"_placeholder":true,"num":0}] attachments=1'),
                  (b"\x01\x02\x03", 2, "engine.io MESSAGE binary 3 bytes (a Socket.IO attachment)")],
           note="a BINARY_EVENT and its attachment, two frames in one segment")
    frames(False, [(b"2", 1, "engine.io PING")])
    frames(True, [(b"3", 1, "engine.io PONG")])
    frames(False, [(b"", 9, None)], note="a WebSocket ping (control frame): not Engine.IO")

    plain = Flow(p, 53003, 8080)  # a WebSocket that is not Engine.IO: its text stays text
    plain.add(True, http_msg("GET /chat HTTP/1.1\nHost: 127.0.0.1:8080\nUpgrade: websocket\n"
                             "Connection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n"
                             "Sec-WebSocket-Version: 13\n"), [web("http", method="GET")])
    plain.add(False, http_msg("HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n"
                              "Connection: Upgrade\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n"),
              [web("http", status=101)])
    f, e = ws_frame(b'42["message","hi"]', mask=mask)
    plain.add(True, f, [web("websocket", socketio=None, **e)],
              note="Socket.IO-looking text on a plain WebSocket: not described")


def window_scale(files):
    """Window scaling (RFC 7323): the same window field read four ways. Port 40001: both SYNs
    carry the option (client shift 10, server 7), so the client's window 64 is 65536 bytes and
    the server's 502 is 64256. Port 40002: the SYN,ACK has no option, so nothing is scaled.
    Port 40003: the capture starts after the handshake, so the scale is unknown. A SYN's own
    window is never scaled."""
    p = Pcap("tcp_wscale", "eth")
    cli, srv = "10.0.0.1", "10.0.0.2"

    def seg(c2s, port, seq, ack, flags, win, opts=b"", payload=None):
        sp, dp = (port, 7007) if c2s else (7007, port)
        ls = [eth(B, A, 0x0800) if c2s else eth(A, B, 0x0800),
              ipv4(cli, srv, 6) if c2s else ipv4(srv, cli, 6),
              tcp(sp, dp, seq, ack, flags, win=win, opts=opts)]
        if payload is not None:
            ls.append(data(payload))
        p.add(*assemble(ls))
    for port, srv_ws in ((40001, 7), (40002, None)):
        seg(True, port, 1000, 0, ["SYN"], 64240, tcp_opts(1460, 10, True))
        seg(False, port, 5000, 1001, ["SYN", "ACK"], 65160, tcp_opts(1460, srv_ws, True))
        seg(True, port, 1001, 5001, ["ACK"], 64)
        seg(True, port, 1001, 5001, ["PSH", "ACK"], 64, payload=b"hello")
        seg(False, port, 5001, 1006, ["ACK"], 502)
    seg(True, 40003, 9000, 7000, ["PSH", "ACK"], 64, payload=b"mid-stream")
    files.append(p)

    # Retransmissions, timed (the ladder explains each): a fast retransmit after one duplicate
    # ACK with SACK, then the same bytes again by timer at 200 ms and 400 ms (back-off), and a
    # segment resent although its ACK is in the capture (that ACK was lost after it).
    p = Pcap("tcp_retrans", "eth")
    t0 = 1_700_000_000

    def at(ms, c2s, seq, ack, flags, opts=b"", payload=None):
        ls = [eth(B, A, 0x0800) if c2s else eth(A, B, 0x0800),
              ipv4(cli, srv, 6) if c2s else ipv4(srv, cli, 6),
              tcp(40004, 7007, seq, ack, flags, opts=opts) if c2s
              else tcp(7007, 40004, seq, ack, flags, opts=opts)]
        if payload is not None:
            ls.append(data(payload))
        frame, exp = assemble(ls)
        p.add(frame, exp, ts=(t0, ms * 1000))
    c, s = 1000, 5000
    at(0, True, c, 0, ["SYN"])
    at(1, False, s, c + 1, ["SYN", "ACK"])
    at(2, True, c + 1, s + 1, ["ACK"])
    at(3, True, c + 1, s + 1, ["ACK"], payload=b"a" * 100)         # frame 4: lost
    at(4, True, c + 101, s + 1, ["PSH", "ACK"], payload=b"b" * 100)
    at(5, False, s + 1, c + 1, ["ACK"], opts=tcp_opts(sack=[(c + 101, c + 201)]))  # duplicate
    at(6, True, c + 1, s + 1, ["ACK"], payload=b"a" * 100)         # 7: fast retransmit
    at(206, True, c + 1, s + 1, ["ACK"], payload=b"a" * 100)       # 8: timer
    at(606, True, c + 1, s + 1, ["ACK"], payload=b"a" * 100)       # 9: timer, 2x (back-off)
    at(607, False, s + 1, c + 201, ["ACK"])
    at(608, True, c + 201, s + 1, ["PSH", "ACK"], payload=b"c" * 100)
    at(609, False, s + 1, c + 301, ["ACK"])                        # 12: lost after capture
    at(809, True, c + 201, s + 1, ["PSH", "ACK"], payload=b"c" * 100)  # 13: timer
    files.append(p)


def timestamps(files):
    """A pcap's seconds are unsigned 32-bit (valid until 2106); its fraction field can hold any
    32-bit value, and one out of range is an invalid time, never a wrong one."""
    frame, exp = assemble([ipv4("10.0.0.1", "10.0.0.2", 17), udp(1, 2), data(b"t")])
    p = Pcap("timestamps", "raw")
    for sec, usec, text, note in [
            (0xFFFFFFFF, 0, "4294967295.000000", "the last second a pcap can hold (2106)"),
            (0xFFFFFFFF, 500000, "4294967295.500000", "half a second later: the ladder says 0.500000"),
            (0x7FFFFFFF, 999999, "2147483647.999999", "the last second of signed 32-bit time (2038)"),
            (0x80000000, 1, "2147483648.000001", "one second after 2038: not negative"),
            (1418145370, 0x80000000, None, "microseconds 2^31: invalid, not .-2147483648"),
            (1418145370, 1000000, None, "microseconds 10^6: invalid, not .1000000"),
            (1418145370, 999999, "1418145370.999999", "the largest valid microseconds")]:
        p.add(frame, exp, ts=(sec, usec), ts_text=text, note=note)
    files.append(p)
    p = Pcap("timestamps_ns", "raw", nano=True)
    for sec, nsec, text, note in [
            (0xF0000000, 999999999, "4026531840.999999999", "a nanosecond file, after 2038"),
            (1418145370, 1000000000, None, "nanoseconds 10^9: invalid"),
            (1418145370, 0xFFFFFFFF, None, "nanoseconds 2^32-1: invalid (divided by 1000 it looks fine)"),
            (1418145370, 1, "1418145370.000000001", "one nanosecond")]:
        p.add(frame, exp, ts=(sec, nsec), ts_text=text, note=note)
    files.append(p)


def dns_tcp(ident, qname, qtype, answers=(), response=False):
    """DNS over TCP: the message after a 2-byte length (RFC 1035 4.2.2)."""
    m = dns(ident, qname, qtype, answers, response)
    return L("dns", 7, struct.pack("!H", len(m.data)) + m.data, dict(m.fields, tcp=True))


def exactness(files):
    """Each case where the decoder once differed from tcpdump and Wireshark."""
    E = lambda: eth(B, A, 0x0800)
    p = Pcap("exactness", "eth")
    # total length 0 (TSO / BIG TCP): the frame's length is taken and decoding goes on
    fr, ex = assemble([E(), ipv4("10.0.0.1", "10.0.0.2", 6), tcp(1, 2, 3, 4, ["PSH", "ACK"]),
                       data(b"tso payload")])
    b = bytearray(fr)
    struct.pack_into("!H", b, 16, 0)
    struct.pack_into("!H", b, 24, 0)
    struct.pack_into("!H", b, 24, csum(bytes(b[14:34])))
    ex[1].update(total_len=0, len_from_frame=True)
    ex[2]["checksum"] = "ok"
    p.add(bytes(b), ex, note="IPv4 total length 0: the frame's length is taken")
    fr, ex = assemble([eth(B, A, 0x86DD), ipv6("2001:db8::1", "2001:db8::2", 17), udp(1, 2),
                       data(b"jumbo")])
    b = bytearray(fr)
    struct.pack_into("!H", b, 14 + 4, 0)
    ex[1].update(payload_len=0, len_from_frame=True)
    p.add(bytes(b), ex, note="IPv6 payload length 0: the frame's length is taken")
    # a capture that ends inside the options still shows the fixed header before them
    rr = bytes([7, 11, 4]) + b"\0" * 8 + b"\x00"        # record route, two slots, then EOL
    fr, ex = assemble([E(), ipv4("10.0.0.1", "10.0.0.2", 6, opts=rr), tcp(1, 2, 3, 4, ["ACK"])])
    p.add(fr, [ex[0], dict(layer=3, proto="ipv4", truncated=True, options_truncated=True,
                           src="10.0.0.1", dst="10.0.0.2", ttl=64, hdr_len=32)],
          caplen=14 + 26, note="cut inside the IPv4 options")
    fr, ex = assemble([E(), ipv4("10.0.0.1", "10.0.0.2", 6),
                       tcp(40000, 22, 3, 4, ["SYN"], opts=tcp_opts(1460, 7, True, (1, 0)))])
    p.add(fr, [ex[0], ex[1], dict(layer=4, proto="tcp", truncated=True, options_truncated=True,
                                  sport=40000, dport=22, seq=3, flags=["SYN"], hdr_len=40)],
          caplen=14 + 20 + 30, note="cut inside the TCP options")
    # ARP over a hardware address of 8 bytes still has its IPv4 addresses
    a8 = struct.pack("!HHBBH", 6, 0x0800, 8, 4, 1) + b"\x11" * 8 + ip4("10.0.0.1") + b"\0" * 8 + ip4("10.0.0.2")
    p.add(*assemble([eth("ff:ff:ff:ff:ff:ff", A, 0x0806),
                     L("arp", 2, a8, {"op": 1, "hlen": 8, "sender_ip": "10.0.0.1",
                                      "target_ip": "10.0.0.2"})]),
          note="ARP with 8-byte hardware addresses")
    # DNS over TCP, DNS on another port, a record type nobody names
    p.add(*assemble([E(), ipv4("10.0.0.1", "10.0.0.53", 6), tcp(33000, 53, 3, 4, ["PSH", "ACK"]),
                     dns_tcp(0x4444, "tcp.example", 1)]), note="DNS over TCP")
    p.add(*assemble([E(), ipv4("10.0.0.1", "10.0.0.53", 17), udp(33000, 5300),
                     dns(0x5555, "other.port.example", 28)]), note="DNS on UDP port 5300")
    p.add(*assemble([E(), ipv4("10.0.0.1", "10.0.0.53", 17), udp(33000, 5300), data(b"hello, not DNS at all")]),
          note="text on UDP port 5300: not DNS")
    # a first fragment: its UDP header counts the whole datagram, the rest comes later
    fr, ex = assemble([E(), ipv4("10.0.0.1", "10.0.0.2", 17, ident=9, df=False, mf=True),
                       udp(5000, 6000), data(b"F" * 1472)])
    b = bytearray(fr)
    struct.pack_into("!H", b, 14 + 24, 8 + 3000)   # the datagram is 3000 bytes; this carries 1472
    ex[2].update(length=3008, payload_len=3000, checksum="unchecked")
    ex[3].update(len=3000, fragment=True)
    p.add(bytes(b), ex, note="first fragment: fragment, not truncated")
    files.append(p)
    # link type 229 carries IPv6 only: a packet that says IPv4 is an invalid IPv6 packet
    p = Pcap("link_ipv6_only", "ipv6")
    fr, ex = assemble([ipv4("10.0.0.1", "10.0.0.2", 17), udp(1, 2), data(b"v4")])
    p.add(fr, [dict(layer=3, proto="ipv6", invalid=True)], note="IPv4 on link type 229")
    p.add(*assemble([ipv6("::1", "::2", 17), udp(1, 2), data(b"v6")]), note="IPv6 on link type 229")
    files.append(p)


def dns_full(ident, flags, questions, answers=(), ns=0, opt=False):
    """A DNS message with its flags as given; questions [(name, type)], answers [(type, rdata
    bytes)] for the first question's name; opt adds an EDNS OPT record (RFC 6891)."""
    msg = struct.pack("!HHHHHH", ident, flags, len(questions), len(answers), 0, 1 if opt else 0)
    for name, qtype in questions:
        msg += dns_name(name) + struct.pack("!HH", qtype, 1)
    for atype, rdata in answers:
        msg += b"\xc0\x0c" + struct.pack("!HHIH", atype, 1, 300, len(rdata)) + rdata
    if opt:
        msg += b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
    return L("dns", 7, msg, {"id": ident})


def tcpdump_lines(files):
    """tcpdump_lines.pcap: one of each thing the default view shows, for the line-by-line
    comparison with Debian's tcpdump -nn (tcpdump_lines.sh). No expectations of its own beyond
    the layer names: the reference is tcpdump."""
    p = Pcap("tcpdump_lines", "eth")
    E, E6 = (lambda: eth(B, A, 0x0800)), (lambda: eth(B, A, 0x86DD))
    ip = lambda proto, s="10.0.0.1", d="10.0.0.2", **k: ipv4(s, d, proto, **k)
    add = lambda layers, note, **k: p.add(assemble(layers, **k)[0], None, note=note)
    # a TCP conversation: handshake with options, data both ways, teardown
    conversation(p, lambda: [eth(B, A, 0x0800)], "10.0.0.1", "10.0.0.2")
    p.recs = [(b, w, dict(e, layers=None), ts) for b, w, e, ts in p.recs]
    # flags in tcpdump's order, the urgent pointer, ECN
    add([E(), ip(6), tcp(40001, 80, 1, 0, ["SYN", "ECE", "CWR"])], "ECN-setup SYN [SEW]")
    add([E(), ip(6), tcp(40001, 80, 1, 2, ["PSH", "ACK", "ECE"]), data(b"x")], "[P.E]")
    add([E(), ip(6), tcp(40001, 80, 1, 2, FLAGS), data(b"y")], "every flag [FSRP.UEW]")
    urg = bytearray(assemble([E(), ip(6), tcp(40001, 80, 5, 6, ["PSH", "ACK", "URG"]),
                              data(b"urgent")])[0])
    struct.pack_into("!H", urg, 14 + 20 + 18, 3)
    urg[14 + 20 + 16:14 + 20 + 18] = b"\0\0"
    p.add(bytes(urg), None, note="urg 3 (checksum left 0)")
    add([E(), ip(6), tcp(40001, 80, 1, 2, ["RST"])], "RST")
    # options: more than 8, SACK, TFO, MPTCP, md5, UTO, an experiment, an unknown kind
    many = b"\x01" * 10 + b"\x03\x03\x07" + b"\x01\x01\x01"
    add([E(), ip(6), tcp(22, 40002, 7, 8, ["SYN", "ACK"], opts=many)], "wscale after 10 nops")
    add([E(), ip(6), tcp(40002, 22, 8, 8, ["ACK"], opts=tcp_opts(sack=[(100, 200), (300, 400)]))], "SACK")
    tfo = b"\x22\x0a" + bytes(range(8)) + b"\x01\x01"
    add([E(), ip(6), tcp(40003, 80, 9, 0, ["SYN"], opts=tfo)], "TFO cookie")
    add([E(), ip(6), tcp(40003, 80, 9, 0, ["SYN"], opts=b"\x22\x02\x01\x01")], "TFO cookie request")
    mptcp = b"\x1e\x0c\x00\x81" + bytes(range(8))
    add([E(), ip(6), tcp(40004, 80, 9, 0, ["SYN"], opts=mptcp)], "MPTCP capable")
    add([E(), ip(6), tcp(40005, 80, 9, 0, ["SYN"], opts=b"\x1c\x04\x80\x3c")], "UTO")
    add([E(), ip(6), tcp(40006, 80, 9, 0, ["SYN"], opts=b"\xfe\x06\xf9\x89\x01\x02\x01\x01")], "exp TFO magic")
    add([E(), ip(6), tcp(40006, 80, 9, 0, ["SYN"], opts=b"\xfe\x04\x12\x34")], "exp other")
    add([E(), ip(6), tcp(40007, 80, 9, 0, ["SYN"], opts=b"\x63\x04\xab\xcd")], "unknown option 99")
    # UDP, DNS as tcpdump writes it
    add([E(), ip(17), udp(5000, 6000), data(b"datagram")], "UDP")
    add([E(), ip(17, d="10.0.0.53"), udp(33000, 53),
         dns_full(22836, 0x0100, [("www.tcpdump.org", 1)], opt=True)], "DNS query RD [1au]")
    add([E(), ip(17, s="10.0.0.53"), udp(53, 33000),
         dns_full(22836, 0x8180, [("www.tcpdump.org", 1)], [(1, ip4("192.0.2.1")), (1, ip4("192.0.2.2"))], opt=True)],
        "DNS answer 2/0/1")
    add([E(), ip(17, s="10.0.0.53"), udp(53, 33000),
         dns_full(7, 0x8183, [("nx.example", 28)])], "DNS NXDomain")
    add([E(), ip(17, s="10.0.0.53"), udp(53, 33000),
         dns_full(8, 0x8580, [("www.example", 1)], [(5, dns_name("web.example")), (28, ip6("2001:db8::1"))])],
        "DNS authoritative CNAME + AAAA")
    add([E(), ip(17, d="10.0.0.53"), udp(33000, 53), dns_full(9, 0x0000, [("odd.example", 65280)])],
        "DNS unknown type, no RD")
    add([E(), ip(17, s="10.0.0.53"), udp(53, 33000),
         dns_full(9, 0x8080, [("odd.example", 65280)], [(65280, b"\x01\x02")])], "DNS unknown type answer, no RA")
    add([E(), ip(6, d="10.0.0.53"), tcp(33001, 53, 1, 1, ["PSH", "ACK"]),
         dns_tcp(0x4444, "tcp.example", 1)], "DNS over TCP")
    # ICMP
    add([E(), ip(1), icmp(8, 0, 7, 1), data(b"ping")], "echo request")
    add([E(), ip(1, s="10.0.0.2", d="10.0.0.1"), icmp(0, 0, 7, 1), data(b"ping")], "echo reply")
    quoted_udp = assemble([ip(17), udp(40000, 33434), data(b"z" * 20)])[0][:28]
    quoted_tcp = assemble([ip(6), tcp(40000, 7007, 1, 0, ["SYN"])])[0][:28]
    for code, q, mtu in ((3, quoted_udp, 0), (3, quoted_tcp, 0), (1, quoted_udp, 0), (0, quoted_udp, 0),
                         (2, quoted_udp, 0), (4, quoted_udp, 1400), (13, quoted_udp, 0), (10, quoted_udp, 0)):
        ic = icmp(3, code, 0, mtu)
        add([E(), ip(1, s="10.0.0.254", d="10.0.0.1"), ic, data(q)], "unreachable code %d" % code)
    add([E(), ip(1, s="10.0.0.254", d="10.0.0.1"), icmp(11, 0), data(quoted_udp)], "time exceeded")
    # ICMPv6
    v6 = lambda nh, s="2001:db8::1", d="2001:db8::2", **k: ipv6(s, d, nh, **k)
    add([E6(), v6(58), icmp(128, 0, 3, 4, v6=True), data(b"ping6")], "ICMPv6 echo request")
    add([E6(), v6(58, s="2001:db8::2", d="2001:db8::1"), icmp(129, 0, 3, 4, v6=True), data(b"ping6")],
        "ICMPv6 echo reply")
    ns = struct.pack("!BBHI", 135, 0, 0, 0) + ip6("2001:db8::2") + b"\x01\x01" + mac(A)
    add([E6(), v6(58, d="ff02::1:ff00:2", hlim=255), L("icmpv6", 3, ns, {})], "neighbor solicitation")
    na = struct.pack("!BBHI", 136, 0, 0, 0x60000000) + ip6("2001:db8::2") + b"\x02\x01" + mac(B)
    add([E6(), v6(58, s="2001:db8::2", d="2001:db8::1", hlim=255), L("icmpv6", 3, na, {})], "neighbor advertisement")
    rs = struct.pack("!BBHI", 133, 0, 0, 0)
    add([E6(), v6(58, s="fe80::1", d="ff02::2", hlim=255), L("icmpv6", 3, rs, {})], "router solicitation")
    q6 = assemble([v6(17), udp(40000, 33434), data(b"q")])[0][:48]
    add([E6(), v6(58, s="2001:db8::ff", d="2001:db8::1"), icmp(1, 4, v6=True), data(q6)], "ICMPv6 port unreachable")
    add([E6(), v6(58, s="2001:db8::ff", d="2001:db8::1"), icmp(2, 0, 0, 1280, v6=True), data(q6)], "packet too big")
    # ARP, IPv6 transport, VLAN (tcpdump shows the tag only with -e), HTTP, fragments
    add([eth("ff:ff:ff:ff:ff:ff", A, 0x0806), arp(1, A, "10.0.0.1", ZERO, "10.0.0.2")], "ARP request", pad_to=60)
    add([eth(A, B, 0x0806), arp(2, B, "10.0.0.2", A, "10.0.0.1")], "ARP reply", pad_to=60)
    add([E6(), v6(6), tcp(40010, 80, 1, 1, ["PSH", "ACK"]), data(b"v6 data")], "IPv6 TCP")
    add([E6(), v6(17), udp(5000, 6000), data(b"v6 datagram")], "IPv6 UDP")
    add([eth(B, A, 0x8100), vlan(42, 0x0800, pcp=5), ip(17), udp(1000, 2000), data(b"tagged")], "VLAN UDP")
    add([eth(B, A, 0x8100), vlan(42, 0x0806), arp(1, A, "10.0.0.1", ZERO, "10.0.0.2")], "VLAN ARP")
    req = http_msg("GET /index.html HTTP/1.1\nHost: 10.0.0.2\n")
    add([E(), ip(6), tcp(40020, 80, 1, 1, ["PSH", "ACK"]), data(req)], "HTTP request on 80")
    add([E(), ip(6, s="10.0.0.2", d="10.0.0.1"), tcp(80, 40020, 1, 1 + len(req), ["PSH", "ACK"]),
         data(http_msg("HTTP/1.1 200 OK\nContent-Length: 2\n", b"ok"))], "HTTP response on 80")
    add([E(), ip(6), tcp(40021, 8080, 1, 1, ["PSH", "ACK"]), data(req)], "HTTP request on 8080")
    add([E(), ip(17, ident=77, df=False, mf=True), udp(1, 2), data(b"A" * 32)], "first fragment")
    add([E(), ip(17, ident=77, df=False, frag=40), data(b"B" * 24)], "later fragment")
    files.append(p)


def lying(files):
    """Length fields that lie: claims larger than the bytes, smaller than the header."""
    p = Pcap("lying_lengths", "eth")
    fr, ex = assemble([eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.2", 6), tcp(1, 2, 3, 4, ["ACK"]),
                       data(b"12345678")])
    b = bytearray(fr)
    struct.pack_into("!H", b, 16, 1000)  # IPv4 total length 1000, frame has 68 bytes
    p.add(bytes(b), [dict(layer=2, proto="eth"), dict(layer=3, proto="ipv4", total_len=1000),
                     dict(layer=4, proto="tcp", payload_len=960),
                     dict(layer=7, proto="data", truncated=True)], note="total length lies")
    b = bytearray(fr)
    b[14] = 0x43  # IHL 3: below the minimum
    p.add(bytes(b), [dict(layer=2, proto="eth"), dict(layer=3, proto="ipv4", invalid=True)])
    b = bytearray(fr)
    b[14 + 20 + 12] = 0xF0  # TCP data offset 60 bytes, more than captured
    p.add(bytes(b), [dict(layer=2, proto="eth"), dict(layer=3, proto="ipv4"),
                     dict(layer=4, proto="tcp", truncated=True)])
    fr, ex = assemble([eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.2", 17), udp(1, 2), data(b"abcd")])
    b = bytearray(fr)
    struct.pack_into("!H", b, 38, 4)  # UDP length 4 < 8
    p.add(bytes(b), [dict(layer=2, proto="eth"), dict(layer=3, proto="ipv4"),
                     dict(layer=4, proto="udp", invalid=True)])
    fr, ex = assemble([eth(B, A, 0x0800), ipv4("10.0.0.1", "10.0.0.53", 17), udp(1, 53),
                       dns(9, "loop.example", 1)])
    b = bytearray(fr)
    qoff = 14 + 20 + 8 + 12
    b[qoff:qoff + 2] = b"\xc0\x0c"  # the question name points at itself: a loop
    p.add(bytes(b), [dict(layer=2, proto="eth"), dict(layer=3, proto="ipv4"), dict(layer=4, proto="udp"),
                     dict(layer=7, proto="dns", invalid=True)], note="DNS compression loop")
    files.append(p)


def garbage(files):
    """Random bytes on every link type: no expectations beyond 'decodes without harm'."""
    rnd = random.Random(6)
    for link in ("eth", "sll", "sll2", "null", "raw"):
        p = Pcap("garbage_" + link, link)
        for _ in range(40):
            n = rnd.choice([0, 1, 3, 13, 14, 15, 20, 33, 40, 54, 60, 100, 300])
            b = bytes(rnd.getrandbits(8) for _ in range(n))
            p.add(b, None, note="garbage")
        files.append(p)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "pcaps")
    os.makedirs(out, exist_ok=True)
    fs = build(out)
    print("wrote %d pcap files (%d packets) to %s" % (len(fs), sum(len(f.recs) for f in fs), out))

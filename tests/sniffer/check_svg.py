"""check_svg.py - a picture from `sniffer --svg KIND` against the capture it came from.

usage: check_svg.py KIND SVG JSONL      (JSONL: `sniffer -r FILE --json` of the same file)

The SVG must parse as XML (xml.etree) with an <svg> root of positive size. Then, by kind, what
it draws is recomputed here from --json, independently of the C code:
  ladder      one arrow per TCP or UDP packet (same frames); an arrow is marked "retrans"
              exactly when the segment carries no byte its sender had not sent before (a
              direction's highest seq + len + SYN + FIN so far, modulo 2^32); a TCP arrow's
              label has its flags and "len N"; a UDP one says "UDP len N"
  tcptrace    a bar per data segment of the busiest TCP conversation (retransmissions marked
              as above); a dot per udp_sender datagram; a gap tick per Wirelab sequence number
              missing between the lowest and the highest of its direction (or the last its header's total
              announces)
  throughput  the lines' bytes add up to every frame's length
  layers      (the first frame) the boxes are the --json layers, in order, each field inside
              its layer's bytes
Exit 1 with what differed; 0 when the picture matches."""
import json
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def fail(msg):
    print(f"check_svg.py: {msg}")
    sys.exit(1)


def packets(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def layer(pkt, proto):
    for lay in pkt.get("layers", []):
        if lay.get("proto") == proto:
            return lay
    return None


def ends(pkt):
    """The packet's (src, sport, dst, dport), or None when it is in no TCP/UDP conversation
    (an ICMP error quotes a TCP or UDP header: that is not a packet of the conversation)."""
    if layer(pkt, "icmp") or layer(pkt, "icmpv6"):
        return None
    ip = layer(pkt, "ipv4") or layer(pkt, "ipv6")
    tp = layer(pkt, "tcp") or layer(pkt, "udp")
    if not ip or not tp or "src" not in ip or "sport" not in tp:
        return None
    return (ip["src"], tp["sport"], ip["dst"], tp["dport"])


def conv_key(e):
    return tuple(sorted([(e[0], e[1]), (e[2], e[3])]))


def diff(a, b):
    """a - b as a signed 32-bit number: sequence numbers wrap (RFC 9293 3.4)."""
    return ((a - b + 2**31) & 0xFFFFFFFF) - 2**31


def retransmissions(pkts):
    """Frames of TCP segments that carry nothing new (flows.c's rule, written again)."""
    hi, out = {}, set()
    for p in pkts:
        tcp, e = layer(p, "tcp"), ends(p)
        if not tcp or not e or "seq" not in tcp:
            continue
        flags = tcp.get("flags", [])
        syn, fin = "SYN" in flags, "FIN" in flags
        end = (tcp["seq"] + tcp["payload_len"] + syn + fin) & 0xFFFFFFFF
        top = hi.get(e)
        if top is not None and end != tcp["seq"] and diff(end, top) <= 0 and not syn:
            out.add(p["n"])
        if top is None or diff(end, top) > 0:
            hi[e] = end
    return out


def groups(root, cls_prefix, tag="g"):
    return [g for g in root.iter(NS + tag) if (g.get("class") or "").split(" ")[0] == cls_prefix]


def check_ladder(root, pkts):
    arrows = groups(root, "arrow")
    want = [p for p in pkts if ends(p)]
    got = {int(g.get("data-frame")): g for g in arrows}
    if len(arrows) != len(want) or set(got) != {p["n"] for p in want}:
        fail(f"{len(arrows)} arrows for frames {sorted(got)[:20]}, but the capture has "
             f"{len(want)} TCP/UDP packets: frames {[p['n'] for p in want][:20]}")
    retrans = retransmissions(pkts)
    marked = {n for n, g in got.items() if "retrans" in g.get("class").split()}
    if marked != retrans:
        fail(f"arrows marked retrans: {sorted(marked)}; --json says {sorted(retrans)}")
    for p in want:
        text = "".join(got[p["n"]].itertext())
        tcp, udp = layer(p, "tcp"), layer(p, "udp")
        if tcp and "flags" in tcp:
            need = [",".join(tcp["flags"])] if tcp["flags"] else []
            if tcp.get("payload_len"):
                need.append(f"len {tcp['payload_len']}")
        elif udp:
            need = [f"UDP len {udp.get('payload_len', 0)}"]
        else:
            need = []
        for word in need:
            if word not in text:
                fail(f"frame {p['n']}: the arrow says '{text}', without '{word}'")
    return f"{len(arrows)} arrows, {len(marked)} marked retrans"


def check_tcptrace(root, pkts):
    by_conv = {}
    for p in pkts:
        tcp, e = layer(p, "tcp"), ends(p)
        if tcp and e and "seq" in tcp:
            by_conv.setdefault(conv_key(e), []).append(p)
    segs = [ln for ln in root.iter(NS + "line") if (ln.get("class") or "").startswith("seg")]
    msg = []
    if by_conv:
        # the busiest by payload bytes + 1 per packet; the first seen wins a tie (as the C code)
        busiest = max(by_conv.values(),
                      key=lambda ps: sum(layer(p, "tcp")["payload_len"] + 1 for p in ps))
        data = {p["n"] for p in busiest if layer(p, "tcp")["payload_len"] > 0}
        got = {int(ln.get("data-frame")) for ln in segs}
        if got != data or len(segs) != len(data):
            fail(f"{len(segs)} segment bars (frames {sorted(got)[:20]}), but the conversation "
                 f"has {len(data)} data segments (frames {sorted(data)[:20]})")
        retrans = retransmissions(pkts) & data
        marked = {int(ln.get("data-frame")) for ln in segs if "retrans" in ln.get("class")}
        if marked != retrans:
            fail(f"bars marked retrans: {sorted(marked)}; --json says {sorted(retrans)}")
        msg.append(f"{len(segs)} segment bars, {len(marked)} retransmissions")
    elif segs:
        fail(f"{len(segs)} segment bars, but the capture has no TCP")
    flows, last = {}, {}
    for p in pkts:
        d, e = layer(p, "data"), ends(p)
        if d and d.get("wirelab") == "udp_echo" and e and "seq" in d:
            flows.setdefault(e, []).append(d["seq"])
            last[e] = max(last.get(e, 0), d.get("total", 0) - 1)
    dots = [c for c in root.iter(NS + "circle") if c.get("class") == "dgram"]
    if len(dots) != sum(len(v) for v in flows.values()):
        fail(f"{len(dots)} datagram dots, the capture has "
             f"{sum(len(v) for v in flows.values())} udp_sender datagrams")
    missing = []
    for e, seqs in flows.items():
        top = max(max(seqs), last[e])  # the header's total announces the last one
        missing += [s for s in range(min(seqs), top + 1) if s not in set(seqs)]
    gaps = [int(ln.get("data-seq")) for ln in root.iter(NS + "line") if ln.get("class") == "gap"]
    if sorted(gaps) != sorted(missing):
        fail(f"gap ticks at {sorted(gaps)[:20]}, but missing are {sorted(missing)[:20]}")
    msg.append(f"{len(dots)} datagrams, {len(gaps)} gaps")
    return ", ".join(msg)


def check_throughput(root, pkts):
    lines = [p for p in root.iter(NS + "polyline") if p.get("class") == "flow"]
    drawn = sum(int(p.get("data-bytes")) for p in lines)
    total = sum(p["len"] for p in pkts)
    if drawn != total:
        fail(f"the lines carry {drawn} bytes, the frames {total}")
    return f"{len(lines)} lines, {drawn} bytes"


def check_layers(root, pkts):
    first = pkts[0]
    want = [lay["proto"] for lay in first.get("layers", [])]
    boxes = groups(root, "layer")
    got = [g.get("data-proto") for g in boxes if g.get("data-proto") != "socketio"]
    if got != want:
        fail(f"boxes {got}, --json layers {want}")
    spans = [(int(g.get("data-off")), g) for g in boxes]
    for off, g in spans:
        for f in g.iter(NS + "g"):
            if f.get("class") != "field":
                continue
            a, n = int(f.get("data-off")), int(f.get("data-len"))
            end = off + int(g.get("data-hdr"))
            if a < off or a + n > end or a + n > first["caplen"]:
                fail(f"field {f.get('data-name')} at {a}+{n} is outside its layer "
                     f"{g.get('data-proto')} [{off}, {end}) or the capture")
    return f"{len(boxes)} layer boxes"


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    kind, svg, jsonl = argv[1:]
    try:
        root = ET.parse(svg).getroot()
    except ET.ParseError as e:
        fail(f"{svg} is not well-formed XML: {e}")
    if root.tag != NS + "svg" or float(root.get("width")) <= 0 or float(root.get("height")) <= 0:
        fail(f"the root is {root.tag} {root.attrib}, not an <svg> with a size")
    pkts = packets(jsonl)
    check = {"ladder": check_ladder, "tcptrace": check_tcptrace,
             "throughput": check_throughput, "layers": check_layers}[kind]
    print(f"{svg}: {check(root, pkts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

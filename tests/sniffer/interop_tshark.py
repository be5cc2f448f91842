#!/usr/bin/python3
"""interop_tshark.py SNIFFER PCAP... - the sniffer's --json against Wireshark's dissectors
(tshark -T json) on the same files, field by field.

For each packet, every layer the sniffer reports is matched with the same protocol's n-th
instance in tshark's tree (eth, ip, tcp, websocket ...), and each field of the --json contract
is compared with the tshark field that means the same thing (table FIELDS below). Layers that
either side marks as truncated or malformed are not compared: the two tools are free to stop at
different points there. Prints every difference; exit status 1 if there is any.
"""
import json
import subprocess
import sys


def num(v):
    v = v if not isinstance(v, list) else v[0]
    return int(v, 16) if isinstance(v, str) and v.startswith("0x") else int(v)


def flag(v):
    return num(v) != 0


def ident(v):
    return v if not isinstance(v, list) else v[0]


COMPARED = [0]
TCP_FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]


def tcp_flags(v):
    bits = num(v)
    return [n for i, n in enumerate(TCP_FLAGS) if bits & (1 << i)]


# sniffer proto -> (tshark layer, [(our field, tshark field, converter)])
FIELDS = {
    "eth": ("eth", [("src", "eth.src", ident), ("dst", "eth.dst", ident), ("type", "eth.type", num)]),
    "sll": ("sll", [("type", "sll.etype", num)]),
    "null": ("null", [("family", "null.family", num)]),
    "vlan": ("vlan", [("id", "vlan.id", num), ("type", "vlan.etype", num)]),
    # an 802.1ad (QinQ) outer tag: the same fields, tshark names them differently
    "vlan-ad": ("ieee8021ad", [("id", "ieee8021ad.id", num), ("type", "ieee8021ah.etype", num)]),
    "arp": ("arp", [("op", "arp.opcode", num), ("sender_ip", "arp.src.proto_ipv4", ident),
                    ("target_ip", "arp.dst.proto_ipv4", ident)]),
    "ipv4": ("ip", [("src", "ip.src", ident), ("dst", "ip.dst", ident), ("ttl", "ip.ttl", num),
                    ("id", "ip.id", num), ("protocol", "ip.proto", num), ("total_len", "ip.len", num),
                    ("hdr_len", "ip.hdr_len", num), ("df", "ip.flags.df", flag),
                    ("mf", "ip.flags.mf", flag),
                    # tshark 4.0 counts the offset in 8-byte units; the contract says bytes
                    ("frag_offset", "ip.frag_offset", lambda v: num(v) * 8)]),
    "ipv6": ("ipv6", [("src", "ipv6.src", ident), ("dst", "ipv6.dst", ident),
                      ("hop_limit", "ipv6.hlim", num), ("payload_len", "ipv6.plen", num)]),
    "icmp": ("icmp", [("type", "icmp.type", num), ("code", "icmp.code", num)]),
    "icmpv6": ("icmpv6", [("type", "icmpv6.type", num), ("code", "icmpv6.code", num)]),
    "tcp": ("tcp", [("sport", "tcp.srcport", num), ("dport", "tcp.dstport", num),
                    ("seq", "tcp.seq_raw", num), ("ack", "tcp.ack_raw", num),
                    ("flags", "tcp.flags", tcp_flags), ("window", "tcp.window_size_value", num),
                    ("hdr_len", "tcp.hdr_len", num), ("payload_len", "tcp.len", num)]),
    "udp": ("udp", [("sport", "udp.srcport", num), ("dport", "udp.dstport", num),
                    ("length", "udp.length", num)]),
    "http": ("http", [("method", "http.request.method", ident), ("uri", "http.request.uri", ident),
                      ("status", "http.response.code", num)]),
    "websocket": ("websocket", [("fin", "websocket.fin", flag), ("opcode", "websocket.opcode", num),
                                ("masked", "websocket.mask", flag),
                                ("payload_len", "websocket.payload_length*", num)]),
    "dns": ("dns", [("id", "dns.id", num), ("qname", "dns.qry.name", ident),
                    ("ancount", "dns.count.answers", num)]),
}


def flatten(tree, out):
    """All leaf fields under tree, by name (a name may repeat: keep the first)."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            if isinstance(v, (dict, list)) and not (isinstance(v, list) and v and isinstance(v[0], str)):
                flatten(v, out)
            else:
                out.setdefault(k, v)
    elif isinstance(tree, list):
        for v in tree:
            flatten(v, out)
    return out


def instances(layers, name):
    """Each instance of a protocol, in document order, including those tshark nests inside
    another layer (the packet an ICMP error quotes sits inside "icmp")."""
    found = []

    def walk(tree):
        for k, v in tree.items():
            if k == name:
                found.extend(flatten(x, {}) for x in (v if isinstance(v, list) else [v]))
            elif isinstance(v, dict):
                walk(v)
    walk(layers)
    return found


def ws_len(inst):
    for k in ("websocket.payload_length_ext_64", "websocket.payload_length_ext_16",
              "websocket.payload_length"):
        if k in inst:
            return inst[k]
    return None


def compare_fields(where, proto, layer, inst, fields, errors):
    for ours, key, conv in fields:
        if ours not in layer:
            continue
        if ours in ("total_len", "payload_len") and layer.get("len_from_frame"):
            continue  # the header says 0, which we print; tshark prints the length it took
        raw = ws_len(inst) if key.endswith("*") else inst.get(key)
        if raw is None:
            errors.append("%s %s: tshark has no %s" % (where, proto, key))
            continue
        COMPARED[0] += 1
        if conv(raw) != layer[ours]:
            errors.append("%s %s.%s: sniffer %r, tshark %s=%r" % (where, proto, ours, layer[ours], key, raw))


def compare_websocket(pcap, mine, theirs, errors):
    """WebSocket frames, in order over the whole file. tshark reassembles TCP and shows a frame
    in the segment where it ends; the sniffer shows it in the segment where its header is (its
    decoder looks at one packet at a time). So the frames are compared as one sequence."""
    ours = [l for m in mine for l in m["layers"] if l["proto"] == "websocket" and not l.get("truncated")]
    their = [i for t in theirs for i in instances(t["_source"]["layers"], "websocket")]
    if len(ours) != len(their):
        errors.append("%s: the sniffer shows %d WebSocket frames, tshark %d" % (pcap, len(ours), len(their)))
    for k, (o, t) in enumerate(zip(ours, their), 1):
        compare_fields("%s WebSocket frame %d" % (pcap, k), "websocket", o, t, FIELDS["websocket"][1], errors)


def compare(pcap, mine, theirs, errors):
    compare_websocket(pcap, mine, theirs, errors)
    for n, (m, t) in enumerate(zip(mine, theirs), 1):
        tl = t["_source"]["layers"]
        if "_ws.malformed" in tl or any("_ws.malformed" in json.dumps(v) for v in tl.values()):
            continue
        seen, outer_type = {}, None
        for layer in m["layers"]:
            proto = layer["proto"]
            if proto == "vlan" and outer_type == 0x88A8:
                proto = "vlan-ad"
            outer_type = layer.get("type")
            if proto not in FIELDS or proto == "websocket":
                continue
            tname, fields = FIELDS[proto]
            i = seen.get(tname, 0)
            seen[tname] = i + 1
            if layer.get("truncated") or layer.get("invalid"):
                continue
            inst = instances(tl, tname)
            if i >= len(inst):
                errors.append("%s packet %d: tshark has no %s layer #%d (tshark layers: %s)"
                              % (pcap, n, tname, i + 1, list(tl)))
                continue
            compare_fields("%s packet %d" % (pcap, n), proto, layer, inst[i], fields, errors)


def main():
    sniffer, pcaps = sys.argv[1], sys.argv[2:]
    errors, packets = [], 0
    for pcap in pcaps:
        mine = [json.loads(l) for l in subprocess.run([sniffer, "-r", pcap, "--json"], check=True,
                                                      capture_output=True, text=True).stdout.splitlines()]
        # no reassembly: like the sniffer, dissect each packet on its own
        out = subprocess.run(["tshark", "-r", pcap, "-T", "json", "--no-duplicate-keys",
                              "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"],
                             check=True, capture_output=True, text=True).stdout
        theirs = json.loads(out)
        if len(mine) != len(theirs):
            errors.append("%s: sniffer shows %d packets, tshark %d" % (pcap, len(mine), len(theirs)))
        compare(pcap.rsplit("/", 1)[-1], mine, theirs, errors)
        packets += len(mine)
    for e in errors[:60]:
        print("  " + e)
    print("%d packets in %d files, %d fields compared with tshark: %d differences"
          % (packets, len(pcaps), COMPARED[0], len(errors)))
    if COMPARED[0] < 1000:
        errors.append("too few fields compared: is tshark's JSON layout different?")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""wire.py - Lab 6's view of a Socket.IO capture: one block per TCP connection.

usage: wire.py CAPTURE.pcap

A Socket.IO client opens several TCP connections at once (a held long-polling GET, a POST, the
WebSocket), so in the sniffer's time-ordered view their packets interleave differently on every
run. This prints the same packets - every segment that carries data, as `sniffer --json`
decodes it - grouped by connection, in the order the connections were opened, so the page is
stable. Pure ACKs, SYN and FIN are left out (the sniffer's own view shows them). After a
colon comes the sniffer's reading of the Engine.IO / Socket.IO packets the message carries
(its "socketio" field). The random parts (the session id `sid=`, the cache-buster `t=`, and
the ids inside packets) are printed as <sid>, <t>, <id>, <pid>.
"""
import json
import os
import re
import subprocess
import sys

SNIFFER = os.path.join(os.environ.get("WIRELAB_BIN", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin")), "sniffer")
OPCODES = {0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}


def layer(pkt, proto):
    return next((lay for lay in pkt["layers"] if lay["proto"] == proto), None)


def describe(pkt, tcp):
    """One line per application-layer message in this segment."""
    lines = []
    for lay in pkt["layers"]:
        if lay["proto"] == "http" and "method" in lay:
            uri = re.sub(r"([?&]sid=)[^&]+", r"\1<sid>", lay["uri"])
            uri = re.sub(r"([?&]t=)[^&]+", r"\1<t>", uri)
            lines.append(f"HTTP {lay['method']} {uri}")
        elif lay["proto"] == "http":
            lines.append(f"HTTP {lay['status']}")
        elif lay["proto"] == "websocket":
            lines.append(f"WebSocket {OPCODES.get(lay['opcode'], lay['opcode'])}"
                         f"{'' if lay['fin'] else ' (not fin)'}{', masked' if lay['masked'] else ''}"
                         f", {lay['payload_len']} bytes")
        if lay.get("socketio"):  # the sniffer's reading of the Engine.IO/Socket.IO packets
            lines[-1] += f": {ids(lay['socketio'])}"
    return lines or [f"{tcp['payload_len']} bytes"]


def ids(text):
    """Session, socket and private ids are random: print them as <sid>, <id>, <pid>..."""
    return re.sub(r'"(sid|pid|id|from)":"[^"]+"', r'"\1":"<\1>"', text)


def main(pcap):
    out = subprocess.run([SNIFFER, "-r", pcap, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"the sniffer could not read {pcap}: {out.stderr.strip()}")
    conns, order = {}, []
    for line in out.stdout.splitlines():
        pkt = json.loads(line)
        tcp = layer(pkt, "tcp")
        if not tcp:
            continue
        if "SYN" in tcp["flags"] and "ACK" not in tcp["flags"]:
            key = (tcp["sport"], tcp["dport"])
            conns[key] = []
            order.append(key)
            continue
        key = (tcp["sport"], tcp["dport"])
        to_server = key in conns
        if not to_server:
            key = (tcp["dport"], tcp["sport"])
        if key not in conns or tcp["payload_len"] == 0:
            continue
        for text in describe(pkt, tcp):
            conns[key].append(f"  {'C>S' if to_server else 'S>C'}  {text}")
    for i, key in enumerate(order, 1):
        print(f"connection {i}")
        print("\n".join(conns[key]) if conns[key] else "  (no data)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))

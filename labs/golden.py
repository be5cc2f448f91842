"""golden.py - compare a lab's capture with its golden trace, and explain the first difference.

usage: golden.py CAPTURE.pcap summary                 the normalised trace, one event a line
       golden.py CAPTURE.pcap compare GOLDEN.txt      exit 1 and explain if they differ
       golden.py CAPTURE.pcap handshake               one SYN, one SYN+ACK, one ACK, then data
       golden.py CAPTURE.pcap count EVENT N           exactly N events matching EVENT
       golden.py CAPTURE.pcap has PROTO [FIELD=VALUE...] some packet has such a layer
                                                      (FIELD~=TEXT: the field contains TEXT)
       golden.py CAPTURE.pcap at-least N PROTO [FIELD=VALUE...]  N or more packets have
                                                      such a layer
       golden.py CAPTURE.pcap stack P1,P2,...         some packet has exactly these layers
       golden.py CAPTURE.pcap ws-client-masked       every WebSocket frame to the server is
                                                      masked, and none from it
       golden.py CAPTURE.pcap arp-first              frames 1 and 2: ARP request, ARP reply
       golden.py CAPTURE.pcap retransmissions MIN     at least MIN TCP segments sent twice
       golden.py CAPTURE.pcap udp-loss SENT GOT LO HI all SENT datagrams left (captured),
                                                      and SENT-GOT (lost) is within LO..HI

The capture is read through `sniffer -r CAPTURE --json` (its stable JSON Lines contract), so
the lab checks what the student's own sniffer shows. Normalisation makes two runs comparable:
- ports, addresses, sequence numbers and timestamps are dropped; packets are named by
  direction, C>S (to the server: where the first packet went) or S>C (from it);
- TCP packets become SYN, SYN+ACK, ACK, FIN+ACK, RST..., or "data N" (N payload bytes, with
  +FIN when the segment also closes);
- pure ACKs after the handshake are left out: whether the kernel sends one at once, delays it,
  or lets it ride on data varies from run to run, and is not what a lab teaches.
Golden files hold one event a line; '#' starts a comment.
"""
import json
import os
import subprocess
import sys

SNIFFER = os.path.join(os.environ.get("WIRELAB_BIN", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "build", "bin")), "sniffer")


def packets(pcap):
    out = subprocess.run([SNIFFER, "-r", pcap, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"the sniffer could not read {pcap}: {out.stderr.strip()}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def layer(pkt, proto):
    return next((lay for lay in pkt["layers"] if lay["proto"] == proto), None)


def endpoints(pkt):
    ip = layer(pkt, "ipv4") or layer(pkt, "ipv6")
    l4 = layer(pkt, "tcp") or layer(pkt, "udp")
    if not ip or not l4:
        return None
    return (ip["src"], l4["sport"]), (ip["dst"], l4["dport"])


def tcp_name(tcp):
    flags = [f for f in tcp["flags"] if f in ("SYN", "FIN", "RST", "ACK")]
    if tcp["payload_len"] > 0:
        return f"data {tcp['payload_len']}" + ("+FIN" if "FIN" in flags else "")
    order = {"SYN": 0, "FIN": 1, "RST": 2, "ACK": 3}
    return "+".join(sorted(flags, key=order.get)) or "(no flags)"


def events(pcap):
    """[(event, packet number, raw packet)] normalised as described above."""
    result, server, handshake_acks = [], None, 0
    for pkt in packets(pcap):
        ends = endpoints(pkt)
        if not ends:
            continue
        tcp, udp = layer(pkt, "tcp"), layer(pkt, "udp")
        if server is None:  # whoever the first SYN or datagram went to is the server
            server = ends[1]
        where = "C>S" if ends[1] == server else "S>C"
        if udp:
            name = f"udp {udp['payload_len']}"
        else:
            name = tcp_name(tcp)
            if name == "ACK":
                if handshake_acks or not any(e == "S>C SYN+ACK" for e, _, _ in result):
                    continue  # a pure ACK after the handshake: timing-dependent, left out
                handshake_acks = 1
        result.append((f"{where} {name}", pkt["n"], pkt))
    return result


def explain(expected, got, pkt, port):
    """A sentence for the first difference, naming the likely cause where there is one."""
    if got is None:
        return f"expected {expected} next, but the capture ended there"
    text = f"expected {expected}, but packet {pkt['n']} was {got}"
    if "RST" in got and expected.startswith("S>C SYN+ACK"):
        text += f": nothing was listening on port {port}"
    elif "RST" in got:
        text += ": a reset, so the connection was torn down abruptly"
    elif expected.endswith("SYN") and got.startswith("C>S data"):
        text += ": the capture started after the connection was already open"
    return text


def compare(pcap, golden_path):
    want = [line.split("#")[0].strip() for line in open(golden_path)]
    want = [w for w in want if w]
    got = events(pcap)
    port = None
    for _, _, pkt in got:
        ends = endpoints(pkt)
        port = ends[1][1] if ends else None
        break
    for i, expected in enumerate(want):
        if i >= len(got):
            print(explain(expected, None, None, port))
            print("the normalised capture was:\n  " + "\n  ".join(e for e, _, _ in got))
            return 1
        if got[i][0] != expected:
            print(explain(expected, got[i][0], got[i][2], port))
            print("the normalised capture was:\n  " + "\n  ".join(e for e, _, _ in got))
            return 1
    if len(got) > len(want):
        print(f"expected the trace to end after {want[-1]}, but packet {got[len(want)][1]} "
              f"followed: {got[len(want)][0]}")
        return 1
    return 0


def handshake(pcap):
    got = [e for e, _, _ in events(pcap)]
    first = next((i for i, e in enumerate(got) if " data " in e), len(got))
    before = got[:first]
    want = ["C>S SYN", "S>C SYN+ACK", "C>S ACK"]
    if before != want:
        print(f"before the first data segment expected {', '.join(want)}; "
              f"the capture had {', '.join(before) or 'nothing'}")
        return 1
    return 0


def count(pcap, event, n):
    got = sum(1 for e, _, _ in events(pcap) if e == event)
    if got != int(n):
        print(f"expected {n} × '{event}', the capture had {got}")
        return 1
    return 0


def value(text):
    """FIELD=VALUE on the command line: numbers, true/false, or text."""
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return text


def matches(lay, condition):
    """FIELD=VALUE: equal; FIELD~=TEXT: the field is text that contains TEXT."""
    field, want = condition.split("=", 1)
    if field.endswith("~"):
        got = lay.get(field[:-1])
        return isinstance(got, str) and want in got
    return lay.get(field) == value(want)


def has(pcap, proto, conditions):
    for pkt in packets(pcap):
        for lay in pkt["layers"]:
            if lay["proto"] == proto and all(matches(lay, c) for c in conditions):
                return 0
    print(f"no {proto} layer with {' '.join(conditions) or 'any fields'} in the capture")
    return 1


def at_least(pcap, n, proto, conditions):
    got = sum(1 for pkt in packets(pcap)
              if any(lay["proto"] == proto and all(matches(lay, c) for c in conditions)
                     for lay in pkt["layers"]))
    if got < int(n):
        print(f"expected at least {n} packets with a {proto} layer with "
              f"{' '.join(conditions) or 'any fields'}, the capture had {got}")
        return 1
    return 0


def stack(pcap, protos):
    want = protos.split(",")
    seen = set()
    for pkt in packets(pcap):
        got = [lay["proto"] for lay in pkt["layers"]]
        if got == want:
            return 0
        seen.add(",".join(got))
    print(f"no packet has the layers {protos}; the capture had: " + "; ".join(sorted(seen)))
    return 1


def ws_client_masked(pcap):
    server = None
    for pkt in packets(pcap):
        ends = endpoints(pkt)
        if not ends:
            continue
        server = server or ends[1]
        for lay in pkt["layers"]:
            if lay["proto"] != "websocket":
                continue
            to_server = ends[1] == server
            if lay["masked"] != to_server:
                print(f"packet {pkt['n']}: a frame {'to' if to_server else 'from'} the server "
                      f"was {'not ' if to_server else ''}masked")
                return 1
    return 0


def arp_first(pcap):
    pkts = packets(pcap)
    ops = [(layer(p, "arp") or {}).get("op") for p in pkts[:2]]
    if ops != [1, 2]:
        names = {1: "ARP request", 2: "ARP reply", None: "not ARP"}
        print("expected an ARP request then a reply as frames 1 and 2; they were: " +
              ", ".join(names.get(o, f"ARP op {o}") for o in ops))
        return 1
    return 0


def retransmissions(pcap, minimum):
    """TCP data segments that carry no new bytes: they start below the highest byte already
    sent in their direction. (A resent segment is often cut differently from the lost one, so
    matching exact (seq, length) pairs would miss it.)"""
    sent_up_to, again = {}, 0
    for pkt in packets(pcap):
        tcp, ends = layer(pkt, "tcp"), endpoints(pkt)
        if not tcp or not ends or tcp["payload_len"] == 0:
            continue
        start = tcp["seq"]
        end = (start + tcp["payload_len"]) & 0xFFFFFFFF
        top = sent_up_to.get(ends)
        # Sequence numbers wrap at 2^32: compare by the signed 32-bit difference.
        if top is not None and ((start - top) & 0xFFFFFFFF) >= 0x80000000:
            again += 1
        if top is None or ((end - top) & 0xFFFFFFFF) < 0x80000000:
            sent_up_to[ends] = end
    if again < int(minimum):
        print(f"expected at least {minimum} retransmitted TCP segment(s), the capture had {again}")
        if again == 0:
            print("0 sent again: did the firewall drop anything? Is the rule loaded? Look at "
                  "`nft list ruleset` (its counters) in the lab's namespace.")
        return 1
    print(f"{again} TCP data segments were sent again")
    return 0


def udp_loss(pcap, sent, received, lo, hi):
    """The capture sees each datagram as it leaves; the loss is what the receiver (whose count
    is GOT) never got."""
    received = int(received)
    udp = sum(1 for p in packets(pcap) if layer(p, "udp"))
    lost = int(sent) - received
    if udp != int(sent):
        print(f"expected the capture to hold all {sent} datagrams as they left, it had {udp}")
        return 1
    if not int(lo) <= lost <= int(hi):
        print(f"expected between {lo} and {hi} of {sent} datagrams lost, the receiver lost {lost}")
        if received == 0:
            print("0 received: did udp_receiver start, and did it print its summary? Look at "
                  "its log, and at `ss -ulnp` for port 7008.")
        elif lost == 0:
            print("0 lost: is the rule loaded? Look at `nft list ruleset` (the udp rule's "
                  "counter) in the lab's namespace.")
        elif lost > int(hi):
            print("more lost than the rule drops: the receiver may have dropped some itself "
                  "(its summary's 'kernel dropped' count, receive buffer full).")
        return 1
    return 0


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    pcap, cmd = argv[1], argv[2]
    if cmd == "summary":
        for e, n, _ in events(pcap):
            print(f"{n:4d}  {e}")
        return 0
    if cmd == "compare" and len(argv) == 4:
        return compare(pcap, argv[3])
    if cmd == "handshake":
        return handshake(pcap)
    if cmd == "count" and len(argv) == 5:
        return count(pcap, argv[3], argv[4])
    if cmd == "has" and len(argv) >= 4:
        return has(pcap, argv[3], argv[4:])
    if cmd == "at-least" and len(argv) >= 5:
        return at_least(pcap, argv[3], argv[4], argv[5:])
    if cmd == "stack" and len(argv) == 4:
        return stack(pcap, argv[3])
    if cmd == "ws-client-masked":
        return ws_client_masked(pcap)
    if cmd == "arp-first":
        return arp_first(pcap)
    if cmd == "retransmissions" and len(argv) == 4:
        return retransmissions(pcap, argv[3])
    if cmd == "udp-loss" and len(argv) == 7:
        return udp_loss(pcap, argv[3], argv[4], argv[5], argv[6])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

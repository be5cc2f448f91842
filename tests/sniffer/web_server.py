#!/usr/bin/env python3
"""web_server.py - `sniffer --web`'s server, checked from a WebSocket client of our own.

1. Every pcap of tests/sniffer/pcaps: each frame's details on demand equal the frame's line
   of `sniffer -r FILE --json`; every field's bytes are inside the frame, and the ports and
   addresses of the field list are the bytes the JSON values say; the rows are the frames in
   order; the display filter's counts equal what --json says of the same packets.
2. The bounded store: a generated capture larger than --max-store; the oldest frames are
   forgotten (status, the log line, "detail 1" refused), the newest still match --json.
3. A browser that does not read: cut off with close code 1008 at --max-queue, and logged.

Run by web_server.sh (CTest sniffer_web_server): python3 web_server.py BIN SOURCE
"""
import glob
import json
import os
import socket
import struct
import subprocess
import sys
import time

from web_client import Failure, WebClient

BIN, SOURCE = sys.argv[1], sys.argv[2]
SNIFFER = os.path.join(BIN, "sniffer")


def start(*args, prefix=()):
    """The sniffer --web on a free port; returns (process, port)."""
    log = open("server.log", "w")
    p = subprocess.Popen([*prefix, SNIFFER, "--web", "0", *args], stdout=subprocess.PIPE,
                         stderr=log, text=True)
    line = p.stdout.readline() + p.stdout.readline()  # "showing ...", "listening on ..."
    if "listening on" not in line:
        p.kill()
        raise Failure(f"sniffer --web {' '.join(args)} did not start: {line!r} "
                      f"{open('server.log').read()}")
    return p, int(line.split(" port ")[1].split(":")[0])


def stop(p):
    p.terminate()
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        raise Failure("the sniffer did not stop within 10 s of SIGTERM")
    if rc != 0:
        raise Failure(f"the sniffer exited with status {rc} after SIGTERM: "
                      f"{open('server.log').read()}")


def json_lines(pcap):
    out = subprocess.run([SNIFFER, "-r", pcap, "--json"], capture_output=True, text=True)
    return [json.loads(x) for x in out.stdout.splitlines()]


def check_fields(name, n, detail, want):
    """Each field within the frame; ports and IPv4 addresses are the right bytes."""
    raw = bytes.fromhex(detail["hex"])
    if len(raw) != want["caplen"]:
        raise Failure(f"{name} frame {n}: {len(raw)} bytes in hex, --json says caplen "
                      f"{want['caplen']}")
    # --json leaves Socket.IO out of its layer list (a field of the layer before): so do we
    mine = [l for l in detail["fields"] if l["proto"] != "socketio"]
    if [l["proto"] for l in mine] != [l["proto"] for l in want["layers"]] and \
            [l["proto"] for l in mine if l["proto"] not in ("udp_echo", "queue")] != \
            [l["proto"] for l in want["layers"] if l["proto"] != "data"]:
        raise Failure(f"{name} frame {n}: layers {[l['proto'] for l in mine]}, --json has "
                      f"{[l['proto'] for l in want['layers']]}")
    for layer, j in zip(mine, want["layers"]):
        for fname, value, off, ln in layer["fields"]:
            if off + ln > len(raw):
                raise Failure(f"{name} frame {n}: field {fname} at {off}+{ln} is outside the "
                              f"{len(raw)} captured bytes")
            got = raw[off:off + ln]
            if fname in ("Source port", "Destination port") and "sport" in j:
                key = "sport" if fname.startswith("Source") else "dport"
                if struct.unpack("!H", got)[0] != j[key]:
                    raise Failure(f"{name} frame {n}: {fname} bytes {got.hex()} are not "
                                  f"{key}={j[key]} of --json")
            if layer["proto"] == "ipv4" and fname.endswith("address"):
                key = "src" if fname.startswith("Source") else "dst"
                if socket.inet_ntoa(got) != j.get(key):
                    raise Failure(f"{name} frame {n}: {fname} bytes {got.hex()} are not "
                                  f"{j.get(key)}")


def has(frame, protos):
    return any(l["proto"] in protos for l in frame["layers"])


def check_pcap(pcap):
    name = os.path.basename(pcap)
    want = json_lines(pcap)
    p, port = start("-r", pcap)
    try:
        c = WebClient(port)
        st = c.wait_status(lambda s: s["done"], "the end of the file")
        if st["next"] - 1 != len(want) or st["count"] != len(want):
            raise Failure(f"{name}: status says {st}, --json has {len(want)} frames")
        rows = c.all_rows(len(want))
        if [r[0] for r in rows] != list(range(1, len(want) + 1)):
            raise Failure(f"{name}: the rows are not frames 1..{len(want)}: {[r[0] for r in rows]}")
        for n in range(1, len(want) + 1):
            d = c.ask(f"detail {n}", "detail")
            if d["json"] != want[n - 1]:
                raise Failure(f"{name} frame {n}: the details differ from --json:\n"
                              f"  web:  {json.dumps(d['json'])}\n  json: {json.dumps(want[n-1])}")
            check_fields(name, n, d, want[n - 1])
        for expr, protos in [("tcp", {"tcp"}), ("udp or dns", {"udp", "dns"}),
                             ("not tcp", None)]:
            f = c.ask(f"filter {expr}", "filter")
            if protos is None:
                expect = sum(1 for x in want if not has(x, {"tcp"}))
            else:
                expect = sum(1 for x in want if has(x, protos))
            if not f["ok"] or f["count"] != expect:
                raise Failure(f"{name}: filter '{expr}' says {f}, --json has {expect} such frames")
            got = [r[0] for r in c.all_rows(expect)] if expect else []
            pick = [x["n"] for x in want if (not has(x, {"tcp"}) if protos is None else has(x, protos))]
            if got != pick:
                raise Failure(f"{name}: filter '{expr}' rows {got[:10]}..., want {pick[:10]}...")
        bad = c.ask("filter tcp and", "filter")
        if bad["ok"] or "ends" not in bad["error"]:
            raise Failure(f"{name}: 'filter tcp and' should fail with a sentence: {bad}")
        c.ws.close()
    finally:
        stop(p)
    return len(want)


def bounded_store():
    subprocess.run([sys.executable, os.path.join(SOURCE, "tests/sniffer/web_gen_pcap.py"),
                    "big.pcap", "20000"], check=True)
    want = json_lines("big.pcap")
    p, port = start("-r", "big.pcap", "--max-store", "1048576")
    try:
        c = WebClient(port)
        st = c.wait_status(lambda s: s["done"], "the end of the file")
        if st["next"] != 20001 or st["evicted"] == 0 or st["first"] != st["evicted"] + 1:
            raise Failure(f"20000 packets in a 1 MiB store: expected some forgotten, status {st}")
        if st["count"] != 20001 - st["first"]:
            raise Failure(f"count {st['count']} is not the frames kept {st['first']}..20000")
        c.send("detail 1")
        err = c.next("error")
        if "not in the store" not in err["error"]:
            raise Failure(f"detail 1 (forgotten) should be refused, got {err}")
        for n in (st["first"], 20000):
            d = c.ask(f"detail {n}", "detail")
            if d["json"] != want[n - 1]:
                raise Failure(f"frame {n} of the store differs from --json")
        rows = c.ask("rows 0 3", "rows")["rows"]
        if rows[0][0] != st["first"]:
            raise Failure(f"row 0 should be frame {st['first']}, the oldest kept: {rows[0]}")
        c.ws.close()
    finally:
        stop(p)
    log = open("server.log").read()
    if "the store is full (--max-store 1048576 bytes)" not in log:
        raise Failure(f"no log line when the store began forgetting: {log}")
    print(f"  ... 20000 packets, 1 MiB store: frames {st['first']}..20000 kept, logged once")


def slow_reader():
    p, port = start("-r", "big.pcap", "--max-queue", "1048576")
    try:
        c = WebClient(port, rcvbuf=65536)
        c.wait_status(lambda s: s["done"], "the end of the file")
        for _ in range(400):  # 400 answers of 500 rows (about 40 MB), none of them read
            try:
                c.send("rows 0 500")
            except (BrokenPipeError, ConnectionResetError):
                break
        # Not reading: wait (bounded) for the server to give up on us, then read what it sent:
        # the answers it had queued, then the close frame with 1008, then its FIN.
        for _ in range(200):
            if "over --max-queue" in open("server.log").read():
                break
            time.sleep(0.1)
        c.ws.sock.settimeout(20)
        c.ws.expect_close(1008, skip_data=True)
    finally:
        stop(p)
    log = open("server.log").read()
    if "over --max-queue" not in log:
        raise Failure(f"no log line for the browser cut off at --max-queue: {log}")
    print("  ... a browser that does not read was closed with 1008 at --max-queue, and logged")


def unprivileged():
    """As nobody (no capabilities): a file is served; a live capture says what is missing."""
    if os.getuid() != 0 or not os.path.exists("/usr/bin/setpriv"):
        print("  (not root: cannot drop privileges to check them)")
        return
    nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
              "--inh-caps=-all"]
    os.makedirs("nobody", exist_ok=True)
    os.chmod("nobody", 0o755)
    src = os.path.join(SOURCE, "tests/sniffer/pcaps/eth_tcp.pcap")
    with open(src, "rb") as f, open("nobody/eth_tcp.pcap", "wb") as g:
        g.write(f.read())
    os.chmod("nobody/eth_tcp.pcap", 0o644)
    probe = subprocess.run([*nobody, SNIFFER, "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("  (the build tree is not readable by nobody: privileges not checked)")
        return
    p, port = start("-r", "nobody/eth_tcp.pcap", prefix=nobody)
    try:
        c = WebClient(port)
        c.wait_status(lambda s: s["done"] and s["count"] == 8, "8 frames")
        c.ask("detail 1", "detail")
    finally:
        stop(p)
    live = subprocess.run([*nobody, SNIFFER, "--web", "0", "-i", "lo"], capture_output=True,
                          text=True, timeout=20)
    if live.returncode != 1 or "setcap cap_net_raw,cap_net_admin=eip" not in live.stderr:
        raise Failure(f"a live --web as nobody should fail and name the fix: {live.returncode} "
                      f"{live.stderr}")
    print("  ... as nobody: a file is served; a live capture is refused with the setcap fix")


def main():
    pcaps = sorted(glob.glob(os.path.join(SOURCE, "tests/sniffer/pcaps/*.pcap")))
    frames = 0
    for pcap in pcaps:
        frames += check_pcap(pcap)
    print(f"  ... {len(pcaps)} pcaps, {frames} frames: details equal --json, fields on their "
          f"bytes, filters count as --json does")
    bounded_store()
    slow_reader()
    unprivileged()


if __name__ == "__main__":
    try:
        main()
    except (Failure, OSError, EOFError) as e:
        import traceback
        traceback.print_exc()
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)

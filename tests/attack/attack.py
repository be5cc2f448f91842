"""attack.py - hostile and innocent clients for the attack suite (tests/attack/*.sh).

usage: python3 attack.py SCENARIO PORT [ARG...]

An attacker sets its attack up, prints one line starting with "ready", and then holds it (its
sockets open) until it is sent SIGTERM or HOLD_S seconds pass; some print a last line when they
end. An innocent does one ordinary exchange and prints "OK: ..." if it was served within its
deadline (the first ARG, seconds), else "FAIL: ..." and exits 1. Only Debian's /usr/bin/python3
and its standard library are needed; traffic goes to 127.0.0.1 only.
"""
import os
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ws_handshake"))
import wsraw  # noqa: E402  (the raw WebSocket client of the ws_handshake tests)

HOST = "127.0.0.1"
HOLD_S = 120  # an attacker nobody stops gives up after this long (a bound, not a measurement)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def ready(msg):
    print("ready: " + msg, flush=True)


def hold():
    """Keep the attack's sockets open until SIGTERM (or HOLD_S)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    time.sleep(HOLD_S)


def connect(port, timeout=5.0, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((HOST, port))
    return s


def push(s, total, chunk=65536, stall_s=1.0):
    """Send up to `total` bytes without ever reading; stop when the peer took nothing for
    stall_s (its window is closed: backpressure). Returns the bytes sent."""
    s.settimeout(stall_s)
    data, sent = b"x" * chunk, 0
    try:
        while sent < total:
            sent += s.send(data)
    except (socket.timeout, BlockingIOError):
        pass
    except (ConnectionResetError, BrokenPipeError):
        pass  # the server closed us: a limit bit
    return sent


def closed_by_peer(s, within=0.5):
    """Did the peer close (FIN or RST) within `within` seconds? Data before the end is read."""
    s.settimeout(within)
    try:
        while True:
            if not s.recv(65536):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


# ---- TCP echo -------------------------------------------------------------------------------


def tcp_innocent(port, deadline):
    """One line echoed within the deadline."""
    t = float(deadline)
    try:
        s = connect(port, timeout=t)
        s.sendall(b"innocent\n")
        got = b""
        while len(got) < 9:
            chunk = s.recv(64)
            if not chunk:
                break
            got += chunk
    except OSError as e:
        fail(f"an ordinary client was not served within {t} s ({e})")
    if got != b"innocent\n":
        fail(f"an ordinary client got {got!r} back instead of its line")
    print(f"OK: an ordinary client got its echo within {t} s", flush=True)


def tcp_nonreader(port, mib):
    """Send MiB mebibytes and never read the echo."""
    s = connect(port, rcvbuf=4096)
    sent = push(s, int(mib) << 20)
    ready(f"sent {sent} bytes without reading, then the server stopped taking more")
    hold()


def tcp_hold(port, n):
    """Open n connections and keep them; report how many the server closed at once."""
    socks = [connect(port) for _ in range(int(n))]
    time.sleep(0.5)
    refused = sum(closed_by_peer(s, within=0.05) for s in socks)
    ready(f"opened {len(socks)}, closed by the server at once: {refused}")
    hold()


def tcp_silent(port, n):
    """n connections that never send, and one that says a line every 0.2 s: the silent ones
    must be closed by the server (--idle-timeout), the talking one must keep its echo."""
    silent = [connect(port) for _ in range(int(n))]
    talker = connect(port)
    closed, rounds = set(), 0
    while len(closed) < len(silent) and rounds < 150:  # 30 s at most: a deadline, not a timing
        rounds += 1
        talker.sendall(b"still here\n")
        got = b""
        while len(got) < 11:
            chunk = talker.recv(64)
            if not chunk:
                fail(f"the talking client was closed after {rounds} lines (it was not idle)")
            got += chunk
        for i, s in enumerate(silent):
            if i not in closed and closed_by_peer(s, within=0.01):
                closed.add(i)
        time.sleep(0.2)
    if len(closed) < len(silent):
        fail(f"only {len(closed)} of {len(silent)} silent clients were closed within 30 s")
    print(f"OK: {len(closed)} of {len(silent)} silent clients closed by the server; the talking "
          f"client kept its echo for {rounds} lines", flush=True)


def tcp_pipeline(port, n):
    """n requests in one write: every answer must come back, in order."""
    n = int(n)
    want = b"".join(b"line %d\n" % i for i in range(n))
    s = connect(port, timeout=10)
    s.sendall(want)
    got = b""
    while len(got) < len(want):
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    if got != want:
        fail(f"{n} pipelined lines: {len(got)} of {len(want)} bytes came back as sent")
    print(f"OK: {n} pipelined lines echoed in order", flush=True)


def abrupt(port, n):
    """n connections send 64 KiB and vanish with a RST (SO_LINGER 0), reading nothing."""
    for _ in range(int(n)):
        s = connect(port)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            s.send(b"y" * 65536)
        except OSError:
            pass
        s.close()
    print(f"OK: {n} connections reset mid-stream", flush=True)


def tcp_busy(port, n):
    """n connections, each in the middle of a transfer; wait for the server to close them."""
    socks = [connect(port, rcvbuf=4096) for _ in range(int(n))]
    for s in socks:
        push(s, 1 << 20, stall_s=0.2)
    ready(f"{len(socks)} clients connected, each with unread echo pending")
    ended = sum(closed_by_peer(s, within=10) for s in socks)
    print(f"ended: {ended} of {len(socks)} connections closed by the server", flush=True)


# ---- WebSocket (ws_server) ------------------------------------------------------------------


def ws_innocent(port, deadline):
    """Handshake and one message echoed within the deadline."""
    t = float(deadline)
    try:
        c = wsraw.Conn(int(port), timeout=t)
        c.handshake()
        c.send(wsraw.build_frame(0x1, b"innocent"))
        op, data = c.recv_message()
    except (OSError, EOFError, wsraw.Failure) as e:
        fail(f"an ordinary WebSocket client was not served within {t} s ({e})")
    if (op, data) != (0x1, b"innocent"):
        fail(f"an ordinary WebSocket client got {op:#x} {data!r} back")
    print(f"OK: an ordinary WebSocket client got its echo within {t} s", flush=True)


def ws_slowheads(port, n):
    """n connections send half a request head and stop; report how they ended."""
    socks = [connect(port) for _ in range(int(n))]
    for s in socks:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    ready(f"{len(socks)} connections sent half a request head")
    ended = [s for s in socks if closed_by_peer(s, within=15)]
    print(f"ended: {len(ended)} of {len(socks)} slow heads closed by the server", flush=True)


def ws_endless_head(port):
    """A request head that never ends: the server must answer 431 and close."""
    c = wsraw.Conn(int(port))
    try:
        c.send(b"GET /ws HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 100000 + b"\r\n")
    except OSError:
        pass
    c.sock.settimeout(5)
    try:
        reply = c.sock.recv(200)
    except OSError as e:
        fail(f"no answer to an endless request head ({e})")
    if not reply.startswith(b"HTTP/1.1 431"):
        fail(f"an endless request head got {reply[:40]!r}, not 431")
    print("OK: an endless request head got 431", flush=True)


def ws_huge(port):
    """A frame announcing 2^40 bytes: the server must close with 1009 before reading it."""
    c = wsraw.Conn(int(port))
    c.handshake()
    c.send(struct.pack("!BBQ", 0x82, 0xFF, 1 << 40) + b"mask" + b"z" * 65536)
    try:
        c.expect_close(1009)
    except wsraw.Failure as e:
        fail(f"a 1 TiB frame: {e}")
    print("OK: a frame announcing 1 TiB was refused with 1009", flush=True)


def ws_nonreader(port, mib):
    """Send MiB mebibytes of messages and never read their echoes."""
    c = wsraw.Conn(int(port), rcvbuf=4096)
    c.handshake()
    frame = wsraw.build_frame(0x2, b"q" * 65000)
    sent, total = 0, int(mib) << 20
    c.sock.settimeout(1.0)
    try:
        while sent < total:
            c.sock.sendall(frame)
            sent += len(frame)
    except (socket.timeout, OSError):
        pass
    ready(f"sent {sent} bytes of messages without reading the echoes")
    hold()


def ws_hold(port, n):
    """n WebSocket handshakes kept open; count the 503s beyond the server's cap."""
    held, busy = [], 0
    for _ in range(int(n)):
        c = wsraw.Conn(int(port))
        try:
            c.handshake()
            held.append(c)
        except wsraw.Failure as e:
            if "503" not in str(e):
                fail(f"a handshake over the cap: expected 503, got {e}")
            busy += 1
    ready(f"open {len(held)}, answered 503: {busy}")
    hold()


def ws_pipeline(port, n):
    """n messages in one write: each echoed, in order."""
    c = wsraw.Conn(int(port), timeout=10)
    c.handshake()
    n = int(n)
    c.send(b"".join(wsraw.build_frame(0x1, b"m%d" % i) for i in range(n)))
    for i in range(n):
        op, data = c.recv_message()
        if data != b"m%d" % i:
            fail(f"pipelined message {i}: got {data!r}")
    print(f"OK: {n} pipelined messages echoed in order", flush=True)


def ws_sigterm(port, n):
    """n open WebSockets wait for the server to stop: each must get close 1001."""
    conns = []
    for _ in range(int(n)):
        c = wsraw.Conn(int(port), timeout=15)
        c.handshake()
        conns.append(c)
    ready(f"{len(conns)} WebSockets open")
    codes = []
    for c in conns:
        try:
            c.expect_close(1001)
            codes.append(1001)
        except (wsraw.Failure, EOFError, OSError) as e:
            codes.append(str(e))
    good = codes.count(1001)
    print(f"ended: {good} of {len(conns)} got close 1001 (going away)", flush=True)


# ---- UDP (udp_receiver --echo) ---------------------------------------------------------------


def udp_innocent(port, deadline):
    """One datagram echoed within the deadline."""
    t = float(deadline)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(t)
    s.sendto(b"innocent", (HOST, int(port)))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        fail(f"an ordinary datagram was not echoed within {t} s")
    if data != b"innocent":
        fail(f"an ordinary datagram came back as {data!r}")
    print(f"OK: an ordinary datagram was echoed within {t} s", flush=True)


def udp_many(port, n):
    """Datagrams from n different source ports (n "names" for the receiver's books)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(n))]
    for s in socks:
        s.sendto(b"from a new sender", (HOST, int(port)))
    for s in socks:
        s.close()
    print(f"OK: datagrams from {n} senders sent", flush=True)


def udp_flood(port, n):
    """n datagrams of 65,507 bytes from one socket that never reads the echoes."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    big = b"w" * 65507
    for _ in range(int(n)):
        try:
            s.sendto(big, (HOST, int(port)))
        except OSError:
            pass  # ENOBUFS: the kernel's own limit, which is the point
    print(f"OK: {n} datagrams of 65,507 bytes sent, echoes unread", flush=True)


def udp_lockstep(port, n):
    """n small datagrams, each sent only after the echo of the one before came back: the
    receiver certainly handled (and logged) every one, however slow it runs (a sanitizer
    build); a flood would lose most of them in the kernel's receive buffer instead."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3.0)
    for i in range(int(n)):
        s.sendto(b"lockstep %d" % i, (HOST, int(port)))
        try:
            s.recvfrom(2048)
        except socket.timeout:
            fail(f"datagram {i} of {n} was not echoed within 3 s")
    print(f"OK: {n} datagrams echoed one after another", flush=True)


SCENARIOS = {f.__name__: f for f in (
    tcp_innocent, tcp_nonreader, tcp_hold, tcp_silent, tcp_pipeline, abrupt, tcp_busy,
    ws_innocent, ws_slowheads, ws_endless_head, ws_huge, ws_nonreader, ws_hold, ws_pipeline,
    ws_sigterm, udp_innocent, udp_many, udp_flood, udp_lockstep)}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        sys.exit(__doc__ + "scenarios: " + ", ".join(SCENARIOS))
    SCENARIOS[sys.argv[1]](int(sys.argv[2]), *sys.argv[3:])

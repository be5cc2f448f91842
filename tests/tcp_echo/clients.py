"""clients.py - independent TCP clients (Python's standard library only) that exercise
tcp_echo_server, so the server is checked by code that shares nothing with tcp_echo_client.

usage: python3 clients.py SCENARIO PORT [N]
Each scenario prints one line saying what it verified and exits 0, or explains and exits 1.
"""
import os
import selectors
import socket
import struct
import sys
import time

HOST = "127.0.0.1"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def echo_exact(port, data, host=HOST):
    """Send data, read until as many bytes came back, and compare byte for byte."""
    s = socket.create_connection((host, port), timeout=10)
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    sent, got = 0, bytearray()
    deadline = time.monotonic() + 30
    while len(got) < len(data):
        if time.monotonic() > deadline:
            fail(f"only {len(got)} of {len(data)} bytes echoed within 30 s")
        for _, ev in sel.select(timeout=1):
            if ev & selectors.EVENT_WRITE and sent < len(data):
                sent += s.send(data[sent:sent + 65536])
                if sent == len(data):
                    sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                chunk = s.recv(65536)
                if not chunk:
                    fail(f"server closed after echoing {len(got)} of {len(data)} bytes")
                got += chunk
    s.close()
    if bytes(got) != data:
        first = next(i for i in range(len(data)) if got[i] != data[i])
        fail(f"echo differs from what was sent, first at byte {first}")


def one_byte(port, _):
    echo_exact(port, b"\x7f")
    print("OK: 1 byte echoed exactly")


def random_mib(port, _):
    echo_exact(port, os.urandom(1 << 20))
    print("OK: 1 MiB of random bytes echoed exactly")


def ipv6(port, _):
    echo_exact(port, b"over IPv6\n", host="::1")
    print("OK: echoed over IPv6 (::1)")


def concurrent(port, n):
    """n clients at once, each with its own data; every echo must be its own, exactly."""
    n = int(n or 100)
    sel = selectors.DefaultSelector()
    clients = []
    for i in range(n):
        s = socket.create_connection((HOST, port), timeout=10)
        s.setblocking(False)
        data = struct.pack("!I", i) * 4096  # 16 KiB that only client i sends
        st = {"sock": s, "data": data, "sent": 0, "got": bytearray(), "id": i}
        clients.append(st)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, st)
    done, deadline = 0, time.monotonic() + 60
    while done < n:
        if time.monotonic() > deadline:
            fail(f"only {done} of {n} concurrent clients got their whole echo within 60 s")
        for key, ev in sel.select(timeout=1):
            st = key.data
            if ev & selectors.EVENT_WRITE and st["sent"] < len(st["data"]):
                st["sent"] += st["sock"].send(st["data"][st["sent"]:])
                if st["sent"] == len(st["data"]):
                    sel.modify(st["sock"], selectors.EVENT_READ, st)
            if ev & selectors.EVENT_READ:
                chunk = st["sock"].recv(65536)
                if not chunk:
                    fail(f"client {st['id']}: server closed early")
                st["got"] += chunk
                if len(st["got"]) >= len(st["data"]):
                    if bytes(st["got"]) != st["data"]:
                        fail(f"client {st['id']} got bytes that were not its own")
                    sel.unregister(st["sock"])
                    st["sock"].close()
                    done += 1
    print(f"OK: {n} concurrent clients each got exactly their own 16 KiB back")


def nonreader(port, _):
    """A client sends 8 MiB and never reads; another client must still be served at once."""
    hog = socket.create_connection((HOST, port), timeout=10)
    hog.setblocking(False)
    payload, sent = b"h" * (8 << 20), 0
    stalled_since = None
    while sent < len(payload):
        try:
            sent += hog.send(payload[sent:sent + 65536])
            stalled_since = None
        except BlockingIOError:
            # Both kernels' buffers and the server's queue are full: the server stopped
            # reading the hog (backpressure). That is the expected state; stop pushing.
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 1:
                break
            time.sleep(0.01)
    other = socket.create_connection((HOST, port), timeout=5)
    other.settimeout(1.0)  # the bound: the echo must come back within a second
    other.sendall(b"still there?")
    try:
        got = b""
        while len(got) < 12:
            chunk = other.recv(64)
            if not chunk:
                fail("the server closed the second client")
            got += chunk
    except socket.timeout:
        fail(f"a second client got no echo within 1 s while a hog had sent {sent} bytes "
             "without reading (the hog blocked the server)")
    if got != b"still there?":
        fail(f"the second client got {got!r}")
    other.close()
    hog.close()
    print(f"OK: with a client that sent {sent >> 10} KiB and never read, another got its echo")


def reset(port, _):
    """Close with SO_LINGER 0: the kernel sends RST instead of FIN."""
    for _ in range(5):
        s = socket.create_connection((HOST, port), timeout=5)
        s.sendall(b"about to reset" * 100)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    echo_exact(port, b"after the resets")
    print("OK: 5 clients reset their connections; the server still echoes")


def cycles(port, n):
    n = int(n or 1000)
    for i in range(n):
        s = socket.create_connection((HOST, port), timeout=5)
        if i % 10 == 0:
            s.sendall(b"x")
            if s.recv(1) != b"x":
                fail(f"cycle {i}: no echo")
        s.close()
    print(f"OK: {n} connect/close cycles")


def served(port, n):
    """n connections one after another, each of which must get its echo within 5 s."""
    n = int(n or 100)
    for i in range(n):
        with socket.create_connection((HOST, port), timeout=5) as s:
            s.sendall(b"ping %d\n" % i)
            want = b"ping %d\n" % i
            got = b""
            try:
                while len(got) < len(want):
                    chunk = s.recv(64)
                    if not chunk:
                        break
                    got += chunk
            except socket.timeout:
                fail(f"connection {i}: no echo within 5 s (got {got!r})")
            if got != want:
                fail(f"connection {i}: sent {want!r}, got back {got!r}")
    print(f"OK: {n} connections in a row, each echoed")


SCENARIOS = {f.__name__: f for f in (one_byte, random_mib, ipv6, concurrent, nonreader,
                                      reset, cycles, served)}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        sys.exit("usage: clients.py {" + "|".join(SCENARIOS) + "} PORT [N]")
    SCENARIOS[sys.argv[1]](int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)

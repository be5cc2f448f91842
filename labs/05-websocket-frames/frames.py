"""frames.py - lab 5's hand-made WebSocket frames, sent to ws_server one scenario at a time.

usage: frames.py PORT masking|lengths|fragments|ping|close|invalid|unmasked

Each scenario prints every frame as its bytes on the wire (header in full, payload cut after
16 bytes) and what they mean, '>' for what we send and '<' for what ws_server sends back.
The masking key is fixed (RFC 6455 5.7's example, 37 fa 21 3d) so the bytes are the same on
every run; a real client must pick a fresh random key for every frame.
Uses tests/ws_handshake/wsraw.py, the raw-bytes client of the protocol tests.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "ws_handshake"))
import wsraw  # noqa: E402

KEY = bytes.fromhex("37fa213d")
OPS = {0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}


def hexbytes(b, limit=None):
    shown = b if limit is None else b[:limit]
    return " ".join(f"{x:02x}" for x in shown) + (" ..." if limit and len(b) > limit else "")


def header_len(frame):
    n = frame[1] & 0x7F
    extra = {126: 2, 127: 8}.get(n, 0)
    return 2 + extra + (4 if frame[1] & 0x80 else 0)


def meaning(op, payload, fin, masked, n):
    what = OPS.get(op, f"opcode {op}")
    if op == 8 and len(payload) >= 2:
        code = struct.unpack("!H", payload[:2])[0]
        what += f" code {code}" + (f' "{payload[2:].decode(errors="replace")}"' if len(payload) > 2 else "")
    elif op in (0, 1, 9, 10) and n <= 40:
        what += f' "{payload.decode(errors="replace")}"'
    else:
        what += f", {n} bytes"
    return f"{what}, FIN={fin}, " + ("masked" if masked else "not masked")


def send(conn, op, payload=b"", fin=1, rsv=0, mask=True):
    frame = wsraw.build_frame(op, payload, fin=fin, rsv=rsv, mask=mask, key=KEY)
    h = header_len(frame)
    print(f"> {hexbytes(frame[:h])} | {hexbytes(frame[h:], 16)}")
    print(f"    {meaning(op, payload, fin, mask, len(payload))}" + (f", RSV1=1" if rsv else ""))
    conn.send(frame)


def receive(conn):
    fin, rsv, op, payload = conn.recv_frame()  # wsraw fails if a server frame is masked
    masked, n = False, len(payload)
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | op])
    head += bytes([n]) if n < 126 else (bytes([126]) + struct.pack("!H", n) if n < 65536
                                        else bytes([127]) + struct.pack("!Q", n))
    print(f"< {hexbytes(head)} | {hexbytes(payload, 16)}")
    print(f"    {meaning(op, payload, fin, masked, n)}")
    return op, payload


def opened(port):
    conn = wsraw.Conn(port)
    conn.handshake()
    return conn


def masking(port):
    conn = opened(port)
    send(conn, 1, b"Hello")
    receive(conn)


def lengths(port):
    conn = opened(port)
    for n in (125, 126, 65536):
        send(conn, 2, bytes(range(256)) * (n // 256) + bytes(range(n % 256)))
        receive(conn)


def fragments(port):
    conn = opened(port)
    send(conn, 1, b"Hel", fin=0)
    send(conn, 9, b"are you there?")
    send(conn, 0, b"lo", fin=1)
    receive(conn)  # the pong, at once: control frames may come between fragments
    receive(conn)  # then the whole message, echoed as one frame


def ping(port):
    conn = opened(port)
    send(conn, 9, b"ping 1")
    receive(conn)


def close(port):
    conn = opened(port)
    send(conn, 8, struct.pack("!H", 1000) + b"bye")
    receive(conn)
    conn.expect_eof()
    print("  then the server closed the TCP connection (its FIN arrived)")


def invalid(port):
    conn = opened(port)
    send(conn, 1, b"Hello", rsv=1)
    receive(conn)
    conn.expect_eof()
    print("  then the server closed the TCP connection")


def unmasked(port):
    conn = opened(port)
    send(conn, 1, b"Hello", mask=False)
    receive(conn)
    conn.expect_eof()
    print("  then the server closed the TCP connection")


if __name__ == "__main__":
    scenarios = {f.__name__: f for f in (masking, lengths, fragments, ping, close, invalid, unmasked)}
    if len(sys.argv) != 3 or sys.argv[2] not in scenarios:
        sys.exit(__doc__)
    scenarios[sys.argv[2]](int(sys.argv[1]))

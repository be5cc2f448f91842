#!/usr/bin/python3
"""reasm_traffic.py WS_PORT EIO_PORT - messages that TCP must split into many segments, sent
over loopback with MTU 1500 (reasm_tshark.sh sets it) so each segment carries at most 1448 bytes:

  - to ws_server (echo): a 70,000-byte masked text message, echoed back; a message in three
    5,000-byte frames with a ping between the first two; a close;
  - to our own small HTTP server (a thread here): a chunked answer written chunk by chunk, then
    a Content-Length answer of 20,000 bytes, on one keep-alive connection;
  - to events_server: an Engine.IO long-polling handshake and a 20,000-byte POST of a Socket.IO
    event.
Exit status 0 when every answer came back whole.
"""
import os
import socket
import sys
import threading
import time

KEY = b"\x37\xfa\x21\x3d"


def recv_until(s, marker):
    buf = b""
    while marker not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("connection closed before %r" % marker)
        buf += chunk
    return buf


def recv_exact(s, n, buf=b""):
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def frame(fin, opcode, payload):
    """A masked client frame (RFC 6455 5.2, 5.3)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    masked = bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))
    return head + KEY + masked


def read_frame(s, buf):
    buf = recv_exact(s, 2, buf)
    n, at = buf[1] & 0x7F, 2
    if n == 126:
        buf = recv_exact(s, 4, buf)
        n, at = int.from_bytes(buf[2:4], "big"), 4
    elif n == 127:
        buf = recv_exact(s, 10, buf)
        n, at = int.from_bytes(buf[2:10], "big"), 10
    buf = recv_exact(s, at + n, buf)
    return buf[0] & 0x0F, buf[at:at + n], buf[at + n:]


def websocket(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              b"Sec-WebSocket-Version: 13\r\n\r\n")
    head = recv_until(s, b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head[:40]
    rest = head.split(b"\r\n\r\n", 1)[1]
    big = bytes((ord("a") + i % 26) for i in range(70000))
    s.sendall(frame(True, 1, big))
    op, payload, rest = read_frame(s, rest)
    assert op == 1 and payload == big, "the 70,000-byte echo differs"
    part = b"x" * 5000
    s.sendall(frame(False, 1, part))
    time.sleep(0.05)
    s.sendall(frame(True, 9, b"ping"))
    time.sleep(0.05)
    s.sendall(frame(False, 0, part) + frame(True, 0, part))
    got = b""
    while len(got) < 15000:
        op, payload, rest = read_frame(s, rest)
        if op in (0, 1):
            got += payload
    s.sendall(frame(True, 8, b"\x03\xe8"))
    op, payload, rest = read_frame(s, rest)
    s.close()


def http_server(listener):
    c, _ = listener.accept()
    recv_until(c, b"\r\n\r\n")
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
    for i in range(4):
        time.sleep(0.02)
        c.sendall(b"%x\r\n" % 6000 + bytes([ord("A") + i]) * 6000 + b"\r\n")
    c.sendall(b"0\r\n\r\n")
    recv_until(c, b"\r\n\r\n")
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + b"z" * 20000)
    c.close()


def http(listener):
    t = threading.Thread(target=http_server, args=(listener,))
    t.start()
    port = listener.getsockname()[1]
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /chunked HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    buf = recv_until(s, b"\r\n0\r\n\r\n")
    s.sendall(b"GET /length HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    buf = recv_until(s, b"\r\n\r\n")
    head, body = buf.split(b"\r\n\r\n", 1)
    recv_exact(s, 20000, body)
    s.close()
    t.join()


def engineio(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    buf = recv_until(s, b"\r\n\r\n")
    head, body = buf.split(b"\r\n\r\n", 1)
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0]
                 .split(b":")[1])
    body = recv_exact(s, length, body)
    sid = body.split(b'"sid":"')[1].split(b'"')[0]
    event = b'40\x1e42["message","' + b"m" * 20000 + b'"]'
    s.sendall(b"POST /socket.io/?EIO=4&transport=polling&sid=" + sid + b" HTTP/1.1\r\n"
              b"Host: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\n"
              b"Content-Length: %d\r\n\r\n" % len(event) + event)
    recv_until(s, b"ok")
    s.close()


def main():
    ws_port, eio_port = int(sys.argv[1]), int(sys.argv[2])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print("http port %d" % listener.getsockname()[1], flush=True)
    websocket(ws_port)
    http(listener)
    engineio(eio_port)
    return 0


if __name__ == "__main__":
    sys.exit(main())

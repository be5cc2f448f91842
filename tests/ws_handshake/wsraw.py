"""wsraw.py - a WebSocket client in raw bytes, for tests that must send what no library would.

What it teaches: a frame is just bytes. This helper writes frames by hand (any RSV bits, any
opcode, unmasked, non-minimal lengths, one byte per write) and reads the server's frames back,
so each test can check the exact outcome RFC 6455 requires. Used by ws_protocol.py.
Debian's /usr/bin/python3 only: no packages needed.
"""
import base64
import hashlib
import os
import socket
import struct
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Failure(Exception):
    """What happened instead of what should have."""


def build_frame(op, payload=b"", fin=1, rsv=0, mask=True, len_form=None, key=None):
    """One frame. len_form forces the length encoding: 7, 16 or 64 (for non-minimal tests)."""
    n = len(payload)
    if len_form is None:
        len_form = 7 if n < 126 else 16 if n < 65536 else 64
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    m = 0x80 if mask else 0
    if len_form == 7:
        head = struct.pack("!BB", b0, m | n)
    elif len_form == 16:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if not mask:
        return head + payload
    key = key or os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


class Conn:
    """One TCP connection to the server; handshake() turns it into a WebSocket."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.buf = b""
        self.port = port

    def close(self):
        self.sock.close()

    def send(self, data, one_byte_at_a_time=False):
        if not one_byte_at_a_time:
            self.sock.sendall(data)
            return
        for i in range(len(data)):
            self.sock.sendall(data[i:i + 1])
            time.sleep(0.001)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def http(self, request):
        """Send a request head, return (status, headers dict lower-case, body)."""
        self.send(request if isinstance(request, bytes) else request.encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        body = b""
        if "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        return status, headers, body

    def handshake(self, path="/ws", extra=""):
        key = base64.b64encode(os.urandom(16)).decode()
        status, headers, _ = self.http(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{extra}\r\n")
        want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        if status != 101 or headers.get("sec-websocket-accept") != want:
            raise Failure(f"handshake: expected 101 with accept {want}, got {status} {headers}")
        return headers

    def recv_frame(self):
        """(fin, rsv, opcode, payload) of the server's next frame; EOFError when TCP closed."""
        b0, b1 = self._take(2)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._take(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._take(8))
        if b1 & 0x80:
            raise Failure("the server sent a masked frame (servers must not mask, RFC 6455 5.1)")
        return b0 >> 7, (b0 >> 4) & 7, b0 & 0x0F, self._take(n)

    def recv_message(self):
        """Reassemble the next data message: (opcode, payload). Pings are answered."""
        op0, data = None, b""
        while True:
            fin, rsv, op, payload = self.recv_frame()
            if op == 0x9:
                self.send(build_frame(0xA, payload))
                continue
            if op >= 0x8:
                raise Failure(f"expected a data message, got control frame opcode {op:#x} "
                              f"payload {payload!r}")
            op0 = op if op0 is None else op0
            data += payload
            if fin:
                return op0, data

    def expect_eof(self, within=5.0, max_bytes=64 << 20):
        """The server must close TCP (after the closing handshake, or when it drops us).
        Bytes still in flight are read and dropped, up to max_bytes."""
        self.sock.settimeout(within)
        seen = len(self.buf)
        self.buf = b""
        try:
            while seen <= max_bytes:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    return
                seen += len(chunk)
        except ConnectionResetError:
            return
        except socket.timeout:
            raise Failure(f"the server did not close the TCP connection within {within} s")
        raise Failure("the server kept sending instead of closing")

    def expect_close(self, code, skip_data=False):
        """Next frame must be a close with `code` (None = empty payload), then TCP close."""
        try:
            while True:
                fin, rsv, op, payload = self.recv_frame()
                if op == 0x8:
                    break
                if not skip_data:
                    raise Failure(f"expected a close frame with {code}, got opcode {op:#x} "
                                  f"payload {payload[:40]!r}")
        except EOFError:
            raise Failure(f"expected a close frame with {code}, but the server just closed TCP")
        got = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        if got != code:
            raise Failure(f"expected close code {code}, got {got} (payload {payload!r})")
        self.expect_eof()
        return payload[2:]

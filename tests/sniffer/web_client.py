"""web_client.py - a test client for `sniffer --web`: the page's protocol, spoken from Python.

What it teaches: the live view is a WebSocket like any other. This client does the handshake
and frames with tests/ws_handshake/wsraw.py (bytes by hand, no library), sends the page's
commands ("rows K N", "filter EXPR", "detail N", "ladder C") and reads the JSON answers,
skipping the status lines the server pushes every 200 ms (the last one is kept).
Debian's /usr/bin/python3 only.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ws_handshake"))
import wsraw  # noqa: E402

Failure = wsraw.Failure


class WebClient:
    def __init__(self, port, timeout=20.0, rcvbuf=None):
        self.ws = wsraw.Conn(port, timeout=timeout, rcvbuf=rcvbuf)
        self.ws.handshake()
        self.status = None
        self.hello = self.next("hello")

    def send(self, text):
        self.ws.send(wsraw.build_frame(0x1, text.encode()))

    def next(self, kind, deadline=20.0):
        """The next message of type `kind` (status lines on the way are remembered)."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            _, data = self.ws.recv_message()
            m = json.loads(data)
            if m["t"] == "status":
                self.status = m
            if m["t"] == kind:
                return m
            if m["t"] == "error" and kind != "error":
                raise Failure(f"the server answered an error instead of {kind}: {m['error']}")
        raise Failure(f"no '{kind}' message within {deadline} s")

    def ask(self, command, kind):
        self.send(command)
        return self.next(kind)

    def wait_status(self, pred, what, deadline=60.0):
        """Read status lines until pred(status) holds."""
        end = time.monotonic() + deadline
        if self.status and pred(self.status):
            return self.status
        while time.monotonic() < end:
            m = self.next("status", deadline=max(0.1, end - time.monotonic()))
            if pred(m):
                return m
        raise Failure(f"the status never showed {what}; the last one: {self.status}")

    def all_rows(self, count):
        rows = []
        while len(rows) < count:
            m = self.ask(f"rows {len(rows)} 500", "rows")
            if not m["rows"]:
                raise Failure(f"rows {len(rows)} 500 answered no rows, but count is {count}")
            rows += m["rows"]
        return rows

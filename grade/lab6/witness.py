"""grade/lab6/witness.py - the other person in the student's room: a Socket.IO client in plain
Python (no library: Engine.IO's HTTP long-polling is just GETs and POSTs), so the grader needs
neither Node.js nor python-socketio of its own, whichever the student chose.

What it teaches, if you read it: a polling session is a GET that returns the OPEN packet
("0{...}"), POSTs that carry our packets ("40" = Socket.IO CONNECT, "420[...]" = EVENT with
ack id 0), and GETs that return the server's packets, several joined by the byte 0x1e.
"""
import http.client
import json
import time

PATH = "/socket.io/?EIO=4&transport=polling"


class Witness:
    def __init__(self, port, timeout=10.0):
        self.port, self.timeout = port, timeout
        self.eio_sid = None
        self.queue = []
        opened = self._get()[0]  # "0{"sid":...,"pingInterval":...}"
        self.eio_sid = json.loads(opened[1:])["sid"]
        self._post("40")  # Socket.IO CONNECT to "/"
        self.socket_id = json.loads(self.wait_for("40")[2:])["sid"]
        self.next_ack = 0

    def _request(self, method, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        path = PATH + (f"&sid={self.eio_sid}" if self.eio_sid else "")
        try:
            conn.request(method, path, body=body,
                         headers={"Content-Type": "text/plain;charset=UTF-8"} if body else {})
            r = conn.getresponse()
            data = r.read().decode()
            if r.status != 200:
                raise RuntimeError(f"{method} {path} answered {r.status}: {data}")
            return data
        finally:
            conn.close()

    def _post(self, packet):
        self._request("POST", packet.encode())

    def _get(self):
        return self._request("GET").split("\x1e")

    def wait_for(self, prefix):
        """The first packet from the server that starts with prefix (answering pings)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if not self.queue:
                self.queue = self._get()
            p = self.queue.pop(0)
            if p == "2":
                self._post("3")  # Engine.IO PING -> PONG
            elif p.startswith(prefix):
                return p
        raise RuntimeError(f"no packet starting {prefix!r} within {self.timeout} s")

    def emit_with_ack(self, *args):
        """EVENT with an ack id; returns the ACK's arguments."""
        n = self.next_ack
        self.next_ack += 1
        self._post(f"42{n}" + json.dumps(list(args)))
        return json.loads(self.wait_for(f"43{n}")[len(f"43{n}"):])

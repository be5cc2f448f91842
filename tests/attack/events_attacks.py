"""events_attacks.py - hostile clients against events_server: one client can only hurt itself.

What it teaches: every buffer, queue, table and timer of a server needs a limit, and each
attack here is one a student's buggy client (or a classmate) could make by accident. For each,
the server is started with a small limit, the attack runs, and then the checks are the same:
  - the server's memory (VmRSS in /proc/PID/status) and descriptors (/proc/PID/fd) stay bounded,
  - an innocent client (a fresh Engine.IO handshake) is still answered within a second,
  - the limit's line is in the server's log (its stderr), saying what happened.

Run: /usr/bin/python3 events_attacks.py SCENARIO   (SCENARIO: one of SCENARIOS below)
Needs WIRELAB_BIN (events_server) and a work directory (the current one) for the logs.
Uses tests/ws_handshake/wsraw.py (a raw WebSocket client); Debian's python3 only.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ws_handshake"))
from wsraw import Conn, Failure, build_frame  # noqa: E402

BIN = os.path.join(os.environ.get("WIRELAB_BIN", "build/bin"), "events_server")
STEPS = []


def step(what):
    STEPS.append(what)
    print(f"-- {what}", flush=True)


def check(what, ok, detail=""):
    if not ok:
        raise Failure(f"{what}{': ' + detail if detail else ''}")
    print(f"   ok: {what}", flush=True)


# ---- the server under attack --------------------------------------------------------------

class Server:
    """events_server started with `args`; stdout and stderr go to files (never a pipe)."""

    def __init__(self, *args):
        self.out = open("server.out", "w")
        self.err = open("server.err", "w")
        # Under ASan, freed memory waits in a quarantine (256 MB by default) that would look
        # like our growth: keep it small, so VmRSS measures what the server holds.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"
        self.proc = subprocess.Popen([BIN, "--port", "0", *args], stdout=self.out,
                                     stderr=self.err, env=env)
        self.pid = self.proc.pid
        self.base_kib = None
        deadline = time.monotonic() + 10
        self.port = None
        while self.port is None and time.monotonic() < deadline:
            time.sleep(0.02)
            for line in open("server.out"):
                if "listening on" in line:
                    self.port = int(line.split(" port ")[1].split()[0])
            if self.proc.poll() is not None:
                raise Failure(f"events_server exited at once: {open('server.err').read()}")
        if self.port is None:
            raise Failure("events_server did not say it is listening within 10 s")
        self.base_kib = self.rss_kib()
        # a sanitizer build keeps freed memory in quarantine and shadow: allow it more
        self.slack = 8 if "asan" in open(f"/proc/{self.pid}/maps").read() else 1

    def log(self):
        return open("server.err", errors="replace").read()

    def rss_kib(self):
        for line in open(f"/proc/{self.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def fds(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def finish(self):
        """The scenario is over: SIGTERM must stop the server cleanly (status 0; under a
        sanitizer that also means no report)."""
        rc = self.stop()
        check("events_server stopped by SIGTERM with status 0", rc == 0,
              f"status {rc}; log tail:\n{self.log()[-1500:]}")

    def stop(self):
        """SIGTERM by PID; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Failure("events_server ignored SIGTERM for 10 s")
        return self.proc.returncode


def http(port, method, target, body=None, timeout=1.0):
    """One request on a fresh connection: (status, body text)."""
    c = Conn(port, timeout=timeout)
    data = body.encode("latin-1") if isinstance(body, str) else body
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if data is not None:
        head += f"Content-Length: {len(data)}\r\n"
    try:
        st, hd, bd = c.http(head.encode() + b"\r\n" + (data or b""))
    finally:
        c.close()
    return st, bd.decode("latin-1")


POLL = "/socket.io/?EIO=4&transport=polling"


def innocent(srv, what="an innocent client"):
    """A fresh handshake must be answered 200 within a second (a deadline, not a speed test:
    a server that one client froze answers in seconds, or never). A sanitizer build runs
    several times slower, so there the deadline is 3 s."""
    deadline = 3.0 if getattr(srv, "slack", 1) > 1 else 1.0
    t0 = time.monotonic()
    try:
        st, body = http(srv.port, "GET", POLL, timeout=deadline)
    except (socket.timeout, OSError, EOFError) as e:
        raise Failure(f"{what} got no answer within {deadline:.0f} s ({e!r})")
    check(f"{what} is served (handshake answered 200 in {time.monotonic() - t0:.3f} s)",
          st == 200 and body.startswith("0{"), f"{st} {body[:80]}")


def bounded(srv, grow_mib, fds):
    """VmRSS grew by at most grow_mib since the start (the attack sent far more than that),
    and at most fds descriptors are open."""
    grew, n = (srv.rss_kib() - srv.base_kib) // 1024, srv.fds()
    allowed = grow_mib * srv.slack
    check(f"memory bounded: VmRSS grew {grew} MiB <= {allowed} MiB", grew <= allowed)
    check(f"descriptors bounded: {n} open <= {fds}", n <= fds)


def logged(srv, words, within=3.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(w in srv.log() for w in words):
            check(f"the limit was logged ({' / '.join(words)})", True)
            return
        time.sleep(0.05)
    raise Failure(f"no log line with {words} within {within} s; the log:\n{srv.log()[-2000:]}")


def handshake(port, ws=False):
    if ws:
        c = Conn(port)
        c.handshake("/socket.io/?EIO=4&transport=websocket")
        return c, json.loads(ws_recv(c)[1:])["sid"]
    st, body = http(port, "GET", POLL)
    return None, json.loads(body[1:])["sid"]


def ws_send(c, text):
    c.send(build_frame(0x1, text.encode() if isinstance(text, str) else text))


def ws_recv(c):
    """Next message; server pings are answered."""
    while True:
        op, data = c.recv_message()
        if op == 0x2:
            return bytes(data)
        text = data.decode()
        if text == "2":
            ws_send(c, "3")
            continue
        return text


def ws_until(c, prefix, limit=200):
    for _ in range(limit):
        m = ws_recv(c)
        if isinstance(m, str) and m.startswith(prefix):
            return m
    raise Failure(f"no message starting {prefix!r}")


def sio_ws(port):
    """A Socket.IO client on a WebSocket, connected to "/" (the chat demo)."""
    c, sid = handshake(port, ws=True)
    ws_send(c, "40")
    ws_until(c, "40{")
    return c


# ---- the attacks ----------------------------------------------------------------------------

def poll_no_get():
    """A polling client that POSTs and never GETs: what is sent to it must not pile up."""
    srv = Server("--max-queue", "262144")
    try:
        step("a polling client POSTs 40 then echo events of 32 KiB, and never GETs")
        _, sid = handshake(srv.port)
        target = f"{POLL}&sid={sid}"
        check("CONNECT posted", http(srv.port, "POST", target, "40") == (200, "ok"))
        big = "x" * 32768
        answers = []
        for i in range(1000):  # up to 32 MB of echoes, twice the memory bound
            try:
                answers.append(http(srv.port, "POST", target, f'42["echo","{big}"]')[0])
            except (OSError, EOFError):
                answers.append("closed")
            if answers[-1] != 200:
                break
        check("the session is closed once its queue passes --max-queue (POSTs now get 400)",
              answers[-1] == 400, f"last answers {answers[-3:]}")
        logged(srv, [sid, "--max-queue"])
        bounded(srv, 16, 32)
        innocent(srv)
        srv.finish()
    finally:
        srv.stop()


def ws_slow_reader():
    """A WebSocket member of a room that stops reading while another keeps talking to it."""
    srv = Server("--max-queue", "262144")
    try:
        step("a reader that never reads (small receive buffer) and a talker join room r")
        sleeper = Conn(srv.port, rcvbuf=4096)
        sleeper.handshake("/socket.io/?EIO=4&transport=websocket")
        ws_recv(sleeper)
        ws_send(sleeper, "40")
        ws_until(sleeper, "40{")
        ws_send(sleeper, '420["join","r"]')
        ws_until(sleeper, "430")
        talker = sio_ws(srv.port)
        ws_send(talker, '421["join","r"]')
        ws_until(talker, "431")
        step("the talker says 32 KiB messages to r, 800 times (26 MB); the reader reads none")
        big = "y" * 32768
        for i in range(800):
            ws_send(talker, f'42{100 + i}["say","r","{big}"]')
            ws_until(talker, f"43{100 + i}")  # its own ack: the talker is still served
        check("the talker was answered all along", True)
        logged(srv, ["not reading", "--max-queue"])
        bounded(srv, 16, 32)
        innocent(srv)
        sleeper.close()
        talker.close()
        srv.finish()
    finally:
        srv.stop()


def binary_never_completed():
    """Attachments announced and never completed, or too big: bounded bytes and a deadline."""
    srv = Server("--binary-timeout", "500", "--max-binary", "100000")
    try:
        step("announce 2 attachments, send 1, then wait (--binary-timeout 500)")
        c = sio_ws(srv.port)
        ws_send(c, '452-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
        c.send(build_frame(0x2, b"\x01" * 1000))
        c.sock.settimeout(3)
        t0 = time.monotonic()
        try:
            while True:
                fin, rsv, op, payload = c.recv_frame()
                if op == 0x8:
                    break
        except (EOFError, ConnectionResetError):
            pass
        check(f"the session was closed after the timeout ({time.monotonic() - t0:.2f} s)", True)
        logged(srv, ["--binary-timeout"])
        step("announce 3 attachments and send 3 of 60 KB (--max-binary 100000)")
        c = sio_ws(srv.port)
        ws_send(c, '453-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},'
                   '{"_placeholder":true,"num":2}]')
        try:
            for _ in range(3):
                c.send(build_frame(0x2, b"\x02" * 60000))
        except OSError:
            pass
        logged(srv, ["--max-binary"])
        bounded(srv, 16, 32)
        innocent(srv)
        srv.finish()
    finally:
        srv.stop()


def many_rooms():
    """One client joins thousands of rooms, then leaves them by disconnecting: the others are
    not frozen, and the cap of rooms per socket bites."""
    srv = Server("--max-rooms", "40000")
    try:
        step("a client sends 60,000 joins in one burst (--max-rooms 40000), then disconnects")
        c = sio_ws(srv.port)
        burst = b"".join(build_frame(0x1, f'42["join","room-{i}"]'.encode())
                         for i in range(60000))
        c.send(burst)
        time.sleep(0.1)
        innocent(srv, "an innocent client while the rooms are joined")
        logged(srv, ["--max-rooms"], within=10)
        ws_send(c, '421["echo","after the joins"]')
        ws_until(c, "431")  # every join was handled
        c.close()  # every membership left at once
        time.sleep(0.05)
        innocent(srv, "an innocent client while the rooms are left")
        bounded(srv, 16, 32)
        srv.finish()
    finally:
        srv.stop()


def pipelined_handshakes():
    """Handshakes pipelined on one keep-alive connection: a cap per connection (and sessions
    are found by a hash table, not a walk)."""
    srv = Server("--max-handshakes", "8")
    try:
        step("100 handshakes pipelined on one connection (--max-handshakes 8)")
        c = Conn(srv.port)
        c.send(f"GET {POLL} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * 100)
        statuses = []
        try:
            while len(statuses) < 100:
                st, hd, body = c.http(b"")
                statuses.append(st)
                if hd.get("connection") == "close":
                    break
        except (EOFError, OSError):
            pass
        check("8 handshakes answered 200, then 503", statuses[:8] == [200] * 8
              and statuses[8:9] == [503], f"{statuses[:12]}")
        logged(srv, ["--max-handshakes"])
        bounded(srv, 16, 32)
        innocent(srv)
        srv.finish()
    finally:
        srv.stop()


def many_sessions():
    """Sessions opened and abandoned (never CONNECT, never pong): --max-sessions caps them for
    everyone, and the abandoned ones are gone at their ping timeout, so the cap frees itself."""
    srv = Server("--demo", "protocol-suite", "--max-sessions", "20")
    try:
        step("20 handshakes on 20 connections, abandoned (--max-sessions 20)")
        for i in range(20):
            check(f"handshake {i + 1} answered", http(srv.port, "GET", POLL)[0] == 200)
        st, body = http(srv.port, "GET", POLL)
        check("the 21st gets HTTP 503 with the reason", st == 503 and "--max-sessions" in body,
              f"{st} {body[:80]}")
        logged(srv, ["--max-sessions"])
        step("pingInterval + pingTimeout later (0.5 s) the abandoned sessions are closed")
        time.sleep(0.7)
        innocent(srv, "a new client after the abandoned sessions timed out")
        bounded(srv, 16, 32)
        srv.finish()
    finally:
        srv.stop()


def slow_heads():
    """Connections that send half a request head, or nothing: a connection cap (503 beyond)
    and a head timeout free them."""
    srv = Server("--max-conns", "40", "--head-timeout", "1000")
    try:
        step("40 connections: 20 send half a head, 20 send nothing (--max-conns 40)")
        socks = []
        fds0 = srv.fds()
        for i in range(40):
            s = socket.create_connection(("127.0.0.1", srv.port))
            if i % 2 == 0:
                s.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x")
            socks.append(s)
        # Until the server has accepted all 40 (its descriptors say so; 5 s at most): only then
        # is the next one over the cap, however slowly a loaded machine runs the server.
        deadline = time.monotonic() + 5
        while srv.fds() < fds0 + 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        step("one more client: refused with 503 while the cap is reached")
        st, body = http(srv.port, "GET", POLL)
        check("the client over the cap gets HTTP 503", st == 503, f"{st} {body[:80]}")
        logged(srv, ["--max-conns"])
        bounded(srv, 16, 64)
        step("after --head-timeout the slow ones are closed (408 for a begun request)")
        time.sleep(1.3)
        logged(srv, ["--head-timeout", "408"])
        got = b""
        socks[0].settimeout(1)
        try:
            got = socks[0].recv(4096)
        except OSError:
            pass
        check("a half head was answered 408", got.startswith(b"HTTP/1.1 408"), repr(got[:40]))
        innocent(srv)
        for s in socks:
            s.close()
        srv.finish()
    finally:
        srv.stop()


def pipelined_get_post():
    """A GET and a POST pipelined on one connection: the POST is handled at once (its answer
    waits for the GET's, as HTTP/1.1 orders them)."""
    srv = Server()
    try:
        _, sid = handshake(srv.port)
        target = f"{POLL}&sid={sid}"
        step("GET (held: nothing to send yet) and POST 40 in one write on one connection")
        c = Conn(srv.port, timeout=2)
        c.send(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"
               f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n40".encode())
        st1, _, b1 = c.http(b"")
        st2, _, b2 = c.http(b"")
        check("the POST's CONNECT answered the held GET first", (st1, b1[:3]) == (200, b"40{"),
              f"{st1} {b1[:60]!r}")
        check("then the POST's own answer, in order", (st2, b2) == (200, b"ok"), f"{st2} {b2!r}")
        innocent(srv)
        srv.finish()
    finally:
        srv.stop()


def polling_utf8():
    """Text over polling that is not UTF-8: an error for that session, never relayed to the
    WebSocket members of its room."""
    srv = Server()
    try:
        member = sio_ws(srv.port)
        ws_send(member, '420["join","r"]')
        ws_until(member, "430")
        _, sid = handshake(srv.port)
        target = f"{POLL}&sid={sid}"
        http(srv.port, "POST", target, "40")
        http(srv.port, "POST", target, '420["join","r"]')
        step("the polling client says bytes that are not UTF-8 to room r")
        st, body = http(srv.port, "POST", target, b'42["say","r","\xff\xfe"]')
        check("the POST itself is answered", st == 200, f"{st}")
        logged(srv, [sid, "not valid UTF-8"])
        check("the session is closed (its next POST gets 400)",
              http(srv.port, "POST", target, "40")[0] == 400)
        step("the WebSocket member got nothing invalid and is still served")
        ws_send(member, '421["echo","still here"]')
        m = ws_until(member, "431")
        check("the member's connection is intact", m == '431["still here"]', m)
        innocent(srv)
        srv.finish()
    finally:
        srv.stop()


def sigterm():
    """SIGTERM with clients: a WebSocket gets a close frame 1001, a held GET gets an answer,
    and the server exits 0."""
    srv = Server()
    try:
        ws = sio_ws(srv.port)
        _, sid = handshake(srv.port)
        http(srv.port, "POST", f"{POLL}&sid={sid}", "40")
        held = Conn(srv.port, timeout=3)
        held.send(f"GET {POLL}&sid={sid} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        st, _, body = held.http(b"")  # the CONNECT answer
        held.send(f"GET {POLL}&sid={sid} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.2)
        step("SIGTERM")
        srv.proc.send_signal(signal.SIGTERM)
        ws.sock.settimeout(3)
        while True:
            fin, rsv, op, payload = ws.recv_frame()
            if op == 0x8:
                break
        code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        check("the WebSocket got a close frame 1001 (going away)", code == 1001, f"{code}")
        ws.send(build_frame(0x8, payload[:2]))
        st, _, body = held.http(b"")
        check("the held GET was answered (close packet 1)", (st, body) == (200, b"1"),
              f"{st} {body!r}")
        held.close()
        ws.close()
        srv.proc.wait(5)
        check("events_server exited with status 0", srv.proc.returncode == 0,
              f"{srv.proc.returncode}")
    finally:
        srv.stop()


def bind_default():
    """No --bind: only 127.0.0.1, like queue_broker (a student's server is not on the LAN)."""
    srv = Server()
    try:
        step("connect to 127.0.0.2 (another loopback address): refused")
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect(("127.0.0.2", srv.port))
            refused = False
        except ConnectionRefusedError:
            refused = True
        s.close()
        check("127.0.0.2 refused: the server listens on 127.0.0.1 only", refused)
        innocent(srv)
        check("the start line names the address", "listening on 127.0.0.1 port" in
              open("server.out").read())
        srv.finish()
    finally:
        srv.stop()


def huge_input():
    """Input without end or over every size: a head that never ends (431), a POST that
    announces 1 TB (413), a WebSocket frame that announces 1 TiB (1009). Each is refused
    before a byte of it is kept, logged, and nobody else waits."""
    srv = Server()
    try:
        step("a request head that never ends: 1 MiB of one header line")
        c = Conn(srv.port, timeout=3)
        got = b""
        try:
            c.send(b"GET " + POLL.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Endless: ")
            for _ in range(256):
                c.send(b"a" * 4096)
        except OSError:
            pass  # the server answered and closed while we were still sending
        try:
            got = c.sock.recv(4096)
        except OSError:
            pass
        c.close()
        check("the endless head was answered 431", got.startswith(b"HTTP/1.1 431"), repr(got[:40]))
        logged(srv, ["HTTP 431"])
        step("a POST whose Content-Length is 999,999,999,999 (1 TB)")
        _, sid = handshake(srv.port)
        c = Conn(srv.port, timeout=3)
        st, _, _ = c.http(f"POST {POLL}&sid={sid} HTTP/1.1\r\nHost: x\r\n"
                          "Content-Length: 999999999999\r\n\r\n".encode() + b"4" * 1000)
        c.close()
        check("the 1 TB body was answered 413 at its head", st == 413, f"{st}")
        logged(srv, ["413", "maxPayload"])
        step("a WebSocket frame that announces 1 TiB, then 4 MiB of it")
        ws, _ = handshake(srv.port, ws=True)
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, 1 << 40) + b"\0\0\0\0"
        code = None
        try:
            ws.send(head)
            for _ in range(64):
                ws.send(b"z" * 65536)
        except OSError:
            pass
        ws.sock.settimeout(3)
        try:
            while True:
                fin, rsv, op, payload = ws.recv_frame()
                if op == 0x8:
                    code = struct.unpack("!H", payload[:2])[0]
                    break
        except (OSError, EOFError):
            pass
        ws.close()
        check("the 1 TiB frame got close 1009 (message too big)", code == 1009, f"{code}")
        logged(srv, ["close 1009"])
        bounded(srv, 16, 32)
        innocent(srv)
        srv.finish()
    finally:
        srv.stop()


def abrupt_close():
    """200 clients vanish with a TCP reset (SO_LINGER 0) in every state: mid-head, holding a
    long-poll GET, a WebSocket in a room. Each session is closed, every descriptor returns."""
    srv = Server()
    try:
        fds0 = srv.fds()
        step("70 WebSockets in room r, 70 polling sessions holding a GET, 60 half heads")
        victims = []
        for i in range(70):
            c = sio_ws(srv.port)
            ws_send(c, '420["join","r"]')
            ws_until(c, "430")
            victims.append(c.sock)
        for i in range(70):
            _, sid = handshake(srv.port)
            http(srv.port, "POST", f"{POLL}&sid={sid}", "40")
            c = Conn(srv.port)
            c.send(f"GET {POLL}&sid={sid} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            c.http(b"")  # the CONNECT answer; the next GET is held
            c.send(f"GET {POLL}&sid={sid} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            victims.append(c.sock)
        for i in range(60):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nContent-Len")
            victims.append(s)
        time.sleep(0.2)
        step("all 200 reset at once")
        for s in victims:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        deadline = time.monotonic() + 5
        while srv.fds() > fds0 and time.monotonic() < deadline:
            time.sleep(0.05)
        check(f"descriptors back to {fds0} within 5 s", srv.fds() <= fds0, f"{srv.fds()} open")
        innocent(srv)
        step("the 70 WebSocket sessions are disconnected (their rooms left)")
        deadline = time.monotonic() + 5
        gone = 0
        while gone < 70 and time.monotonic() < deadline:
            gone = sum(1 for line in open("server.out") if line.startswith("disconnect "))
            time.sleep(0.05)
        check(f"70 disconnects reported ({gone})", gone >= 70)
        bounded(srv, 16, fds0 + 4)
        srv.finish()
    finally:
        srv.stop()


def unanswered_acks():
    """A client makes the server ask it 5,000 questions (server emits with an ack request)
    and answers none: at 1,024 unanswered the server asks no more, says so, and logs it."""
    srv = Server()
    try:
        step("a client sends 5,000 asks, reads every question, answers none")
        c = sio_ws(srv.port)
        refused = questions = 0
        for batch in range(10):
            base = 1000 + batch * 500
            c.send(b"".join(build_frame(0x1, f'42{base + i}["ask","q{base + i}"]'.encode())
                            for i in range(500)))
            # each ask gets one answer: a question (an emit with an ack request), or, once
            # 1,024 are unanswered, its own ack {"ok":false}
            while questions + refused < 500 * (batch + 1):
                m = ws_recv(c)
                if m.startswith("42") and '"question"' in m:
                    questions += 1
                elif m.startswith("43") and '"ok":false' in m:
                    refused += 1
        check(f"1,024 questions asked, the other asks refused ({questions} and {refused})",
              questions == 1024 and refused == 5000 - 1024)
        logged(srv, ["1024 ack requests unanswered"])
        innocent(srv)
        c.close()
        bounded(srv, 16, 32)
        srv.finish()
    finally:
        srv.stop()


def unread_stdout():
    """stdout is a pipe nobody reads (a grader's Popen(stdout=PIPE)), then a reader that goes
    away: the server keeps serving, drops and counts log lines, survives SIGPIPE, and still
    stops on SIGTERM."""
    import fcntl
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"
    err = open("server.err", "w")
    proc = subprocess.Popen([BIN, "--port", "0", "--verbose"], stdout=subprocess.PIPE,
                            stderr=err, env=env)
    try:
        fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)  # fills after a few lines
        line = proc.stdout.readline().decode()
        check("the start line names the port", " port " in line, line)
        port = int(line.split(" port ")[1].split()[0])
        srv = type("S", (), {})()
        srv.port = port
        step("300 Socket.IO clients connect, join a room and leave (5 stdout lines each)")
        for i in range(300):
            c = sio_ws(port)
            ws_send(c, '420["join","r"]')
            ws_until(c, "430")
            c.close()
        innocent(srv, "an innocent client with stdout full")
        step("the reader goes away (the pipe's read end is closed): SIGPIPE must not kill it")
        proc.stdout.close()
        for i in range(50):
            sio_ws(port).close()
        check("the server is alive after its stdout reader left", proc.poll() is None,
              f"status {proc.returncode}")
        innocent(srv, "an innocent client with no stdout reader")
        step("SIGTERM")
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(10)
        check("events_server stopped by SIGTERM with status 0", rc == 0, f"status {rc}")
        text = open("server.err", errors="replace").read()
        check("it said how many log lines it dropped",
              "log lines dropped in all: stdout was not being read" in text, text[-500:])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


SCENARIOS = {f.__name__: f for f in (poll_no_get, ws_slow_reader, binary_never_completed,
                                     many_rooms, pipelined_handshakes, many_sessions,
                                     slow_heads,
                                     pipelined_get_post, polling_utf8, sigterm, bind_default,
                                     huge_input, abrupt_close, unanswered_acks, unread_stdout)}

if __name__ == "__main__":
    name = sys.argv[1]
    try:
        SCENARIOS[name]()
    except (Failure, OSError, EOFError, AssertionError) as e:
        print(f"FAILED: events attack '{name}'\nThe steps that ran:")
        for s in STEPS:
            print(f"  - {s}")
        print(f"What went wrong:\n  {e!r}")
        sys.exit(1)
    print(f"events attack '{name}': every check passed")

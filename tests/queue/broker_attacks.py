#!/usr/bin/python3
"""broker_attacks.py - hostile clients against a real queue_broker (issue 17: one client can only
ever hurt itself).

Usage: /usr/bin/python3 broker_attacks.py ATTACK BROKER_BINARY
Attacks: acks, nonreader, huge, names, fds, pipelining, abrupt, stdout, sigterm.

Each attack starts its own broker on a free loopback port, attacks it, and checks:
  - the broker's resident memory (VmRSS) and open file descriptors (/proc/PID) stay bounded;
  - an innocent client is still served within a second (PUSH, then OK);
  - the limit that bit wrote its line in the broker's log;
  - SIGTERM still stops it with exit status 0.
A failure prints the steps that ran and what went wrong, and exits 1.
"""
import fcntl
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
steps = []


def step(text):
    steps.append(text)
    print("  ... " + text, flush=True)


def fail(what):
    sys.stderr.write("\nFAILED attack '%s'\nThe steps that ran:\n" % ATTACK)
    for s in steps:
        sys.stderr.write("  - %s\n" % s)
    sys.stderr.write("What went wrong:\n  %s\n" % what)
    if broker is not None:
        sys.stderr.write("The broker's log so far:\n%s\n" % "".join(broker.log[-30:]))
        broker.kill()
    sys.exit(1)


class Broker:
    """queue_broker in the background; its stdout is read by a thread (unless unread=True)."""

    def __init__(self, *opts, unread=False):
        env = dict(os.environ)
        # Under AddressSanitizer freed memory sits in a quarantine (256 MiB by default), which
        # would look like growth: keep it small so RSS measures what the broker holds.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=8"
        self.proc = subprocess.Popen([BINARY, "--port", "0"] + list(opts), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)
        self.log = []
        self.port = None
        if unread:
            # A small pipe (two pages) that nobody reads: it fills after a few dozen lines.
            # (Linux calls a pipe writable while a page, 4096 bytes, is free.)
            fcntl.fcntl(self.proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 8192)
        deadline = time.monotonic() + 10
        while self.port is None:
            line = self.proc.stdout.readline().decode(errors="replace")
            if not line or time.monotonic() > deadline:
                fail("the broker did not say which port it listens on: %r" % self.log)
            self.log.append(line)
            m = re.search(r"listening on .* port (\d+)", line)
            if m:
                self.port = int(m.group(1))
        if not unread:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            self.log.append(raw.decode(errors="replace"))

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def logged(self, pattern, wait=3.0):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for line in self.log):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            fail("SIGTERM did not stop the broker within 10 s")
        if rc != 0:
            fail("after SIGTERM the broker exited with status %d (0 expected)" % rc)
        time.sleep(0.1)  # let the reader thread take the last lines

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def connect(port, timeout=5.0):
    return socket.create_connection((HOST, port), timeout=timeout)


def read_line(sock, timeout):
    sock.settimeout(timeout)
    buf = b""
    try:
        while not buf.endswith(b"\n"):
            chunk = sock.recv(1)
            if not chunk:
                break
            buf += chunk
    except (socket.timeout, OSError):
        pass
    return buf.decode(errors="replace").strip()


def innocent(port, what):
    """A well-behaved client must be served within one second, attack or not."""
    start = time.monotonic()
    try:
        s = connect(port, 1.0)
        s.sendall(b"PUSH innocent hello\n")
        got = read_line(s, 1.0)
        s.close()
    except OSError as e:
        fail("%s: an innocent client could not even connect: %s" % (what, e))
    took = time.monotonic() - start
    if not got.startswith("OK "):
        fail("%s: an innocent client's PUSH got %r instead of OK within a second" % (what, got))
    step("%s: an innocent client was served (PUSH -> %s, %.0f ms)" % (what, got, took * 1000))


def expect_bounded(b, rss0, fds0, rss_growth_mib, max_fds, what):
    rss, fds = b.rss_kib(), b.fds()
    step("%s: VmRSS %d KiB (started at %d), %d fds (started at %d)" % (what, rss, rss0, fds, fds0))
    if rss - rss0 > rss_growth_mib * 1024:
        fail("%s: the broker's memory grew by %d KiB, more than the %d MiB this attack may cost"
             % (what, rss - rss0, rss_growth_mib))
    if fds > max_fds:
        fail("%s: the broker has %d file descriptors open, more than %d" % (what, fds, max_fds))


def expect_logged(b, pattern, wait=3.0):
    if not b.logged(pattern, wait):
        fail("the broker should have logged a line matching %r" % pattern)
    step("logged: " + next(l for l in b.log if re.search(pattern, l)).strip())


# ---- the attacks ----------------------------------------------------------------------------


def nonreader():
    """A subscriber that never reads while 40 MiB are published: cut at 16 MiB unsent."""
    b = start()
    rss0, fds0 = b.rss_kib(), b.fds()
    lazy = socket.socket()
    lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    lazy.connect((HOST, b.port))
    lazy.sendall(b"SUB news\n")
    time.sleep(0.2)
    pub = connect(b.port)
    body = b"PUB news " + b"x" * 1000 + b"\n"
    step("a subscriber that never reads; a publisher sends 40,000 messages of 1000 bytes")
    for _ in range(400):
        pub.sendall(body * 100)
        got = b""
        while got.count(b"\n") < 100:
            got += pub.recv(65536)
    expect_logged(b, r"is not reading: 16 MiB unsent, closing it")
    step("the subscriber that did not read is cut: it reads what was sent, then the end")
    lazy.settimeout(5.0)
    try:
        while lazy.recv(1 << 20):
            pass
    except socket.timeout:
        fail("the subscriber over 16 MiB unsent should have been disconnected")
    except OSError:
        pass  # a reset: disconnected too
    innocent(b.port, "after the flood")
    expect_bounded(b, rss0, fds0, 64, fds0 + 4, "after the flood")
    lazy.close()
    pub.close()
    b.stop()


def huge():
    """One line of 64 MiB with no newline, then an endless stream: ERR once, bytes skipped."""
    b = start("--max-line", "1024")
    rss0, fds0 = b.rss_kib(), b.fds()
    s = connect(b.port)
    step("a client sends 64 MiB without a newline")
    chunk = b"PUSH q " + b"y" * (1 << 20)
    stop = threading.Event()

    def flood():
        try:
            for _ in range(64):
                s.sendall(chunk)
            while not stop.is_set():  # and then endlessly
                s.sendall(b"z" * 65536)
        except OSError:
            pass

    t = threading.Thread(target=flood, daemon=True)
    t.start()
    time.sleep(1.0)
    innocent(b.port, "during the endless line")
    if read_line(s, 2.0) != "ERR line too long (the broker accepts up to 1024 bytes)":
        fail("the flooding client should have been told 'ERR line too long' once")
    expect_logged(b, r"sent a line over 1024 bytes \(--max-line\)")
    expect_bounded(b, rss0, fds0, 16, fds0 + 4, "during the endless line")
    stop.set()
    s.close()
    t.join(5)
    b.stop()


def names():
    """One client creates names until refused (--max-names 20): the table has a cap, the
    client is told why, the refusal is logged, and names in use keep working for everyone."""
    b = start("--max-names", "20")
    rss0, fds0 = b.rss_kib(), b.fds()
    first = connect(b.port)
    first.sendall(b"PUSH jobs before\n")
    read_line(first, 2.0)
    s = connect(b.port)
    step("a client PUSHes to 10,000 different queue names")
    s.sendall(b"".join(b"PUSH q%d x\n" % i for i in range(10000)))
    f = s.makefile("rb")
    want = b"ERR too many queues and topics (the broker allows 20, --max-names): use one that exists"
    refused = sum(1 for _ in range(10000) if f.readline().rstrip(b"\n") == want)
    step("%d of 10,000 refused with %r" % (refused, want.decode()))
    if refused != 10000 - 19:
        fail("20 names in all (jobs + 19 new) should fit, the rest be refused; refused %d" % refused)
    expect_logged(b, r"too many queues and topics \(the broker allows 20, --max-names\)")
    s2 = connect(b.port)
    s2.sendall(b"PUSH jobs after\nPULL jobs\n")
    got = read_line(s2, 1.0)
    if not got.startswith("OK "):
        fail("a queue that existed before must keep working; PUSH jobs got %r" % got)
    got = read_line(s2, 1.0)
    if not got.startswith("MSG jobs 1 new before"):
        fail("a consumer of a queue that existed before must be served; PULL got %r" % got)
    step("a queue that existed before still works for another client: PUSH, PULL -> %s" % got)
    expect_bounded(b, rss0, fds0, 32, fds0 + 4, "after 10,000 names")
    b.stop()


def fds():
    """200 silent connections against --max-clients 50: 150 get 'ERR busy'; the idle timeout
    frees the 50 slots, and an innocent client gets one."""
    b = start("--max-clients", "50", "--idle-timeout", "2")
    fds0 = b.fds()
    rss0 = b.rss_kib()
    step("open 200 connections that never send anything")
    socks = [connect(b.port) for _ in range(200)]
    time.sleep(0.5)
    busy = closed = held = 0
    for s in socks:
        s.setblocking(False)  # (a socket with a timeout would wait for data first)
        try:
            data = s.recv(4096)
        except BlockingIOError:
            held += 1  # connected and served: silent on both sides
            continue
        if data.startswith(b"ERR busy:"):
            busy += 1
        elif not data:
            closed += 1  # more than 64 being refused at once: closed without a word
    step("%d held, %d told 'ERR busy' and closed, %d closed without a word"
         % (held, busy, closed))
    if held != 50 or busy == 0 or busy + closed != 150:
        fail("50 should be held and 150 refused (most with ERR busy); got %d, %d, %d"
             % (held, busy, closed))
    expect_logged(b, r"refused 127\.0\.0\.1:\d+: 50 clients are connected, the server's limit "
                     r"\(raise it with --max-clients\)")
    # 50 clients, and up to 64 refused ones being told why (LOOP_MAX_REFUSING, for a second)
    expect_bounded(b, rss0, fds0, 16, fds0 + 50 + 64, "with the slots full")
    expect_logged(b, r"sent nothing for 2 s: closed \(--idle-timeout\)", wait=5.0)
    innocent(b.port, "after the idle timeout freed the slots")
    for s in socks:
        s.close()
    time.sleep(0.3)
    expect_bounded(b, rss0, fds0, 16, fds0 + 2, "after they all closed")
    b.stop()


def pipelining():
    """100,000 PULLs and 100,000 PUSHes pipelined by a client that never reads its replies."""
    b = start()
    rss0, fds0 = b.rss_kib(), b.fds()
    s = connect(b.port)
    s.setblocking(False)
    data = b"PULL q\n" * 100000 + b"PUSH q x\n" * 100000
    step("pipeline 100,000 PULLs and 100,000 PUSHes, read nothing")
    sent, deadline = 0, time.monotonic() + 3
    while sent < len(data) and time.monotonic() < deadline:
        try:
            sent += s.send(data[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.01)  # the broker stopped reading us: backpressure
    step("%d of %d bytes went in before the broker stopped reading" % (sent, len(data)))
    expect_logged(b, r"too many PULLs waiting on this connection \(max 16\)")
    innocent(b.port, "while the pipeliner is stuck")
    expect_bounded(b, rss0, fds0, 32, fds0 + 4, "while the pipeliner is stuck")
    s.close()
    b.stop()


def abrupt():
    """500 consumers take the one message and vanish with a RST: it comes back every time."""
    b = start("--max-deliveries", "0")
    rss0, fds0 = b.rss_kib(), b.fds()
    p = connect(b.port)
    p.sendall(b"PUSH jobs hot-potato\n")
    read_line(p, 2.0)
    step("500 times: connect, PULL, get the message, close with a RST (SO_LINGER 0)")
    for i in range(500):
        c = connect(b.port)
        c.sendall(b"PULL jobs\n")
        got = read_line(c, 2.0)
        want = "MSG jobs 1 %s hot-potato" % ("new" if i == 0 else "redelivered")
        if got != want:
            fail("consumer %d should have got %r, got %r" % (i, want, got))
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    expect_logged(b, r"closed: reset by peer \(RST\)")
    innocent(b.port, "after 500 abrupt closes")
    time.sleep(0.3)
    expect_bounded(b, rss0, fds0, 16, fds0 + 2, "after 500 abrupt closes")
    b.stop()
    if not b.logged(r"stopped\. .*delivered 500, redelivered 499"):
        fail("the summary should count 500 deliveries, 499 of them redeliveries")


def stdout():
    """stdout is a two-page pipe nobody reads, then a reader that goes away: the broker keeps
    serving, drops log lines and counts them, and SIGPIPE does not kill it."""
    b = start("--max-line", "64", unread=True)
    rss0, fds0 = b.rss_kib(), b.fds()
    s = connect(b.port)
    step("5 s of over-long lines, each one logged: far more than the 8 KiB pipe holds")
    end = time.monotonic() + 5
    while time.monotonic() < end:
        s.sendall(b"X" * 100 + b"\n")
        time.sleep(0.01)
    innocent(b.port, "with stdout full")
    os.set_blocking(b.proc.stdout.fileno(), False)
    text = (b.proc.stdout.read() or b"").decode(errors="replace")
    b.log.extend(text.splitlines(True))
    expect_logged(b, r"sent a line over 64 bytes")
    step("drained %d bytes; one more over-long line must report the dropped ones" % len(text))
    s.sendall(b"X" * 100 + b"\n")
    time.sleep(1.2)  # a new second: the rate limit lets it through
    s.sendall(b"X" * 100 + b"\n")
    time.sleep(0.3)
    b.log.extend((b.proc.stdout.read() or b"").decode(errors="replace").splitlines(True))
    expect_logged(b, r"\d+ log lines dropped: stdout was not being read")
    step("the reader goes away (the pipe's read end is closed)")
    b.proc.stdout.close()
    for _ in range(50):
        s.sendall(b"X" * 100 + b"\n")
    time.sleep(0.3)
    if b.proc.poll() is not None:
        fail("the broker died (status %s) when its stdout reader went away" % b.proc.returncode)
    innocent(b.port, "with no stdout reader")
    expect_bounded(b, rss0, fds0, 16, fds0 + 4, "with no stdout reader")
    s.close()
    b.stop()


def sigterm():
    """SIGTERM with waiting, working, subscribed and non-reading clients: a clean stop that
    says what it discards, and every client sees the connection end."""
    b = start()
    p = connect(b.port)
    for i in range(15):
        p.sendall(b"PUSH jobs j%d\n" % i)
        read_line(p, 2.0)
    clients = []
    for i in range(10):  # working: each holds one message
        c = connect(b.port)
        c.sendall(b"PULL jobs\n")
        read_line(c, 2.0)
        clients.append(c)
    for i in range(5):  # subscribers
        c = connect(b.port)
        c.sendall(b"SUB news\n")
        read_line(c, 2.0)
        clients.append(c)
    p.sendall(b"PUB news hello\n")
    innocent(b.port, "before SIGTERM")
    step("SIGTERM with 10 consumers holding a message, 5 subscribers, 5 messages queued")
    b.stop()
    expect_logged(b, r"memory only: this stop discards 6 queued, 10 in flight, 0 dead-lettered "
                     r"and 1 published messages")
    for c in clients:
        c.settimeout(2.0)
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
        except socket.timeout:
            fail("a client's connection was not closed by the stop")
        except OSError:
            pass


def acks():
    """100,000 messages in flight at one consumer, ACKed oldest first in one pipelined burst
    (with a list walk: 5 billion comparisons, seconds of a frozen broker): an innocent client
    is served meanwhile, and every ACK is answered."""
    n = 100000
    b = start("--capacity", str(n), "--prefetch", str(n), "--max-line", "32")
    rss0, fds0 = b.rss_kib(), b.fds()
    p, c = connect(b.port, 30), connect(b.port, 30)
    step("push 100,000 messages, and one consumer pulls them all without ACKing")
    p.sendall(b"PUSH jobs x\n" * n)
    pf = p.makefile("rb")
    for _ in range(n):
        pf.readline()
    c.sendall(b"PULL jobs\n" * n)
    cf = c.makefile("rb")
    for i in range(n):
        if not cf.readline().startswith(b"MSG jobs "):
            fail("the consumer should have got 100,000 MSG lines; line %d was not one" % i)
    step("the consumer sends 100,000 ACKs, oldest first, in one burst")
    burst = b"".join(b"ACK %d\n" % i for i in range(1, n + 1))
    t = threading.Thread(target=c.sendall, args=(burst,), daemon=True)
    t.start()
    innocent(b.port, "while 100,000 ACKs are processed")
    oks = sum(1 for _ in range(n) if cf.readline() == b"OK\n")
    t.join(10)
    if oks != n:
        fail("every ACK should have been answered OK; %d of %d were" % (oks, n))
    step("all 100,000 ACKs answered OK")
    expect_bounded(b, rss0, fds0, 64, fds0 + 4, "after the ACKs")
    b.stop()
    if not b.logged(r"acked 100000"):
        fail("the summary should count 100000 acked")


ATTACKS = {"acks": acks, "nonreader": nonreader, "huge": huge, "names": names, "fds": fds,
           "pipelining": pipelining, "abrupt": abrupt, "stdout": stdout, "sigterm": sigterm}
broker = None


def start(*opts, unread=False):
    global broker
    step("start queue_broker %s" % " ".join(opts))
    broker = Broker(*opts, unread=unread)
    return broker


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ATTACKS:
        sys.stderr.write("usage: broker_attacks.py %s BROKER_BINARY\n" % "|".join(ATTACKS))
        sys.exit(2)
    ATTACK, BINARY = sys.argv[1], sys.argv[2]
    try:
        ATTACKS[ATTACK]()
    finally:
        if broker is not None:
            broker.kill()
    print("ok: %s" % ATTACK)

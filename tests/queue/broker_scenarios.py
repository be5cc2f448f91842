#!/usr/bin/python3
"""broker_scenarios.py - drive a running queue_broker over TCP and check what it answers.

Usage: /usr/bin/python3 broker_scenarios.py SCENARIO PORT
Scenarios: competing, semantics, redelivery, replay, gap, errors, toolong, prefetch, busy, idle, deadline,
touch, deadletter. broker_test.sh starts the broker
(with the capacity each scenario needs) and calls this; a failure prints what was sent, what
should have come back and what did, and exits 1.
"""
import os
import signal
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"
TIMEOUT = 5.0
transcript = []


def fail(what):
    sys.stderr.write("\nFAILED scenario '%s'\nThe conversation so far:\n" % SCENARIO)
    for line in transcript[-40:]:
        sys.stderr.write("  %s\n" % line)
    sys.stderr.write("What went wrong:\n  %s\n" % what)
    sys.exit(1)


class Client:
    """One TCP connection speaking the line protocol."""

    def __init__(self, name, port):
        self.name = name
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        self.buf = b""

    def send(self, line):
        data = line if isinstance(line, bytes) else line.encode()
        transcript.append("%s > %r" % (self.name, data))
        self.sock.sendall(data + b"\n")

    def line(self, timeout=TIMEOUT):
        """The next line from the broker, or None after `timeout` seconds of silence."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode(errors="replace")
        transcript.append("%s < %s" % (self.name, text))
        return text

    def expect(self, want):
        got = self.line()
        if got != want:
            fail("%s should have received %r but got %r" % (self.name, want, got))

    def expect_prefix(self, prefix):
        got = self.line()
        if got is None or not got.startswith(prefix):
            fail("%s should have received a line starting %r but got %r" % (self.name, prefix, got))
        return got

    def expect_silence(self, seconds=0.3):
        got = self.line(seconds)
        if got is not None:
            fail("%s should have received nothing yet, but got %r" % (self.name, got))

    def close(self):
        self.sock.close()

    def leave(self):
        """QUIT and wait for the broker to close: after this, it has forgotten the client
        (a plain close() would race with the next PUB, making the counts timing-dependent)."""
        self.send("QUIT")
        self.expect("OK bye")
        if self.line(TIMEOUT) is not None:
            fail("%s: after QUIT the broker should close the connection" % self.name)
        self.sock.close()


def competing(port):
    """Two consumers PULL the same queue: each message goes to exactly one of them."""
    p, c1, c2 = Client("producer", port), Client("consumer1", port), Client("consumer2", port)
    for i in range(1, 11):
        p.send("PUSH jobs job-%d" % i)
        p.expect("OK %d" % i)
    got = {}
    for _ in range(5):
        for c in (c1, c2):
            c.send("PULL jobs")
            words = c.expect_prefix("MSG jobs ").split(" ", 4)
            if words[3] != "new":
                fail("a first delivery must be marked new: %r" % " ".join(words))
            if words[2] in got:
                fail("message %s went to %s and to %s" % (words[2], got[words[2]], c.name))
            got[words[2]] = c.name
            c.send("ACK " + words[2])
            c.expect("OK")
    if sorted(got, key=int) != [str(i) for i in range(1, 11)]:
        fail("the consumers together should have got ids 1..10, got %s" % sorted(got, key=int))
    c1.send("PULL jobs")  # nothing left: it waits ...
    c1.expect_silence()
    p.send("PUSH jobs late")  # ... and gets the next one pushed
    p.expect("OK 11")
    c1.expect("MSG jobs 11 new late")
    c1.send("ACK 11")  # (unacked, it would be redelivered to c2 as the script's sockets close)
    c1.expect("OK")
    c2.send("PULL jobs")
    c2.expect_silence()


def consumer_child(port):
    """Run in a child process: PULL one message, report it, then hang without ACKing."""
    c = Client("doomed-consumer", port)
    c.send("PULL jobs")
    print(c.line(), flush=True)
    time.sleep(60)


def redelivery(port):
    """A consumer killed before its ACK: the message arrives at the other, marked redelivered."""
    p = Client("producer", port)
    p.send("PUSH jobs resize cat.jpg")
    p.expect("OK 1")
    child = subprocess.Popen([sys.executable, __file__, "consumer-child", str(port)],
                             stdout=subprocess.PIPE, text=True)
    try:
        got = child.stdout.readline().strip()
        transcript.append("doomed-consumer (a separate process) < %s" % got)
        if got != "MSG jobs 1 new resize cat.jpg":
            fail("the first consumer should have got 'MSG jobs 1 new resize cat.jpg', got %r" % got)
        other = Client("consumer2", port)
        other.send("PULL jobs")
        other.expect_silence()  # message 1 is in flight at the first consumer
        transcript.append("(kill -9 the first consumer, pid %d, before it ACKs)" % child.pid)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        other.expect("MSG jobs 1 redelivered resize cat.jpg")
        other.send("ACK 1")
        other.expect("OK")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def replay(port):
    """A subscriber away for 10 messages comes back with FROM and gets exactly those 10."""
    pub, sub = Client("publisher", port), Client("subscriber", port)
    sub.send("SUB news")
    sub.expect("OK 0")
    for i in range(1, 6):
        pub.send("PUB news before-%d" % i)
        pub.expect("OK %d" % i)
        sub.expect("EVENT news %d before-%d" % (i, i))
    sub.leave()  # the subscriber's last offset is 5
    for i in range(6, 16):
        pub.send("PUB news missed-%d" % i)
        pub.expect("OK %d" % i)
    sub = Client("subscriber-again", port)
    sub.send("SUB news FROM 5")
    for i in range(6, 16):
        sub.expect("EVENT news %d missed-%d" % (i, i))
    sub.expect("OK 15")
    pub.send("PUB news live")
    pub.expect("OK 16")
    sub.expect("EVENT news 16 live")


def gap(port):
    """Away for more than the capacity (8): a GAP notice with the count, then what is held."""
    pub, sub = Client("publisher", port), Client("subscriber", port)
    sub.send("SUB ticks")
    sub.expect("OK 0")
    pub.send("PUB ticks t1")
    pub.expect("OK 1")
    sub.expect("EVENT ticks 1 t1")
    sub.leave()
    for i in range(2, 22):  # 20 more; the topic keeps the last 8: 14..21
        pub.send("PUB ticks t%d" % i)
        pub.expect("OK %d" % i)
    sub = Client("subscriber-again", port)
    sub.send("SUB ticks FROM 1")
    sub.expect("GAP ticks 12")  # 2..13 were overwritten
    for i in range(14, 22):
        sub.expect("EVENT ticks %d t%d" % (i, i))
    sub.expect("OK 21")


def errors(port):
    """Malformed lines get ERR and the connection keeps working."""
    c = Client("client", port)
    for bad, reply in [
        ("HELLO", "ERR unknown command 'HELLO' (try PUSH PULL ACK TOUCH PUB SUB DLQ REQUEUE QUIT)"),
        ("PUSH", "ERR usage: PUSH <queue> <message>"),
        ("PUSH jobs", "ERR usage: PUSH <queue> <message> (the message cannot be empty)"),
        ("PULL a/b", "ERR bad name: use 1-64 of A-Z a-z 0-9 . _ -"),
        ("ACK nine", "ERR usage: ACK <id> (the number from a MSG line)"),
        ("ACK 99", "ERR no message 99 is waiting for an ACK from this connection (not delivered "
                   "here, already ACKed, or its ACK deadline passed and it went back to the queue)"),
        ("SUB news FROM", "ERR usage: SUB <topic> [FROM <offset>]"),
        ("SUB news FROM 7", "ERR offset 7 is newer than the newest on topic news (0): not subscribed"),
        (b"\x00\xff\xfe", "ERR unknown command '???' (try PUSH PULL ACK TOUCH PUB SUB DLQ REQUEUE QUIT)"),
        ("", "ERR empty command (try PUSH PULL ACK TOUCH PUB SUB DLQ REQUEUE QUIT)"),
    ]:
        c.send(bad)
        c.expect(reply)
    c.send("PUSH jobs still fine\r")  # a "\r\n" line ending (nc -C, telnet) works too
    c.expect("OK 1")
    c.send("PULL jobs")
    c.expect("MSG jobs 1 new still fine")
    c.send("QUIT")
    c.expect("OK bye")
    if c.line(2.0) is not None:
        fail("after QUIT the broker should close the connection")


def toolong(port):
    """A line over --max-line (64) gets one ERR, is skipped, and the next line works."""
    c = Client("client", port)
    c.sock.sendall(b"PUSH jobs " + b"x" * 100)  # no newline yet: more than the limit already
    transcript.append("client > 'PUSH jobs xxx...' (110 bytes, no newline yet)")
    c.expect("ERR line too long (the broker accepts up to 64 bytes)")
    c.sock.sendall(b"x" * 5000 + b"\nPUSH jobs ok\n")
    transcript.append("client > 5000 more x, newline, 'PUSH jobs ok'")
    c.expect("OK 1")
    c.send("PUSH jobs " + "y" * 80)
    c.expect("ERR line too long (the broker accepts up to 64 bytes)")
    c.send("PUSH jobs " + "z" * 54)  # exactly 64 bytes
    c.expect("OK 2")


def prefetch(port):
    """--prefetch 2: a consumer that never ACKs holds 2, its third PULL waits, others go on."""
    p, greedy, fair = Client("producer", port), Client("greedy", port), Client("fair", port)
    for i in range(1, 7):
        p.send("PUSH jobs m%d" % i)
        p.expect("OK %d" % i)
    for i in (1, 2):
        greedy.send("PULL jobs")
        greedy.expect("MSG jobs %d new m%d" % (i, i))
    greedy.send("PULL jobs")  # over its prefetch: waits (it never ACKs)
    greedy.expect_silence()
    for i in (3, 4, 5):  # the other consumer is not starved
        fair.send("PULL jobs")
        fair.expect("MSG jobs %d new m%d" % (i, i))
        fair.send("ACK %d" % i)
        fair.expect("OK")
    greedy.send("ACK 1")  # below its prefetch again: its waiting PULL gets message 6
    greedy.expect("OK")
    greedy.expect("MSG jobs 6 new m6")


def busy(port):
    """--max-clients 2: the third connection is told 'ERR busy' and closed; after one of the
    two leaves, a new client is served."""
    a, b = Client("client1", port), Client("client2", port)
    for c in (a, b):
        c.send("PUSH q x")
        c.expect_prefix("OK ")
    third = Client("client3", port)
    third.expect("ERR busy: 2 clients connected, the most this broker serves (--max-clients); "
                 "try again later")
    if third.line(TIMEOUT) is not None:
        fail("after ERR busy the broker should close the connection")
    a.leave()
    fourth = Client("client4", port)
    fourth.send("PUSH q y")
    fourth.expect("OK 3")


def idle(port):
    """--idle-timeout 1: a silent client is closed with a reason; one waiting on a PULL, a
    subscriber and a worker holding an unacked message are silent on purpose and stay."""
    worker = Client("worker", port)
    worker.send("PUSH jobs long work")
    worker.expect("OK 1")
    worker.send("PULL jobs 30")
    worker.expect("MSG jobs 1 new long work")
    silent, puller, sub = Client("silent", port), Client("puller", port), Client("subscriber", port)
    puller.send("PULL jobs")
    sub.send("SUB news")
    sub.expect("OK 0")
    silent.expect("ERR idle for 1 s (--idle-timeout): closing; reconnect when you have something "
                  "to send")
    if silent.line(TIMEOUT) is not None:
        fail("after the idle ERR the broker should close the connection")
    time.sleep(1.5)  # longer than the timeout: the waiting ones must still be there
    p = Client("producer", port)
    p.send("PUSH jobs hello")
    p.expect("OK 2")
    puller.expect("MSG jobs 2 new hello")
    p.send("PUB news hi")
    sub.expect("EVENT news 1 hi")
    p.expect("OK 1")
    worker.send("ACK 1")  # 1.5 s of silence, but it held a message: still connected
    worker.expect("OK")
    chatty = Client("chatty", port)  # never silent for a whole second: its deadline moves on
    for i in range(4):
        chatty.send("PUSH chat %d" % i)
        if not (chatty.line(TIMEOUT) or "").startswith("OK "):
            fail("a client that speaks every 0.6 s must never be closed as idle")
        time.sleep(0.6)


def deadline(port):
    """An ACK deadline of 1 s passes: the message goes to the waiting consumer, marked
    redelivered; the first consumer's late ACK is refused, the second's accepted."""
    p, slow, other = Client("producer", port), Client("slow", port), Client("other", port)
    p.send("PUSH jobs work")
    p.expect("OK 1")
    slow.send("PULL jobs 1")
    slow.expect("MSG jobs 1 new work")
    other.send("PULL jobs")
    other.expect_silence(0.5)
    other.expect("MSG jobs 1 redelivered work")  # within TIMEOUT: the deadline came
    slow.send("ACK 1")
    slow.expect("ERR no message 1 is waiting for an ACK from this connection (not delivered "
                "here, already ACKed, or its ACK deadline passed and it went back to the queue)")
    other.send("ACK 1")
    other.expect("OK")


def touch(port):
    """TOUCH as a heartbeat keeps a 1 s deadline from passing for 3 s; then it stops and the
    message goes back."""
    p, worker, other = Client("producer", port), Client("worker", port), Client("other", port)
    p.send("PUSH jobs long")
    p.expect("OK 1")
    worker.send("PULL jobs 1")
    worker.expect("MSG jobs 1 new long")
    other.send("PULL jobs")
    for _ in range(6):
        time.sleep(0.5)
        worker.send("TOUCH 1")
        worker.expect("OK 1")
    other.expect_silence(0.1)  # 3 s after delivery, still the worker's
    other.expect("MSG jobs 1 redelivered long")  # the heartbeat stopped: 1 s later it is back


def deadletter(port):
    """--max-deliveries 2: a message whose deadline passes twice goes to the dead-letter list;
    DLQ shows it with its reason, REQUEUE puts it back."""
    p, c, ops = Client("producer", port), Client("consumer", port), Client("operator", port)
    p.send("PUSH jobs poison")
    p.expect("OK 1")
    c.send("PULL jobs 1")
    c.expect("MSG jobs 1 new poison")
    c.send("PULL jobs 1")
    c.expect("MSG jobs 1 redelivered poison")  # the deadline passed once: back, and to c again
    time.sleep(1.5)  # the second deadline passes: 2 deliveries, dead-lettered
    ops.send("DLQ jobs")
    ops.expect("DEAD jobs 1 2 deadline poison")
    ops.expect("OK 1 of 1")
    c.send("PULL jobs 1")
    c.expect_silence(0.5)  # not redelivered again
    ops.send("REQUEUE jobs ALL")
    c.expect("MSG jobs 1 redelivered poison")  # the operator put it back
    ops.expect("OK 1")
    c.send("ACK 1")
    c.expect("OK")


def semantics(port):
    """The delivery semantics queue/README.md states: fresh messages in PUSH order; a
    redelivery goes first, out of that order; the first consumer's late ACK is refused, so the
    work was done twice (at-least-once, duplicates possible)."""
    p, c1, c2 = Client("producer", port), Client("consumer1", port), Client("consumer2", port)
    for i in range(1, 5):
        p.send("PUSH jobs m%d" % i)
        p.expect("OK %d" % i)
    c1.send("PULL jobs 1")
    c1.expect("MSG jobs 1 new m1")
    for i in (2, 3):  # in PUSH order
        c2.send("PULL jobs")
        c2.expect("MSG jobs %d new m%d" % (i, i))
        c2.send("ACK %d" % i)
        c2.expect("OK")
    time.sleep(1.5)  # consumer1's deadline passes while it "works"
    c2.send("PULL jobs")
    c2.expect("MSG jobs 1 redelivered m1")  # the redelivery first: before m4, after m2 and m3
    c2.send("PULL jobs")
    c2.expect("MSG jobs 4 new m4")
    c1.send("ACK 1")  # consumer1 finished too: the job was done twice
    c1.expect("ERR no message 1 is waiting for an ACK from this connection (not delivered "
              "here, already ACKed, or its ACK deadline passed and it went back to the queue)")
    for i in (1, 4):
        c2.send("ACK %d" % i)
        c2.expect("OK")


SCENARIOS = {"competing": competing, "semantics": semantics, "prefetch": prefetch, "busy": busy, "idle": idle,
             "deadline": deadline, "touch": touch, "deadletter": deadletter, "redelivery": redelivery, "replay": replay, "gap": gap,
             "errors": errors, "toolong": toolong, "consumer-child": consumer_child}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS:
        sys.stderr.write("usage: broker_scenarios.py %s PORT\n" % "|".join(SCENARIOS))
        sys.exit(2)
    SCENARIO = sys.argv[1]
    SCENARIOS[SCENARIO](int(sys.argv[2]))

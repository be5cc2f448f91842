#!/usr/bin/python3
"""broker_crash.py - queue_broker --data under kill -9: what survives a crash, by PID.

Usage: /usr/bin/python3 broker_crash.py MODE BROKER WORKDIR
  crash-always | crash-everysec | crash-no
      Iterations of a producer/consumer run killed with SIGKILL at a random moment (sometimes
      the restart is killed too, in the middle of its replay), each followed by a restart on
      the same --data and a drain: every PUSH that got its OK must come back unless its ACK
      got an OK; no ACK'd message may come back; nothing is invented or duplicated; ids go on.
      The log is compacted every few iterations (--compact-min 4096), so kills also land in
      compactions. Then the policy's fdatasync count is checked on a clean run.
  torn
      The last record of a real log cut at every byte and garbled at every byte: the broker
      drops it, says so, and replays the rest; a damaged record in the middle: it refuses.
  survive
      A dead letter, a message given back, one in flight and a topic survive kill -9.

What SIGKILL tests and what it cannot: a killed process loses what it had not yet handed to
the kernel; the page cache keeps what it had (write() returned). So these tests prove that the
broker writes every record before the reply that depends on it, under every policy. What
fdatasync adds (surviving a power cut) needs the machine to lose power: it is not tested here;
the fdatasync counts are (always: at least one per acknowledged PUSH sent alone; no: none).
"""
import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"
ITERATIONS = int(os.environ.get("WIRELAB_CRASH_ITERATIONS", "120"))
BUDGET_S = 40.0  # stop iterating after this long (a busy machine): a deadline, not a check
log_lines = []
running = {}  # pid -> Popen of every broker started and not yet stopped


def stop_all():
    """Every broker this script started and has not stopped: SIGKILL, by its PID."""
    for proc in list(running.values()):
        proc.kill()
        proc.wait()
    running.clear()


def fail(what):
    stop_all()
    sys.stderr.write("\nFAILED: %s\nThe last steps:\n" % MODE)
    for line in log_lines[-30:]:
        sys.stderr.write("  %s\n" % line)
    sys.stderr.write("What went wrong:\n  %s\n" % what)
    sys.exit(1)


def note(text):
    log_lines.append(text)


class Broker:
    """A queue_broker process on a free port, known by its PID."""

    def __init__(self, data, *extra, wait=True, name="broker"):
        self.logpath = os.path.join(WORK, name + ".log")
        self.log = open(self.logpath, "w")
        args = [BROKER, "--port", "0", "--data", data, "--max-deliveries", "0"] + list(extra)
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        running[self.proc.pid] = self.proc
        self.port = None
        if wait:
            self.wait_listening()

    def wait_listening(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            text = open(self.logpath).read()
            if "queue_broker: durable:" in text:  # (after the listening and replay lines)
                self.port = int(text.split("listening on")[1].split("port ")[1].split()[0])
                return
            if self.proc.poll() is not None:
                fail("the broker exited (status %s) instead of starting: %s"
                     % (self.proc.returncode, text))
            time.sleep(0.005)
        fail("the broker did not listen within 10 s: %s" % open(self.logpath).read())

    def text(self):
        return open(self.logpath).read()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        running.pop(self.proc.pid, None)
        self.log.close()
        self.keep()

    def keep(self):
        """Append this run's log to all.log (the runs' logs, for counting compactions)."""
        with open(os.path.join(WORK, "all.log"), "a") as f:
            f.write(self.text())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail("the broker did not stop within 10 s of SIGTERM")
        running.pop(self.proc.pid, None)
        self.log.close()
        self.keep()
        return rc


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection((HOST, port), timeout=10)
        self.buf = b""

    def send(self, *lines):
        self.sock.settimeout(10)  # (lines() leaves a short one behind)
        self.sock.sendall(b"".join(l.encode() + b"\n" for l in lines))

    def fill(self, timeout):
        """One recv() into the buffer. False once the peer has closed (or reset)."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, BlockingIOError):
            return True
        except ConnectionResetError:
            return False
        self.buf += chunk
        return chunk != b""

    def lines(self, timeout):
        """The whole lines that arrive within timeout, and whether the peer closed."""
        open_ = self.fill(timeout)
        out = []
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            out.append(line.decode())
        return out, not open_

    def line(self, timeout=10):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                fail("no answer from the broker within %d s" % timeout)
            if not self.fill(left):
                fail("the broker closed the connection")
        line, self.buf = self.buf.split(b"\n", 1)
        note("< " + line.decode())
        return line.decode()

    def close(self):
        self.sock.close()


# ---- crash iterations -------------------------------------------------------------------

def workload(broker, it, rng):
    """Push and consume until the broker is killed at a random moment. Returns what the
    clients were told: pushes OK'd (content -> id), ACKs OK'd (contents), ACKs sent whether
    answered or not (contents: in doubt, they may or may not come back), everything sent."""
    p, c = Conn(broker.port), Conn(broker.port)
    sent, push_fifo, ok = set(), [], {}
    ack_fifo, acked, ack_sent, delivered = [], set(), set(), {}
    n, pulls = 0, 0
    kill_at = time.monotonic() + rng.uniform(0.0, 0.06)
    killed = False
    while True:
        if not killed and time.monotonic() >= kill_at:
            broker.kill9()
            killed = True
        if not killed:
            burst = []
            for _ in range(rng.randint(1, 12)):
                n += 1
                content = "i%d-%d" % (it, n)
                sent.add(content)
                push_fifo.append(content)
                burst.append("PUSH jobs " + content)
            p.send(*burst)
            want = min(8, 16 - pulls)
            if want > 0:
                c.send(*(["PULL jobs"] * want))
                pulls += want
        # Read what arrived (after the kill: everything the kernel still holds, until EOF).
        closed_p = closed_c = False
        for _ in range(50 if killed else 1):
            got, closed_p = p.lines(0.002 if not killed else 0.05)
            for line in got:
                content = push_fifo.pop(0)
                if line.startswith("OK "):
                    ok[content] = int(line.split()[1])
            got, closed_c = c.lines(0.002 if not killed else 0.05)
            acks = []
            for line in got:
                if line.startswith("MSG "):
                    _, _, mid, _, content = line.split(" ", 4)
                    pulls -= 1
                    delivered[int(mid)] = content
                    if rng.random() < 0.8:  # the rest stay in flight until the kill
                        acks.append(int(mid))
                elif line == "OK":
                    acked.add(delivered[ack_fifo.pop(0)])
                elif line.startswith("ERR"):
                    fail("an ACK was refused during the run: %s" % line)
            if acks and not killed:
                try:
                    ack_sent.update(delivered[a] for a in acks)
                    c.send(*("ACK %d" % a for a in acks))
                    ack_fifo.extend(acks)
                except OSError:
                    pass
            if killed and closed_p and closed_c:
                break
        if killed:
            break
    p.close()
    c.close()
    return ok, acked, ack_sent, sent


def drain(broker, it):
    """Everything the restarted broker holds, ACKed: [(id, content, new|redelivered)]."""
    c = Conn(broker.port)
    c.send("PUSH jobs sentinel-%d" % it)
    sentinel_id = int(c.line().split()[1])
    out = []
    while True:
        c.send("PULL jobs")
        line = c.line()
        if not line.startswith("MSG jobs "):
            fail("expected a MSG while draining, got: %s" % line)
        _, _, mid, kind, content = line.split(" ", 4)
        c.send("ACK " + mid)
        if c.line() != "OK":
            fail("the drain's ACK %s was refused" % mid)
        if content == "sentinel-%d" % it:
            break
        out.append((int(mid), content, kind))
    c.close()
    return sentinel_id, out


def check(it, ok, acked, ack_sent, sent, sentinel_id, drained):
    contents = [d[1] for d in drained]
    if len(set(contents)) != len(contents):
        fail("iteration %d: a message came back twice after the restart: %s" % (it, contents))
    for content in contents:
        if content not in sent:
            fail("iteration %d: the restart invented %r" % (it, content))
        if content in acked:
            fail("iteration %d: %r came back although its ACK got OK before the kill"
                 % (it, content))
    # An ACK sent whose OK did not arrive before the kill is in doubt: the broker may have
    # logged it (then the message is gone) or not (then it comes back).
    lost = [c for c in ok if c not in ack_sent and c not in contents]
    if lost:
        fail("iteration %d: %d PUSHes got OK, no ACK was sent for them, yet they did not "
             "survive the kill: %s"
             % (it, len(lost), lost[:5]))
    if ok and sentinel_id <= max(ok.values()):
        fail("iteration %d: ids started again after the restart (sentinel %d, an OK'd id %d)"
             % (it, sentinel_id, max(ok.values())))


def crash(policy):
    rng = random.Random(int(os.environ.get("WIRELAB_CRASH_SEED", "20")))
    data = os.path.join(WORK, "data")
    shutil.rmtree(data, ignore_errors=True)
    if os.path.exists(os.path.join(WORK, "all.log")):
        os.unlink(os.path.join(WORK, "all.log"))
    opts = ("--fsync", policy, "--compact-min", "4096", "--capacity", "100000")
    broker = Broker(data, *opts)
    start = time.monotonic()
    done = replay_kills = pushed = 0
    for it in range(ITERATIONS):
        if time.monotonic() - start > BUDGET_S:
            break
        note("iteration %d" % it)
        ok, acked, ack_sent, sent = workload(broker, it, rng)
        pushed += len(ok)
        if rng.random() < 0.15:  # kill the restart too, in the middle of its replay
            b = Broker(data, *opts, wait=False)
            time.sleep(rng.uniform(0, 0.01))
            b.kill9()
            replay_kills += 1
        broker = Broker(data, *opts)
        sentinel_id, drained = drain(broker, it)
        check(it, ok, acked, ack_sent, sent, sentinel_id, drained)
        done += 1
    rc = broker.stop()
    if rc != 0:
        fail("the broker's last run exited %d: %s" % (rc, broker.text()))
    compactions = open(os.path.join(WORK, "all.log")).read().count("log compacted")
    if compactions == 0:
        fail("the log was never compacted (--compact-min 4096): the kills missed compaction")
    print("ok: %d iterations killed by SIGKILL (%d restarts killed during replay), %d PUSHes "
          "acknowledged, none lost, no ACK'd message back; %d compactions"
          % (done, replay_kills, pushed, compactions))
    policy_check(policy, opts)


def policy_check(policy, opts):
    """50 PUSHes, each waited for: the stop line's fdatasync count must fit the policy."""
    data = os.path.join(WORK, "policy")
    shutil.rmtree(data, ignore_errors=True)
    broker = Broker(data, *opts)
    c = Conn(broker.port)
    for i in range(50):
        c.send("PUSH jobs p%d" % i)
        if not c.line().startswith("OK "):
            fail("PUSH p%d was not OK'd" % i)
    c.close()
    broker.stop()
    text = broker.text()
    try:
        syncs = int(text.split(" fdatasyncs")[0].rsplit("appended, ", 1)[1])
    except (IndexError, ValueError):
        fail("no fdatasync count in the stop line: %s" % text)
    if policy == "always" and syncs < 50:
        fail("fsync always: 50 PUSHes sent one at a time were OK'd after only %d fdatasyncs"
             % syncs)
    if policy == "no" and syncs != 0:
        fail("fsync no: the broker called fdatasync %d times while running" % syncs)
    if policy == "everysec" and syncs >= 50:
        fail("fsync everysec: %d fdatasyncs for 50 PUSHes: that is not once a second" % syncs)
    print("ok: fsync %s: %d fdatasyncs for 50 acknowledged PUSHes" % (policy, syncs))


# ---- torn and corrupt logs -----------------------------------------------------------------

def records(path):
    """[(start, end)] of each record in a log (the 8-byte header skipped)."""
    data = open(path, "rb").read()
    out, at = [], 8
    while at + 8 <= len(data):
        n = int.from_bytes(data[at:at + 4], "little")
        out.append((at, at + 8 + n))
        at += 8 + n
    if at != len(data):
        fail("the clean log does not end at a record boundary")
    return data, out


def start_on(image, name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.mkdir(d)
    with open(os.path.join(d, "queue.aof"), "wb") as f:
        f.write(image)
    return d


def torn():
    data = os.path.join(WORK, "data")
    shutil.rmtree(data, ignore_errors=True)
    b = Broker(data)
    c = Conn(b.port)
    for m in ("first", "second", "third"):
        c.send("PUSH jobs " + m)
        c.line()
    c.close()
    b.stop()
    image, recs = records(os.path.join(data, "queue.aof"))
    last = recs[-1][0]
    damaged = []
    for cut in range(last + 1, len(image)):
        damaged.append(("cut at byte %d" % cut, image[:cut]))
    for at in range(last, len(image)):
        flipped = bytearray(image)
        flipped[at] ^= 0xFF
        damaged.append(("byte %d garbled" % at, bytes(flipped)))
    for what, img in damaged:
        note("last record " + what)
        d = start_on(img, "torn")
        b = Broker(d)
        text = b.text()
        if "dropped a torn last record" not in text or " 2 queued" not in text:
            fail("%s: the broker should drop the torn record and keep 2 messages: %s"
                 % (what, text))
        size = os.path.getsize(os.path.join(d, "queue.aof"))
        if size != last:
            fail("%s: the log should be cut back to %d bytes, it has %d" % (what, last, size))
        c = Conn(b.port)
        c.send("PULL jobs", "PULL jobs", "PUSH jobs after")
        got = [c.line(), c.line(), c.line()]
        if got[0] != "MSG jobs 1 new first" or got[1] != "MSG jobs 2 new second" or \
                got[2] != "OK 3":
            fail("%s: after the repair, expected first, second and id 3, got %s" % (what, got))
        c.close()
        b.stop()
    # A damaged record in the middle, with good ones after it: refuse to start.
    bad = bytearray(image)
    bad[recs[0][0] + 12] ^= 0x01
    d = start_on(bytes(bad), "corrupt")
    b = Broker(d, wait=False)
    rc = b.proc.wait(timeout=10)
    running.pop(b.proc.pid, None)
    text = b.text()
    if rc != 1 or "is damaged at byte %d" % recs[0][0] not in text or \
            "valid records follow at byte %d" % recs[1][0] not in text:
        fail("a record damaged in the middle: the broker should refuse (exit 1) and say where; "
             "exit %s: %s" % (rc, text))
    print("ok: %d torn or garbled last records dropped, the rest replayed; a damaged middle "
          "refused" % len(damaged))


# ---- what survives -------------------------------------------------------------------------

def survive():
    data = os.path.join(WORK, "data")
    shutil.rmtree(data, ignore_errors=True)
    opts = ("--max-deliveries", "2")
    b = Broker(data, *opts)
    p = Conn(b.port)
    p.send("PUSH jobs poison")
    if p.line() != "OK 1":
        fail("expected OK 1")
    for kind in ("new", "redelivered"):  # two consumers take it and vanish: a dead letter
        c = Conn(b.port)
        c.send("PULL jobs")
        if c.line() != "MSG jobs 1 %s poison" % kind:
            fail("expected poison, %s" % kind)
        c.close()
    for _ in range(100):  # the broker sees the second close when it sees it
        p.send("DLQ jobs")
        first = p.line()
        if first.startswith("DEAD"):
            p.line()
            break
        time.sleep(0.02)
    if first != "DEAD jobs 1 2 disconnect poison":
        fail("poison should be a dead letter before the kill, got %s" % first)
    p.send("PUSH jobs slow", "PUSH jobs waiting", "PUB news hello")
    got = [p.line() for _ in range(3)]
    if got != ["OK 2", "OK 3", "OK 1"]:
        fail("expected OK 2, OK 3 and OK 1, got %s" % got)
    c = Conn(b.port)
    c.send("PULL jobs")
    if c.line() != "MSG jobs 2 new slow":
        fail("expected slow")
    b.kill9()  # slow is in flight, waiting is fresh, poison dead, hello published
    c.close()
    p.close()
    b = Broker(data, *opts)
    text = b.text()
    if "2 queued (1 of them were in flight" not in text or \
            "1 dead-lettered, 1 published; ids go on after 3" not in text:
        fail("the restart should report 2 queued (1 was in flight), 1 dead-lettered, "
             "1 published, ids after 3: %s" % text)
    c = Conn(b.port)
    c.send("DLQ jobs", "SUB news FROM 0", "PULL jobs", "PULL jobs", "PUSH jobs later")
    want = ["DEAD jobs 1 2 disconnect poison", "OK 1 of 1", "EVENT news 1 hello", "OK 1",
            "MSG jobs 2 redelivered slow", "MSG jobs 3 new waiting", "OK 4"]
    got = [c.line() for _ in range(len(want))]
    if got != want:
        fail("after the kill, expected %s, got %s" % (want, got))
    c.send("REQUEUE jobs 1")
    if c.line() != "OK 1":
        fail("REQUEUE of the surviving dead letter failed")
    c.close()
    # One broker per data directory: a second one is refused (DIR/LOCK), the first goes on.
    second = Broker(data, *opts, wait=False, name="second")
    rc = second.proc.wait(timeout=10)
    running.pop(second.proc.pid, None)
    if rc != 1 or "another queue_broker is using" not in second.text():
        fail("a second broker on the same --data should be refused (exit 1), got exit %s: %s"
             % (rc, second.text()))
    second.log.close()
    if b.stop() != 0:
        fail("the broker did not stop cleanly: %s" % b.text())
    print("ok: a dead letter, a message in flight, a fresh one and a topic survived kill -9")


atexit.register(stop_all)
MODE = sys.argv[1]
BROKER = sys.argv[2]
WORK = sys.argv[3]
os.makedirs(WORK, exist_ok=True)
if MODE.startswith("crash-"):
    crash(MODE[len("crash-"):])
elif MODE == "torn":
    torn()
elif MODE == "survive":
    survive()
else:
    fail("unknown mode %s" % MODE)

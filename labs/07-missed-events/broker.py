"""broker.py - Lab 7's clients of queue_broker (queue/README.md has the protocol).

usage: broker.py work|topic|crash-before|crash-after|cut|poison|durable-after [PORT]

Each client is a TCP connection that sends one command line at a time and prints the
conversation as `name > line` (sent) and `name < line` (received), waiting for each answer
before the next command, so the transcript is the same on every run.
  work:  a producer PUSHes a job; consumer1 PULLs it and dies before its ACK (its connection
         closes); consumer2, already waiting in PULL, gets it marked `redelivered` and ACKs it.
  topic: (topic `ticks` holds 4 messages) a subscriber sees t1..t2, QUITs; t3..t5 are
         published while it is away; it comes back with `SUB ticks FROM 2` and gets exactly t3..t5; goes away
         again while t6..t12 are published and comes back: `GAP ticks 3` (t6..t8 were
         overwritten), then t9..t12.
  crash-before: two jobs PUSHed, one PULLed and not ACKed; then the lab kill -9s the broker.
  crash-after:  (the broker restarted) a consumer PULLs: nothing comes, and ids start at 1.
  cut:   consumer1 takes a job with a 2 s deadline; nftables drops every packet to and from its
         port (no FIN, no RST: its network vanished); consumer2 gets the job when the deadline
         passes; the broker's side of consumer1's connection goes when keepalive gives up.
  poison: (--max-deliveries 3) three consumers crash on the same job; it goes to the
         dead-letter list; an operator lists it (DLQ) and puts it back (REQUEUE).
  durable-after: (crash-before, kill -9, and a restart on the same --data) a consumer gets
         job 1 back marked redelivered, then job 2; the next PUSH gets id 3: ids go on.
Exit status 1, with the reason, if the broker does not answer as the lab says.
"""
import shutil
import socket
import subprocess
import sys
import time

PORT = 7010


class Client:
    def __init__(self, name):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        self.buf = b""

    def send(self, line):
        print(f"{self.name} > {line}")
        self.sock.sendall(line.encode() + b"\n")

    def recv(self):
        """One answer line (one recv is not one line: read until the newline)."""
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                fail(f"{self.name}: the broker closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode()
        print(f"{self.name} < {text}")
        return text

    def silent(self, seconds):
        """True if no line comes within `seconds`."""
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(10)
        self.buf += data
        return False

    def ask(self, line):
        self.send(line)
        return self.recv()

    def recv_until_ok(self):
        """The lines a SUB FROM answers with, up to and including its final OK."""
        lines = []
        while not lines or not lines[-1].startswith("OK"):
            lines.append(self.recv())
        return lines

    def close(self, why):
        print(f"{self.name}: {why}")
        self.sock.close()

    def quit(self, why):
        """Leave cleanly: once the broker says `OK bye` it has dropped the subscription, so
        what is published next is surely missed (not sent to a closing connection)."""
        expect(self.ask("QUIT"), "OK bye")
        self.close(why)


def fail(why):
    print(f"FAILED: {why}")
    sys.exit(1)


def expect(got, want):
    if got != want:
        fail(f"expected '{want}', the broker answered '{got}'")


def work():
    producer, c1, c2 = Client("producer"), Client("consumer1"), Client("consumer2")
    expect(producer.ask("PUSH jobs resize cat.jpg"), "OK 1")
    expect(c1.ask("PULL jobs"), "MSG jobs 1 new resize cat.jpg")
    c2.send("PULL jobs")  # nothing waiting now: the broker holds this PULL until there is
    c1.close("dies before its ACK (its connection closes; the broker notices the FIN)")
    expect(c2.recv(), "MSG jobs 1 redelivered resize cat.jpg")
    expect(c2.ask("ACK 1"), "OK")
    producer.close("done")
    c2.close("done")
    print("the job was done twice (at-least-once): consumer2 saw 'redelivered' and can check")


def publish(pub, first, last):
    for i in range(first, last + 1):
        expect(pub.ask(f"PUB ticks t{i}"), f"OK {i}")


def topic():
    pub, sub = Client("publisher"), Client("subscriber")
    expect(sub.ask("SUB ticks"), "OK 0")
    pub.send("PUB ticks t1")
    expect(sub.recv(), "EVENT ticks 1 t1")
    expect(pub.recv(), "OK 1")
    pub.send("PUB ticks t2")
    expect(sub.recv(), "EVENT ticks 2 t2")
    expect(pub.recv(), "OK 2")
    sub.quit("goes away; the last offset it saw was 2")
    publish(pub, 3, 5)
    sub = Client("subscriber")
    sub.send("SUB ticks FROM 2")
    got = sub.recv_until_ok()
    expect(got, ["EVENT ticks 3 t3", "EVENT ticks 4 t4", "EVENT ticks 5 t5", "OK 5"])
    print("replayed: exactly the 3 messages it missed, in order, once each")
    sub.quit("goes away again; the last offset it saw was 5")
    publish(pub, 6, 12)
    sub = Client("subscriber")
    sub.send("SUB ticks FROM 5")
    got = sub.recv_until_ok()
    expect(got, ["GAP ticks 3"] + [f"EVENT ticks {i} t{i}" for i in range(9, 13)] + ["OK 12"])
    print("missed 7, the topic holds 4: told that 3 were lost (GAP), then given the 4 it holds")
    sub.close("done")
    pub.close("done")


def crash_before():
    producer, c1 = Client("producer"), Client("consumer1")
    expect(producer.ask("PUSH jobs resize cat.jpg"), "OK 1")
    expect(producer.ask("PUSH jobs resize dog.jpg"), "OK 2")
    expect(c1.ask("PULL jobs"), "MSG jobs 1 new resize cat.jpg")
    print("consumer1: working on job 1, no ACK yet; job 2 waits in the queue")


def crash_after():
    c1 = Client("consumer1")
    c1.send("PULL jobs")
    if not c1.silent(1.0):
        fail("the restarted broker should have no jobs, but consumer1 got: " + c1.recv())
    print("consumer1: nothing, after 1 s: both jobs died with the broker's memory")
    producer = Client("producer")
    expect(producer.ask("PUSH jobs resize bird.jpg"), "OK 1")
    expect(c1.recv(), "MSG jobs 1 new resize bird.jpg")
    print("and ids start again at 1: 'job 1 is done' in a consumer's notes now means another job")
    expect(c1.ask("ACK 1"), "OK")
    producer.close("done")
    c1.close("done")


def durable_after():
    c1 = Client("consumer1")
    expect(c1.ask("PULL jobs"), "MSG jobs 1 redelivered resize cat.jpg")
    print("consumer1: job 1 survived, marked redelivered: the log says it went out once, unACKed")
    expect(c1.ask("ACK 1"), "OK")
    expect(c1.ask("PULL jobs"), "MSG jobs 2 new resize dog.jpg")
    expect(c1.ask("ACK 2"), "OK")
    producer = Client("producer")
    expect(producer.ask("PUSH jobs resize bird.jpg"), "OK 3")
    print("and ids go on: 'job 1 is done' in a consumer's notes still means cat.jpg")
    producer.close("done")
    c1.close("done")


def tcp_state(local_port, remote_port):
    """The state of the TCP socket local_port -> remote_port in /proc/net/tcp (this namespace's
    connections), or 'gone'."""
    names = {"01": "ESTABLISHED", "04": "FIN_WAIT1", "06": "TIME_WAIT", "07": "CLOSE",
             "08": "CLOSE_WAIT", "09": "LAST_ACK"}
    with open("/proc/net/tcp") as f:
        for row in f.readlines()[1:]:
            local, remote, state = row.split()[1:4]
            if (int(local.split(":")[1], 16) == local_port and
                    int(remote.split(":")[1], 16) == remote_port):
                return names.get(state, state)
    return "gone"


def cut():
    producer, c1, c2 = Client("producer"), Client("consumer1"), Client("consumer2")
    expect(producer.ask("PUSH jobs resize fox.jpg"), "OK 2")
    expect(c1.ask("PULL jobs 2"), "MSG jobs 2 new resize fox.jpg")
    port = c1.sock.getsockname()[1]
    rules = ("table inet lab7 { chain input { type filter hook input priority 0; "
             f"tcp sport {port} drop; tcp dport {port} drop; }}; }}")
    print(f"nft: drop every packet to and from consumer1's port: {rules}")
    nft = shutil.which("nft") or "/usr/sbin/nft"
    subprocess.run([nft, "-f", "-"], input=rules.encode(), check=True)
    print("consumer1: its network is gone (no FIN, no RST): the broker cannot tell")
    start = time.monotonic()
    expect(c2.ask("PULL jobs"), "MSG jobs 2 redelivered resize fox.jpg")
    print(f"consumer2: got it {time.monotonic() - start:.0f} s later: consumer1's 2 s deadline "
          "passed")
    expect(c2.ask("ACK 2"), "OK")
    print(f"broker's side of consumer1's connection: {tcp_state(PORT, port)}; "
          f"consumer1's side: {tcp_state(port, PORT)}")
    for _ in range(150):  # keepalive: probes after 3 s of silence, 1 s apart, 2 of them
        if tcp_state(PORT, port) == "gone":
            break
        time.sleep(0.1)
    print(f"{time.monotonic() - start:.0f} s after the cut, keepalive gave up: broker's side "
          f"{tcp_state(PORT, port)}; consumer1's side {tcp_state(port, PORT)} (it never learned)")
    subprocess.run([nft, "delete", "table", "inet", "lab7"], check=True)
    producer.close("done")
    c2.close("done")
    c1.close("done")


def poison():
    producer, ops = Client("producer"), Client("operator")
    expect(producer.ask("PUSH jobs resize evil.jpg"), "OK 3")
    for n in (1, 2, 3):
        c = Client(f"consumer{n}")
        mark = "new" if n == 1 else "redelivered"
        expect(c.ask("PULL jobs"), f"MSG jobs 3 {mark} resize evil.jpg")
        c.close("crashes on it (exits without ACK)")
    c4 = Client("consumer4")
    c4.send("PULL jobs")
    if not c4.silent(1.0):
        fail("after 3 deliveries the job should be dead-lettered, but consumer4 got: " + c4.recv())
    print("consumer4: nothing: 3 deliveries, no ACK: the broker set the job aside")
    ops.send("DLQ jobs")
    expect(ops.recv(), "DEAD jobs 3 3 disconnect resize evil.jpg")
    expect(ops.recv(), "OK 1 of 1")
    print("operator: (fixes the bug in the consumers, then puts the job back)")
    expect(ops.ask("REQUEUE jobs 3"), "OK 1")
    expect(c4.recv(), "MSG jobs 3 redelivered resize evil.jpg")
    expect(c4.ask("ACK 3"), "OK")
    for c in (producer, ops, c4):
        c.close("done")


SCENARIOS = {"work": work, "topic": topic, "crash-before": crash_before,
             "crash-after": crash_after, "cut": cut, "poison": poison,
             "durable-after": durable_after}

if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in SCENARIOS:
        sys.exit(__doc__)
    if len(sys.argv) == 3:
        PORT = int(sys.argv[2])
    SCENARIOS[sys.argv[1]]()

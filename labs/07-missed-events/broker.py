"""broker.py - Lab 7's clients of queue_broker (queue/README.md has the protocol).

usage: broker.py work|topic [PORT]

Each client is a TCP connection that sends one command line at a time and prints the
conversation as `name > line` (sent) and `name < line` (received), waiting for each answer
before the next command, so the transcript is the same on every run.
  work:  a producer PUSHes a job; consumer1 PULLs it and dies before its ACK (its connection
         closes); consumer2, already waiting in PULL, gets it marked `redelivered` and ACKs it.
  topic: (topic `ticks` holds 4 messages) a subscriber sees t1..t2, QUITs; t3..t5 are
         published while it is away; it comes back with `SUB ticks FROM 2` and gets exactly t3..t5; goes away
         again while t6..t12 are published and comes back: `GAP ticks 3` (t6..t8 were
         overwritten), then t9..t12.
Exit status 1, with the reason, if the broker does not answer as the lab says.
"""
import socket
import sys

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


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in ("work", "topic"):
        sys.exit(__doc__)
    if len(sys.argv) == 3:
        PORT = int(sys.argv[2])
    {"work": work, "topic": topic}[sys.argv[1]]()

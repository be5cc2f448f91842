#!/usr/bin/python3
"""resp_traffic.py PORT - Redis traffic for sniffer_resp_tshark, to a redis-server on PORT.

RESP written by hand (the bytes are the point), on two connections:
  - a subscriber: SUBSCRIBE chan, then the pushed messages;
  - a client: PUBLISH chan with 70,000 bytes (many segments at MTU 1500); then in one write,
    pipelined: two XADDs, a SET of 20,000 bytes, GET of it (a reply of many segments), XRANGE
    (an array of arrays), a PUBLISH of 3,000 bytes, an unknown command (an error reply), PING.
Each reply is read whole before the script goes on, so the capture has every value complete.
Prints one line per reply it read ("reply: ..."), for the failure transcript.
"""
import socket
import sys


def command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Reader:
    """Reads whole RESP values from a socket (enough of RESP for the replies above)."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise SystemExit("redis-server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def value(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-", b":"):
            return rest
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if t in (b"*", b">"):
            return [self.value() for _ in range(int(rest))]
        raise SystemExit("unexpected reply line %r" % line)


def short(v):
    if isinstance(v, list):
        return "[" + ", ".join(short(x) for x in v) + "]"
    if isinstance(v, bytes) and len(v) > 40:
        return "<%d bytes>" % len(v)
    return repr(v)


def main():
    port = int(sys.argv[1])
    sub = socket.create_connection(("127.0.0.1", port), timeout=10)
    subr = Reader(sub)
    sub.sendall(command("SUBSCRIBE", "chan"))
    print("reply:", short(subr.value()))

    cli = socket.create_connection(("127.0.0.1", port), timeout=10)
    r = Reader(cli)
    cli.sendall(command("PUBLISH", "chan", b"p" * 70000))
    print("reply:", short(r.value()))
    print("pushed:", short(subr.value()))

    pipeline = [
        command("XADD", "jobs", "*", "task", "resize", "img", "1.png"),
        command("XADD", "jobs", "*", "task", "thumb", "img", "2.png"),
        command("SET", "big", b"b" * 20000),
        command("GET", "big"),
        command("XRANGE", "jobs", "-", "+"),
        command("PUBLISH", "chan", b"q" * 3000),
        command("NOSUCHCOMMAND", "x"),
        command("PING"),
    ]
    cli.sendall(b"".join(pipeline))
    for _ in pipeline:
        print("reply:", short(r.value()))
    print("pushed:", short(subr.value()))
    cli.close()
    sub.close()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""web_live.py - `sniffer --web` live on a loopback, from a WebSocket client of our own.

Run by web_live.sh inside a network namespace of its own, with tcp_echo_server and
`sniffer --web -i lo -f 'tcp port ECHO'` already started. Each tcp_echo_client exchange must
show up in the status and the rows while the client of the live view stays connected:
packets appear as they are sent. The data segment's details carry the message's bytes, and its
conversation's ladder holds the handshake, the data and the teardown.

python3 web_live.py BIN WEB_PORT ECHO_PORT
"""
import subprocess
import sys

from web_client import Failure, WebClient

BIN, WEB, ECHO = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def exchange(c, message, before):
    subprocess.run([f"{BIN}/tcp_echo_client", "--port", ECHO, "--message", message],
                   check=True, capture_output=True, timeout=20)
    # handshake (3), the message and its echo with their ACKs, the teardown: at least 7
    st = c.wait_status(lambda s: s["count"] >= before + 7, f"{before + 7} packets")
    rows = c.ask(f"rows {before} 500", "rows")["rows"]
    length = f"length {len(message)}"
    data = [r for r in rows if r[6].endswith(length) or f"{length}:" in r[6]]
    if len(data) < 2:
        raise Failure(f"the message and its echo ({length}) are not among the new rows: "
                      f"{[r[6] for r in rows]}")
    d = c.ask(f"detail {data[0][0]}", "detail")
    if message.encode().hex() not in d["hex"]:
        raise Failure(f"frame {data[0][0]}'s bytes do not hold '{message}': {d['hex']}")
    lad = c.ask(f"ladder {data[0][7]}", "ladder")["rows"]
    flags = " ".join(r[6] for r in lad)
    if len(lad) < 7 or "Flags [S]" not in flags or "Flags [F" not in flags:
        raise Failure(f"conversation {data[0][7]}'s ladder lacks the handshake or the teardown: "
                      f"{[r[6] for r in lad]}")
    print(f"  ... '{message}': {st['count'] - before} packets appeared while we watched; frame "
          f"{data[0][0]} holds its bytes; conversation {data[0][7]}: {len(lad)} arrows")
    return st["count"]


def main():
    c = WebClient(WEB)
    c.wait_status(lambda s: s["count"] == 0, "an empty capture")
    n = exchange(c, "hello live view", 0)
    exchange(c, "and once more", n)


if __name__ == "__main__":
    try:
        main()
    except (Failure, OSError, EOFError, subprocess.SubprocessError) as e:
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)

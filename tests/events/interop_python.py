"""interop_python.py - python-socketio (Debian's python3-socketio) against events_server
--demo chat: hostile values through the server and back, over WebSocket and over polling.

What it teaches: a second Socket.IO implementation, written by other people in another
language, agrees with ours on the wire; and every value survives the trip, the ones careless
JSON code breaks included: 0.1 + 0.2, 2**53 - 1, the smallest and largest doubles, a NUL inside
a string, a lone surrogate (half an emoji), deep nesting, a large array.
Run: /usr/bin/python3 interop_python.py PORT
"""
import json
import os
import random
import sys

import socketio

PORT = int(sys.argv[1])
rng = random.Random(16)  # deterministic
UNITS = ["\x00", "\x01", "\x1f", '"', "\\", "/", "\x7f", "\u00e9", "\u2028", "\ufeff", "\ud800",
         "\udbff", "\udc00", "\udfff", "\U0001F600", "a"]


def hostile(depth=0):
    k = rng.randrange(4 if depth > 5 else 7)
    if k == 0:
        return rng.choice([0.1 + 0.2, 2**53 - 1, -(2**53 - 1), 5e-324, 1.7976931348623157e308,
                           1e21, 1e-7, -1.5e-300, 0, 123456789.12345678])
    if k == 1:
        return "".join(rng.choice(UNITS) for _ in range(rng.randrange(1, 9)))
    if k == 2:
        return rng.choice([True, False, None, rng.random() * 10 ** rng.randrange(-300, 300)])
    if k == 3:
        return rng.randrange(-10**15, 10**15)
    if k in (4, 5):
        return [hostile(depth + 1) for _ in range(rng.randrange(5))]
    return {"".join(rng.choice(UNITS) for _ in range(3)): hostile(depth + 1)
            for _ in range(rng.randrange(4))}


VALUES = [0.1 + 0.2, 2**53 - 1, "a\x00b", "x\ud800y", "\udfff", [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]],
          [i / 7 for i in range(10000)]] + [hostile() for _ in range(300)]


def fail(msg):
    print(f"FAIL python-socketio: {msg}", flush=True)
    os._exit(1)  # not sys.exit: the client's threads would keep the process alive


def wire(v):
    """What the other side must get: the value as JSON can carry it."""
    return json.loads(json.dumps(v))


for transports in (["websocket"], ["polling"]):
    sio = socketio.Client(reconnection=False)
    sio.connect(f"http://127.0.0.1:{PORT}", transports=transports, wait_timeout=10)
    if sio.transport() != transports[0]:
        fail(f"expected transport {transports[0]}, got {sio.transport()}")
    for i, v in enumerate(VALUES):
        got = sio.call("echo", v, timeout=10)
        if json.dumps(got) != json.dumps(wire(v)):
            fail(f"value #{i} over {transports[0]}: sent {json.dumps(v)[:100]} "
                 f"got {json.dumps(got)[:100]}")
    print(f"  ok: {len(VALUES)} hostile values echoed intact over {transports[0]}")
    sio.disconnect()
print("PASS python-socketio")

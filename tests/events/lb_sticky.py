"""lb_sticky.py - Engine.IO sessions through HAProxy in front of two events_servers
(events/lb/haproxy.cfg): what stickiness is for, at the HTTP level and with a real client.

Run: /usr/bin/python3 lb_sticky.py STICKY_PORT PLAIN_PORT
Checks, each printed as it passes:
- plain round robin: the handshake reaches one server, the next request of the same session
  the other one, which answers 400 {"code":1,"message":"Session ID unknown"};
- a WebSocket-only session through the same round robin works (one TCP connection);
- sticky (cookie): every request of a polling session reaches the server that opened it, and
  two sessions land on different servers; python-socketio over polling only gets its acks.
"""
import http.cookiejar
import json
import sys
import urllib.error
import urllib.request

import socketio
import websocket

STICKY, PLAIN = int(sys.argv[1]), int(sys.argv[2])
PATH = "/socket.io/?EIO=4&transport=polling"


def fail(msg):
    print(f"FAIL lb_sticky: {msg}")
    sys.exit(1)


def opener(jar=None):
    handlers = [urllib.request.HTTPCookieProcessor(jar)] if jar is not None else []
    return urllib.request.build_opener(*handlers)


def request(op, port, query, body=None):
    """One HTTP request through the balancer: (status, body text)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{PATH}{query}",
                                 data=body.encode() if body is not None else None,
                                 method="POST" if body is not None else "GET")
    try:
        with op.open(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def handshake(op, port):
    status, text = request(op, port, "")
    if status != 200 or not text.startswith("0{"):
        fail(f"the handshake through port {port} answered {status} {text!r}")
    return json.loads(text[1:])["sid"]


# 1. Round robin without stickiness: the session's second request goes to the other server.
op = opener()
sid = handshake(op, PLAIN)
status, text = request(op, PLAIN, f"&sid={sid}", "40")
if status != 400 or json.loads(text) != {"code": 1, "message": "Session ID unknown"}:
    fail(f"without stickiness the second request should get 400 Session ID unknown from the "
         f"other server, got {status} {text!r}")
print(f"ok: round robin: handshake on one server, the POST on the other: {status} {text}")

# 2. WebSocket only, through the same round robin: one connection, one server, no problem.
ws = websocket.create_connection(f"ws://127.0.0.1:{PLAIN}/socket.io/?EIO=4&transport=websocket",
                                 timeout=10)
opened = ws.recv()
if not opened.startswith("0{"):
    fail(f"a WebSocket-only session through round robin got {opened!r} instead of an open packet")
ws.send("40")
connected = ws.recv()
if not connected.startswith("40{"):
    fail(f"a WebSocket-only session through round robin: CONNECT answered {connected!r}")
ws.close()
print(f"ok: round robin, WebSocket only: {opened[:8]}... then {connected[:4]}... on one connection")

# 3. Sticky: HAProxy's cookie brings every request back to the server that opened the session.
servers = set()
for n in range(2):
    jar = http.cookiejar.CookieJar()
    op = opener(jar)
    sid = handshake(op, STICKY)
    cookie = {c.name: c.value for c in jar}.get("wirelab_server")
    if cookie not in ("a", "b"):
        fail(f"the sticky handshake set no wirelab_server cookie: {[c.name for c in jar]}")
    servers.add(cookie)
    status, text = request(op, STICKY, f"&sid={sid}", "40")
    if (status, text) != (200, "ok"):
        fail(f"sticky session {n + 1} (server {cookie}): POST 40 answered {status} {text!r}")
    status, text = request(op, STICKY, f"&sid={sid}")
    if status != 200 or not text.startswith("40{"):
        fail(f"sticky session {n + 1} (server {cookie}): GET answered {status} {text!r}")
    print(f"ok: sticky session {n + 1}: cookie wirelab_server={cookie}, every request on it")
if servers != {"a", "b"}:
    fail(f"two sticky sessions should be spread over both servers, both went to {servers}")

# 4. A real client, polling only, through the sticky balancer (requests keeps the cookie).
sio = socketio.Client(reconnection=False)
sio.connect(f"http://127.0.0.1:{STICKY}", transports=["polling"], wait_timeout=10)
for value in ["hello through haproxy", 0.1 + 0.2, {"n": [1, 2, 3]}]:
    got = sio.call("echo", value, timeout=10)
    if got != value:
        fail(f"python-socketio over polling through the sticky balancer: sent {value!r}, "
             f"the ack carried {got!r}")
sio.disconnect()
print("ok: python-socketio, polling only, through the sticky balancer: 3 acks, values intact")

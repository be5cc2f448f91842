"""labs/10-one-chat-two-servers/cluster.py - lab 10's clients: python-socketio (Debian's
python3-socketio, no npm: the lab works offline) through HAProxy to two events_servers that
share one Redis.

    cluster websocket PORT   two WebSocket-only clients through the round-robin port: each
                             session is one TCP connection, balanced once, so both work
    cluster chat PORT        alice and bob through the sticky port, on different servers, in
                             one room: what one says, the other hears (through Redis)

(labs/bin/cluster runs this.) Each client prints what it did and heard; socket ids are random
on every run, so they are printed as <alice>, <bob>, ... and written to ids.txt (id, then name)
for server_log. Which server a client reached is HAProxy's cookie (wirelab_server=a or b) on
the sticky port. Every wait is bounded; exit status 1, with the reason, when something did not
happen as the lab says.
"""
import json
import sys
import threading
import time

import socketio

ROOM = "lobby"
names = {}


def hide(text):
    for real, name in names.items():
        text = text.replace(real, name)
    return text


def say(text):
    sys.stdout.write(hide(text) + "\n")  # one write: handlers run on other threads
    sys.stdout.flush()


def fail(text):
    say(f"FAILED: {text}")
    sys.exit(1)


def name(real, who):
    names[real] = who
    with open("ids.txt", "a") as f:
        f.write(f"{real} {who}\n")


class Recovering(socketio.Client):
    """python-socketio 5.7 (Debian 12's) does not do connection state recovery, which
    socket.io-client 4.6 and later do. The client's part of it is small, and this is all of it:
    keep the pid the CONNECT answer carries (40{"sid":...,"pid":...}) and the offset the server
    adds as the last argument of every event, and send both in the next CONNECT:
    40{"pid":"...","offset":"..."} (python-socketio sends what `auth` returns, at every connect)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.pid = self.offset = None

    def _handle_connect(self, namespace, data):  # the CONNECT answer: keep its pid
        if isinstance(data, dict) and data.get("pid"):
            self.pid = data["pid"]
        super()._handle_connect(namespace, data)

    def auth(self):
        return {"pid": self.pid, "offset": self.offset} if self.pid and self.offset else None


class Person:
    """One python-socketio client; heard holds what its "said" handler received. With
    recovering=True it reconnects by itself (after 2 s) and asks to recover its session."""

    def __init__(self, who, recovering=False):
        self.who = who
        self.sio = Recovering(reconnection=recovering, reconnection_delay=2,
                              reconnection_delay_max=2, randomization_factor=0)
        self.heard, self.welcomes = [], []
        self.got, self.welcomed, self.gone = threading.Event(), threading.Event(), \
            threading.Event()
        self.sio.on("said", self.on_said)
        self.sio.on("welcome", self.on_welcome)
        self.sio.on("disconnect", self.gone.set)

    def on_said(self, data, offset=None):  # the server adds an offset (recovery) after data
        self.heard.append(data)
        if offset is not None:
            self.sio.offset = offset
        self.got.set()

    def on_welcome(self, data, offset=None):
        self.welcomes.append(data)
        self.welcomed.set()

    def connect(self, port, transports):
        try:
            self.sio.connect(f"http://127.0.0.1:{port}", transports=transports, wait_timeout=10,
                             auth=self.sio.auth)
        except socketio.exceptions.ConnectionError as e:
            fail(f"{self.who} could not connect through port {port}: {e}")
        name(self.sio.get_sid(), f"<{self.who}>")
        name(self.sio.pid, f"<{self.who}-pid>")
        self.update_server()
        return self

    def update_server(self):
        self.server = self.sio.eio.http.cookies.get("wirelab_server") if self.sio.eio.http \
            else None

    def leave(self):
        """Disconnect on purpose: Socket.IO's DISCONNECT (41), then the transport. (python-
        socketio's disconnect() queues the 41 and closes the WebSocket at once, so the server
        sees whichever comes first: "client namespace disconnect", which a server forgets, or
        "transport close", which it keeps for recovery. Waiting until the sending thread has
        written the 41 makes it the first: TCP keeps the order.)"""
        self.sio._send_packet(self.sio.packet_class(socketio.packet.DISCONNECT, namespace="/"))
        queue = self.sio.eio.queue  # the engine's send queue: task_done() once written
        for _ in range(200):  # 2 s at most
            if queue is None or queue.unfinished_tasks == 0:
                break
            time.sleep(0.01)
        self.sio.disconnect()

    def call(self, *args):
        try:
            return self.sio.call(args[0], args[1:] if len(args) > 2 else args[1], timeout=10)
        except socketio.exceptions.TimeoutError:
            fail(f"{self.who}: no acknowledgement of {args[0]} within 10 s")

    def where(self):
        return f"server {self.server} (cookie wirelab_server={self.server})" if self.server \
            else "a server (no cookie)"


def websocket(port):
    for who in ("ws1", "ws2"):
        p = Person(who).connect(port, ["websocket"])
        got = p.call("echo", f"hello from {who}")
        say(f"{who}: connected over {p.sio.transport()} as <{who}>; echo acked with "
            f"{json.dumps(got)}")
        p.leave()


def on_server(who, port, server, recovering=False):
    """A client of the sticky port that landed on `server` (a or b): round robin gives each new
    session the next server, so a session on the wrong one is closed and another opened (which
    one comes first depends on the sessions before, so the tries are not printed)."""
    for _ in range(4):
        p = Person(who, recovering).connect(port, ["polling", "websocket"])
        if p.server == server:
            say(f"{who}: connected to {p.where()}, transport {p.sio.transport()}")
            return p
        p.leave()
    fail(f"four sessions of {who} in a row did not land on server {server}: is round robin on?")


def chat(port):
    alice, bob = on_server("alice", port, "a"), on_server("bob", port, "b")
    for p in (alice, bob):
        say(f"{p.who}: join {ROOM} acked with {json.dumps(p.call('join', ROOM))}")
    for speaker, listener, text in ((alice, bob, "hello from server a's side"),
                                    (bob, alice, "and hello back from server b's side")):
        listener.got.clear()
        ack = speaker.call("say", ROOM, text)
        say(f"{speaker.who} says in {ROOM}: {json.dumps(text)} (acked {json.dumps(ack)})")
        if not listener.got.wait(10):
            fail(f"{listener.who} (server {listener.server}) heard nothing within 10 s")
        say(f"{listener.who}, on server {listener.server}, heard: {json.dumps(listener.heard[-1])}")
    time.sleep(0.2)  # a stray second copy would arrive now
    for p in (alice, bob):
        say(f"{p.who} heard {len(p.heard)} message(s): each one once")
        p.leave()


def failover(port):
    alice = on_server("alice", port, "a", recovering=True)
    bob = on_server("bob", port, "b")
    for p in (alice, bob):
        p.call("join", ROOM)
    say(f"alice and bob: joined {ROOM}")
    bob.call("say", ROOM, "m1")
    if not alice.got.wait(10):
        fail("alice heard nothing from bob within 10 s")
    say(f"alice heard m1; she keeps her pid <alice-pid> and the last offset, {alice.sio.offset}")
    say("alice: ready: stop server a now")
    if not alice.gone.wait(30):
        fail("alice was not disconnected within 30 s: was server a stopped?")
    alice.welcomed.clear()
    say("alice: disconnected: server a is gone; python-socketio reconnects in 2 s")
    for text in ("m2", "m3", "m4"):
        bob.call("say", ROOM, text)
    say("bob, on server b, said m2, m3, m4 while alice was away (each acked)")
    before = len(alice.heard)
    if not alice.welcomed.wait(20):
        fail("alice did not reconnect within 20 s")
    alice.update_server()
    welcome = alice.welcomes[-1]
    say(f"alice: reconnected through HAProxy to {alice.where()}; the server said welcome "
        f"{json.dumps(welcome)}")
    time.sleep(0.3)  # a stray second copy of a missed event would arrive now
    missed = [m["text"] for m in alice.heard[before:]]
    say(f"alice: replayed to her: {', '.join(missed) or 'nothing'}")
    alice.got.clear()
    bob.call("say", ROOM, "m5")
    if not alice.got.wait(10):
        fail("alice, back in the room on server b, did not hear m5 within 10 s")
    say(f"alice: still in {ROOM}: heard m5 live; she heard {len(alice.heard)} messages in all: "
        f"{', '.join(m['text'] for m in alice.heard)}")
    for p in (alice, bob):
        p.leave()


if __name__ == "__main__":
    scenarios = {"websocket": websocket, "chat": chat, "failover": failover}
    if len(sys.argv) != 3 or sys.argv[1] not in scenarios or not sys.argv[2].isdigit():
        sys.exit("usage: cluster websocket|chat|failover PORT")
    scenarios[sys.argv[1]](int(sys.argv[2]))

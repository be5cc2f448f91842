"""client.py - lab 6's reference client (the grader must pass it): a Socket.IO client for
events_server's chat, with
Debian's python-socketio (apt-get install python3-socketio python3-websocket python3-requests).
    /usr/bin/python3 client.py URL ROOM        e.g. /usr/bin/python3 client.py http://127.0.0.1:3000 lab6
Use either this file or client.js, not both: the grader grades the one you changed.

What it must do (events_server.c lists the chat's events):
  1. connect to URL;
  2. join ROOM: emit "join" with the room and an acknowledgement (sio.emit(..., callback=f)
     or sio.call(...), which waits for it); print
       joined <what the ack carried, as JSON>
  3. say something in ROOM: emit "say" with the room, a text, and an acknowledgement; print
       ack <what the ack carried, as JSON>
  4. handle the room's broadcast: for every "said" event print
       heard <from> <text>
     and once you have heard someone ELSE (from is not your own sio.get_sid()), disconnect
     and exit 0. Give up with exit 1 after 15 s.
"""
import json
import sys
import threading

import socketio

if len(sys.argv) != 3:
    sys.exit("usage: python3 client.py URL ROOM")
url, room = sys.argv[1], sys.argv[2]
sio = socketio.Client(reconnection=False)
heard_other = threading.Event()
_out = threading.Lock()


def say(line):
    """One whole line on stdout. python-socketio runs event handlers on a thread of its own, and
    print() writes the text and the newline separately: two threads printing at once can glue
    one line onto another. One write of the whole line, under a lock, cannot."""
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


@sio.on("said")
def said(m, *offset):
    say(f"heard {m['from']} {m['text']}")
    if m["from"] != sio.get_sid():
        heard_other.set()


sio.connect(url, wait_timeout=10)
say(f"connected as {sio.get_sid()}")
say(f"joined {json.dumps(sio.call('join', room, timeout=10))}")
say(f"ack {json.dumps(sio.call('say', (room, 'hello from the reference client'), timeout=10))}")
ok = heard_other.wait(15)
sio.disconnect()
if not ok:
    print("client: gave up after 15 s", file=sys.stderr)
sys.exit(0 if ok else 1)

"""client.py - lab 6, broken on purpose: it never joins the room, so its say is refused
({"ok": false}) and the room's broadcast never reaches it (the grader must say so). Otherwise
the reference client for events_server's chat, with
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


@sio.on("said")
def said(m, *offset):
    print(f"heard {m['from']} {m['text']}", flush=True)
    if m["from"] != sio.get_sid():
        heard_other.set()


sio.connect(url, wait_timeout=10)
print(f"connected as {sio.get_sid()}", flush=True)
# the bug: no join
print(f"ack {json.dumps(sio.call('say', (room, 'hello from the reference client'), timeout=10))}",
      flush=True)
ok = heard_other.wait(15)
sio.disconnect()
if not ok:
    print("client: gave up after 15 s", file=sys.stderr)
sys.exit(0 if ok else 1)

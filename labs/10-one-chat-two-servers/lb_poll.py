"""labs/10-one-chat-two-servers/lb_poll.py - lab 10: one Engine.IO long-polling session by hand,
through HAProxy (events/lb/haproxy.cfg), printing each request and who answered it.

    lb_poll PORT        (labs/bin/lb_poll; PORT: HAProxy's sticky or plain round-robin port)

A polling session is a series of HTTP requests: the GET that opens it (the answer is Engine.IO's
OPEN packet, 0{"sid":...}), then a POST carrying our packets with ?sid=... (40: Socket.IO
CONNECT to "/"), then a GET that returns the server's (40{"sid":...}: the CONNECT's answer).
Each request is its own HTTP connection here (Connection: close), so the balancer chooses a
server for each. The header X-Wirelab-Server, which the lab's HAProxy adds to every answer, says
which server that was. A cookie the balancer sets (Set-Cookie) is sent back with the next
requests, as a browser does. Ids are random on every run, so they are printed as <sid>, <id>.
Exit status 0 when the session worked, 1 when a request was refused (what the lab shows on the
round-robin port), 2 when the balancer could not be reached.
"""
import http.client
import json
import re
import sys

PATH = "/socket.io/?EIO=4&transport=polling"


def request(port, method, path, body, cookie):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Connection": "close"}
    if cookie:
        headers["Cookie"] = cookie
    if body is not None:
        headers["Content-Type"] = "text/plain;charset=UTF-8"
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.reason, r.getheader("X-Wirelab-Server"), r.getheader("Set-Cookie"), \
            r.read().decode(errors="replace")
    finally:
        conn.close()


def hide(text, names):
    for real, name in names.items():
        text = text.replace(real, name)
    return text


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: lb_poll PORT   (HAProxy's port: the lab's sticky 8000 or round-robin 8001)")
    port, names, cookie, sid = int(sys.argv[1]), {}, None, None
    steps = [("GET", PATH, None), ("POST", None, "40"), ("GET", None, None)]
    for method, path, body in steps:
        path = path or f"{PATH}&sid={sid}"
        print(hide(f"{method} {path}" + (f"   body: {body}" if body else "") +
                   (f"   Cookie: {cookie}" if cookie else ""), names))
        try:
            status, reason, server, set_cookie, text = request(port, method, path, body, cookie)
        except OSError as e:
            print(f"lb_poll: nothing answers on 127.0.0.1 port {port} ({e.strerror or e}): is "
                  "haproxy running?", file=sys.stderr)
            return 2
        if sid is None and status == 200 and text.startswith("0{"):
            sid = json.loads(text[1:])["sid"]
            names[sid] = "<sid>"
        for m in re.finditer(r'40\{"sid":"([^"]+)","pid":"([^"]+)"\}', text):
            names[m.group(1)], names[m.group(2)] = "<id>", "<pid>"  # the CONNECT's answer
        print(f"  {status} {reason}, from server {server or '(not said)'}" +
              (f"; Set-Cookie: {set_cookie}" if set_cookie else ""))
        # Several packets in one answer are joined by the byte 0x1e (record separator).
        print("  " + hide(text, names).replace("\x1e", " <0x1e> "))
        if set_cookie:
            cookie = set_cookie.split(";", 1)[0]
        if status != 200:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

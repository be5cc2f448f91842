"""labs/10-one-chat-two-servers/unpack.py - lab 10: the MessagePack inside a Redis PUBLISH,
byte by byte.

    unpack CAPTURE.pcap [FRAME | TEXT]   (labs/bin/unpack; default: the first PUBLISH or XADD;
                                          TEXT: the first one with TEXT in its bytes)

The sniffer decodes RESP, Redis's protocol: `*3 "PUBLISH" "socket.io#/#lobby#" <bulk 131
bytes>` is an array of three bulk strings, the command, the channel and the message. The
message is what socket.io's Redis adapter (npm @socket.io/redis-adapter, and events_server's
--adapter redis://) publishes for a broadcast: MessagePack of [uid, packet, opts] (the server's
random id, so it can ignore its own messages; the Socket.IO packet; the rooms it goes to). This
takes the frame's bytes from `sniffer -r CAPTURE --frame N -x` (the RESP layer's hex), splits
the RESP array, and prints the MessagePack value one item a line: its first byte(s) in hex,
what they mean, and the value. Socket ids named in ids.txt (written by `cluster`) are printed
by name, and the server's random uid as <uid>, so two runs print the same. The streams
adapter's XADD carries its packet as the field `data`: JSON, unless it holds binary data (then
base64 of MessagePack, printed here as the text it is); JSON is printed indented.
"""
import json
import os
import re
import struct
import subprocess
import sys

SNIFFER = os.path.join(os.environ.get("WIRELAB_BIN", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin")), "sniffer")
MAX_DEPTH = 16  # a hand-made capture must not recurse without end
# Socket.IO's packet types (the packet's "type"), from the protocol's specification.
PACKET_TYPES = ["CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT",
                "BINARY_ACK"]


class Truncated(Exception):
    pass


def names():
    found = {}
    if os.path.exists("ids.txt"):
        for line in open("ids.txt"):
            parts = line.split()
            if len(parts) == 2:
                found[parts[0]] = parts[1]
    return found


def resp_bulks(data):
    """The bulk strings of a RESP array (*N then $len\\r\\nbytes\\r\\n each), as bytes."""
    m = re.match(rb"\*(\d+)\r\n", data)
    if not m:
        raise ValueError("the payload is not a RESP array (it does not start with *N\\r\\n)")
    at, out = m.end(), []
    for _ in range(int(m.group(1))):
        b = re.compile(rb"\$(\d+)\r\n").match(data, at)
        if not b:
            raise ValueError(f"element {len(out) + 1} is not a bulk string ($len)")
        start, n = b.end(), int(b.group(1))
        if start + n + 2 > len(data):
            raise Truncated()
        out.append(data[start:start + n])
        at = start + n + 2
    return out


class Reader:
    """MessagePack (github.com/msgpack/msgpack/blob/master/spec.md), one item a line."""

    def __init__(self, data, ids, adapter):
        self.data, self.at, self.ids, self.lines = data, 0, ids, []
        self.adapter = adapter  # a PUBLISH of socket.io's Redis adapter: [uid, packet, opts]

    def take(self, n):
        if self.at + n > len(self.data):
            raise Truncated()
        b = self.data[self.at:self.at + n]
        self.at += n
        return b

    def line(self, depth, head, what, label=""):
        hexed = " ".join(f"{b:02x}" for b in head)
        text = f"{'  ' * depth}{hexed:<{16 - 2 * depth}} {what}"
        self.lines.append(f"{text:<50} {label}".rstrip())

    def string(self, raw):
        text = raw.decode("utf-8", errors="replace")
        return self.ids.get(text, text)

    def value(self, depth=1, label=""):
        if depth > MAX_DEPTH:
            raise ValueError("nested deeper than 16")
        start = self.at
        t = self.take(1)[0]
        head = lambda: self.data[start:self.at]  # noqa: E731 (the bytes read for this item)
        if t <= 0x7F or t >= 0xE0:  # positive / negative fixint: the byte is the number
            self.line(depth, head(), f"integer {t if t <= 0x7F else t - 256}", label)
            return t if t <= 0x7F else t - 256
        if 0xA0 <= t <= 0xBF or t in (0xD9, 0xDA, 0xDB):  # str: fixstr (101xxxxx) or str 8/16/32
            n = t & 0x1F if t <= 0xBF else int.from_bytes(self.take(1 << (t - 0xD9)), "big")
            header = head()  # the type byte and the length: the text's bytes follow
            text = self.string(self.take(n))
            if label.startswith("[0]") and depth == 2:
                text = "<uid>"  # the publishing server's random id: different every run
            self.line(depth, header, f"string, {n} bytes: {json.dumps(text)}", label)
            return text
        if 0x90 <= t <= 0x9F or t in (0xDC, 0xDD):  # array: fixarray (1001xxxx), array 16/32
            n = t & 0x0F if t <= 0x9F else int.from_bytes(self.take(2 if t == 0xDC else 4), "big")
            self.line(depth, head(), f"array of {n}", label)
            return [self.value(depth + 1, self.sublabel(depth, i)) for i in range(n)]
        if 0x80 <= t <= 0x8F or t in (0xDE, 0xDF):  # map: fixmap (1000xxxx), map 16/32
            n = t & 0x0F if t <= 0x8F else int.from_bytes(self.take(2 if t == 0xDE else 4), "big")
            self.line(depth, head(), f"map of {n}", label)
            out = {}
            for _ in range(n):
                key = self.value(depth + 1)
                value = self.value(depth + 1)
                if key == "type" and isinstance(value, int) and 0 <= value < len(PACKET_TYPES):
                    self.lines[-1] += f"{'':<{50 - len(self.lines[-1])}} ({PACKET_TYPES[value]})"
                out[str(key)] = value
            return out
        simple = {0xC0: ("nil", None), 0xC2: ("false", False), 0xC3: ("true", True)}
        if t in simple:
            self.line(depth, head(), simple[t][0], label)
            return simple[t][1]
        sized = {0xCC: (1, "B"), 0xCD: (2, ">H"), 0xCE: (4, ">I"), 0xCF: (8, ">Q"),
                 0xD0: (1, "b"), 0xD1: (2, ">h"), 0xD2: (4, ">i"), 0xD3: (8, ">q"),
                 0xCA: (4, ">f"), 0xCB: (8, ">d")}
        if t in sized:
            n, fmt = sized[t]
            v = struct.unpack(fmt, self.take(n))[0]
            self.line(depth, head(), f"{'float' if t in (0xCA, 0xCB) else 'integer'} {v}", label)
            return v
        if t in (0xC4, 0xC5, 0xC6):  # bin 8/16/32: raw bytes (a binary attachment)
            n = int.from_bytes(self.take(1 << (t - 0xC4)), "big")
            header = head()
            self.take(n)
            self.line(depth, header, f"binary, {n} bytes", label)
            return f"<{n} bytes>"
        raise ValueError(f"byte {t:#04x} at offset {start}: a MessagePack type this lab does "
                         "not decode (ext)")

    def sublabel(self, depth, i):
        if depth == 1 and self.adapter:  # the adapter's message: [uid, packet, opts]
            return ["[0] uid: the server that published",
                    "[1] the Socket.IO packet", "[2] opts: where it goes"][i] if i < 3 else ""
        return f"[{i}]"


def frames(pcap):
    """{frame number: the bytes of its RESP layer} for every frame that has one, from
    `sniffer -r CAPTURE -x`: a line per packet, then its bytes in hex rows, each layer's bytes
    in brackets ([resp 2a 33 ...])."""
    out = subprocess.run([SNIFFER, "-r", pcap, "-x"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"unpack: the sniffer could not read {pcap}: {out.stderr.strip()}")
    found, n = {}, 0
    for line in out.stdout.splitlines():
        if line and not line[0].isspace():
            n += 1  # a packet's own line; its hex rows are indented
            continue
        hexed = " ".join(re.findall(r"\[resp ([0-9a-f ]+)\]", line))
        if hexed:
            found[n] = found.get(n, b"") + bytes.fromhex(hexed)
    return found


def choose(found, which):
    """The frame to decode: a number, or the first PUBLISH or XADD (holding TEXT, if given)."""
    if which.isdigit():
        if int(which) not in found:
            sys.exit(f"unpack: frame {which} carries no RESP (sniffer -r CAPTURE lists them)")
        return int(which)
    for n, data in sorted(found.items()):
        if re.match(rb"\*\d+\r\n\$\d+\r\n(PUBLISH|XADD)\r\n", data) and which.encode() in data:
            return n
    sys.exit("unpack: no PUBLISH or XADD" + (f" with {which!r} in it" if which else "") +
             " in the capture (capture with -f 'tcp port 6379' while a client says something)")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: unpack CAPTURE.pcap [FRAME | TEXT]   (default: the first PUBLISH or "
                 "XADD; TEXT: the first one with TEXT in it)")
    found = frames(sys.argv[1])
    n = choose(found, sys.argv[2] if len(sys.argv) == 3 else "")
    data = found[n]
    try:
        bulks = resp_bulks(data)
    except Truncated:
        sys.exit(f"unpack: frame {n} holds only part of the command (it goes on in the next "
                 "segment; sniffer --follow shows it whole)")
    except ValueError as e:
        sys.exit(f"unpack: frame {n}: {e}")
    print(f"frame {n}: a RESP array of {len(bulks)} bulk strings:")
    for i, b in enumerate(bulks[:-1]):
        print(f"  {i + 1}. {json.dumps(b.decode(errors='replace'))}")
    ids = names()
    last = bulks[-1]
    if last[:1] in (b"{", b"["):  # JSON, not MessagePack (the streams adapter's data field)
        try:
            text = json.dumps(json.loads(last), indent=2)
        except ValueError:
            text = None
        if text is not None:
            for real, name in ids.items():
                text = text.replace(real, name)
            print(f"  {len(bulks)}. {len(last)} bytes of JSON:")
            print("\n".join("    " + ln for ln in text.splitlines()))
            return
    print(f"  {len(bulks)}. {len(last)} bytes of MessagePack:")
    r = Reader(last, ids, bulks[0].upper() == b"PUBLISH")
    try:
        r.value()
    except Truncated:
        r.lines.append("  (the bytes end inside a value: truncated)")
    except ValueError as e:
        r.lines.append(f"  ({e})")
    print("\n".join(r.lines))
    if r.at < len(r.data):
        print(f"  ({len(r.data) - r.at} bytes after the value)")


if __name__ == "__main__":
    main()

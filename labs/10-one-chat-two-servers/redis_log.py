"""labs/10-one-chat-two-servers/redis_log.py - lab 10: what the servers asked Redis, in a capture.

    redis_log CAPTURE.pcap      (labs/bin/redis_log)

One line per RESP command sent to Redis (port 6379), in the order Redis got them, as the
sniffer reassembles and decodes them (`sniffer -r CAPTURE --json`: its "messages"; several
commands written at once are several messages). The stream reader's `XREAD ... BLOCK 5000`
(asked again whenever an answer comes, and every 5 s when none does: how many depends on
timing) is counted, not listed. Ids named in ids.txt (written by `cluster`) are printed by
name, so two runs print the same.
"""
import json
import os
import subprocess
import sys

SNIFFER = os.path.join(os.environ.get("WIRELAB_BIN", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin")), "sniffer")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: redis_log CAPTURE.pcap   (a capture of tcp port 6379)")
    names = {}
    if os.path.exists("ids.txt"):
        for line in open("ids.txt"):
            parts = line.split()
            if len(parts) == 2:
                names[parts[0]] = parts[1]
    out = subprocess.run([SNIFFER, "-r", sys.argv[1], "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"redis_log: the sniffer could not read {sys.argv[1]}: {out.stderr.strip()}")
    polls = 0
    for line in out.stdout.splitlines():
        pkt = json.loads(line)
        tcp = next((lay for lay in pkt["layers"] if lay["proto"] == "tcp"), None)
        if not tcp or tcp["dport"] != 6379:  # to Redis: the commands (answers come back)
            continue
        for m in pkt.get("messages", []):
            if m["kind"] != "resp":
                continue
            if m["summary"].startswith('*8 "XREAD"'):
                polls += 1
                continue
            text = m["summary"]
            for real, name in names.items():
                text = text.replace(real, name)
            print(f"frame {pkt['n']:<4} port {tcp['sport']:<5} > Redis: {text}")
    print(f"(and {'some' if polls else 'no'} XREAD ... BLOCK 5000: the stream readers asking "
          "for what comes next)")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# broker_vanished.sh - a consumer whose network vanishes (no FIN, no RST): inside a network
# namespace of its own, an nftables rule drops every packet to and from the consumer's port
# while it holds a message. Then
#   - its ACK deadline (1 s) passes and the message goes to the other consumer, redelivered;
#   - TCP keepalive (--keepalive 3:1:2) finds the peer gone and the broker closes the
#     connection (ETIMEDOUT, logged), though the consumer never said goodbye.
# Run by hand: WIRELAB_BIN=build/bin WIRELAB_SOURCE=. bash tests/queue/broker_vanished.sh
#
# Needs: unshare (util-linux), ip (iproute2), nft (nftables). No root needed: an unprivileged
# user namespace maps us to root inside it, and that root owns only the new network namespace.
# Exits 77 (skipped) when this machine forbids unprivileged user namespaces.
set -euo pipefail
: "${WIRELAB_BIN:?WIRELAB_BIN must point at build/bin (CTest sets it)}"
: "${WIRELAB_SOURCE:?WIRELAB_SOURCE must point at the repository (CTest sets it)}"
export PATH="$PATH:/usr/sbin:/sbin"

if [ "${WIRELAB_IN_NETNS:-}" != 1 ]; then
  if ! unshare --user --map-root-user --net true 2>/dev/null; then
    echo "SKIP: this machine forbids unprivileged user+network namespaces" \
      "(see sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces)"
    exit 77
  fi
  for tool in ip nft; do
    command -v "$tool" >/dev/null || {
      echo "FAILED: '$tool' is missing; install Debian package $([ $tool = nft ] && echo nftables || echo iproute2)" >&2
      exit 1
    }
  done
  # Everything below runs again inside the new namespace; it vanishes when the script ends.
  WIRELAB_IN_NETNS=1 exec unshare --user --map-root-user --net bash "$0" "$@"
fi

. "$WIRELAB_SOURCE/tests/lib.sh"

step "inside a new network namespace: bring up lo"
ip link set lo up
step "start queue_broker --keepalive 3:1:2 (a silent peer is probed after 3 s, cut after ~5 s)"
start_server broker "$WIRELAB_BIN/queue_broker" --port 0 --keepalive 3:1:2
step "a consumer takes a message with a 1 s deadline; then nft drops all its packets"
/usr/bin/python3 - "$SERVER_PORT" <<'PY' || fail "the vanished-peer scenario failed (see above); broker log: $(cat "$SERVER_LOG")"
import socket, subprocess, sys, time
port = int(sys.argv[1])

def client():
    return socket.create_connection(("127.0.0.1", port), timeout=10)

def line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            return None
        buf += chunk
    return buf.decode().strip()

def expect(what, got, want):
    print("%s < %s" % (what, got))
    if got != want:
        sys.exit("%s should have got %r" % (what, want))

p, c1, c2 = client(), client(), client()
p.sendall(b"PUSH jobs resize cat.jpg\n")
expect("producer", line(p), "OK 1")
c1.sendall(b"PULL jobs 1\n")
expect("consumer1", line(c1), "MSG jobs 1 new resize cat.jpg")
cport = c1.getsockname()[1]
rules = ("table inet vanish { chain input { type filter hook input priority 0; policy accept; "
         "tcp sport %d drop; tcp dport %d drop; }; }" % (cport, cport))
print("nft: drop every packet to and from consumer1's port %d (no FIN, no RST: it vanishes)" % cport)
subprocess.run(["nft", "-f", "-"], input=rules.encode(), check=True)
c2.sendall(b"PULL jobs\n")
c2.settimeout(4)
start = time.monotonic()
expect("consumer2", line(c2), "MSG jobs 1 redelivered resize cat.jpg")
print("consumer2 got it %.1f s later: consumer1's deadline passed" % (time.monotonic() - start))
c2.sendall(b"ACK 1\n")
expect("consumer2", line(c2), "OK")
c1.sendall(b"ACK 1\n")  # too late, and dropped on the way anyway
PY
step "the broker must close consumer1's connection by itself (keepalive), within 15 s"
for i in $(seq 1 150); do
  grep -q 'stopped answering (keepalive probes or retransmissions timed out: ETIMEDOUT)' "$SERVER_LOG" && break
  sleep 0.1
done
grep 'ETIMEDOUT' "$SERVER_LOG" \
  || fail "no keepalive close in 15 s: the broker still thinks the vanished consumer is there: $(cat "$SERVER_LOG")"
grep -q 'ACK deadline(s) passed: back to the queue' "$SERVER_LOG" \
  || fail "the broker did not log the passed deadline: $(cat "$SERVER_LOG")"
# The broker's side of that connection is gone from this namespace's TCP table. (The test's
# clients have exited: the producer's and consumer2's FINs reached the broker, consumer1's was
# dropped by the rule, so without keepalive its connection would still be ESTABLISHED here.)
port_hex=$(printf '%04X' "$SERVER_PORT")
established=$(awk -v p=":$port_hex" '$2 ~ p"$" && $4 == "01"' /proc/net/tcp | wc -l)
expect_eq "broker-side ESTABLISHED connections left" 0 "$established"
step "stop the broker: its summary counts one deadline, one redelivery"
stop_server
expect_eq "broker exit status" 0 "$SERVER_RC"
grep -q 'delivered 2, redelivered 1, overwritten 0 (acked 1, rejected as full 0, deadlines passed 1' "$SERVER_LOG" \
  || fail "unexpected summary: $(cat "$SERVER_LOG")"
echo "ok: the deadline brought the message back, and keepalive closed the vanished peer's connection"

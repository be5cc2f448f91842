# capture.sh [FILTER] - lab 9's task done by a script, as a student does it in ./wirelab shell:
# two hosts, host b given the MAC 02:00:00:12:34:56, a capture on host a's end of the cable,
# one echo across it. Writes lab9.pcap in the current folder. Sourced by each case's prepare;
# exits 77 where user namespaces are forbidden (the test is then skipped).
filter=${1:-arp or tcp port 7007}
if ! unshare --user --map-root-user --net --mount true 2>/dev/null; then
  echo "user namespaces are forbidden here"
  exit 77
fi
WIRELAB_BIN=${WIRELAB_BIN:?} WIRELAB_ROOT=${WIRELAB_ROOT:?} FILTER=$filter \
  unshare --user --map-root-user --net --mount bash -euo pipefail -c '
mount -t tmpfs wirelab-run /run
PATH=$WIRELAB_BIN:$PATH
bash "$WIRELAB_ROOT/labs/09-two-hosts/net.sh" up
trap "bash \"$WIRELAB_ROOT/labs/09-two-hosts/net.sh\" down" EXIT
ip -n wirelab-b link set veth-b address 02:00:00:12:34:56
: >sniffer.err # emptied before the fork: never the listening line of an earlier attempt
ip netns exec wirelab-a sniffer -i veth-a -f "$FILTER" -w lab9.pcap 2>sniffer.err &
cap=$!
for _ in $(seq 1 100); do grep -q "listening on" sniffer.err && break; sleep 0.05; done
: >server.log
ip netns exec wirelab-b tcp_echo_server >server.log 2>&1 &
srv=$!
for _ in $(seq 1 100); do grep -q "listening on" server.log && break; sleep 0.05; done
ip netns exec wirelab-a tcp_echo_client --host 10.0.0.2 --message "hello, host b"
sleep 0.3
kill -TERM $srv; wait $srv || true
kill -INT $cap; wait $cap || true
rm -f sniffer.err server.log
'

#!/usr/bin/env bash
# The loss lab, for real: inside a network namespace of its own (so the host's firewall is never
# touched), an nftables rule drops 20% of all packets arriving on the loopback interface. Then
#   - udp_sender -> udp_receiver: about a fifth of the datagrams are lost, and stay lost;
#   - tcp_echo_client -> tcp_echo_server (when built): TCP loses segments too, but retransmits
#     them, and every byte arrives and is echoed back intact.
# Run by hand: WIRELAB_BIN=build/bin WIRELAB_SOURCE=. bash tests/udp_echo/loss_netns.sh
#
# Needs: unshare (util-linux), ip (iproute2), nft (nftables). No root needed: an unprivileged
# user namespace maps us to root inside it, and that root owns only the new network namespace.
# Exits 77 (skipped) when this machine forbids unprivileged user namespaces.
set -euo pipefail
: "${WIRELAB_BIN:?WIRELAB_BIN must point at build/bin (CTest sets it)}"
: "${WIRELAB_SOURCE:?WIRELAB_SOURCE must point at the repository (CTest sets it)}"
export PATH="$PATH:/usr/sbin:/sbin"
DROP_PERCENT=${DROP_PERCENT:-20}

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

step "inside a new network namespace: bring up lo (it starts down, with nothing else there)"
ip link set lo up
step "nft: drop ${DROP_PERCENT}% of the packets arriving on lo, UDP and TCP alike"
nft -f - <<NFT || fail "nft could not load the rule set (is the nftables package installed?)"
table inet wirelab_loss {
  chain input {
    type filter hook input priority 0; policy accept;
    iif "lo" meta l4proto udp numgen random mod 100 < $DROP_PERCENT counter drop comment "udp"
    iif "lo" meta l4proto tcp numgen random mod 100 < $DROP_PERCENT counter drop comment "tcp"
  }
}
NFT

step "UDP: udp_receiver, then udp_sender --count 1000 --rate 2000"
start_server udp_receiver "$WIRELAB_BIN/udp_receiver" --port 0 --bind 127.0.0.1 --quiet \
  --idle-timeout 2 --rcvbuf 4194304
"$WIRELAB_BIN/udp_sender" --host 127.0.0.1 --port "$SERVER_PORT" --count 1000 --rate 2000 \
  >udp_sender.log 2>&1 || fail "udp_sender failed: $(cat udp_sender.log)"
wait "$SERVER_PID" || fail "udp_receiver exited with status $?: $(cat "$SERVER_LOG")"
line=$(grep '^sender ' "$SERVER_LOG") || fail "no per-sender summary: $(cat "$SERVER_LOG")"
received=$(sed -n 's/.*received \([0-9]*\),.*/\1/p' <<<"$line")
lost=$(sed -n 's/.*lost \([0-9]*\),.*/\1/p' <<<"$line")
echo "UDP under ${DROP_PERCENT}% loss: $line"
expect_eq "received + lost (every one of the 1000 is accounted for)" 1000 $((received + lost))
# 20% of 1000 is 200 on average (standard deviation about 13); accept half to one and a half
# times that, so only a rule that does nothing (or something else) fails.
if [ "$lost" -lt $((DROP_PERCENT * 5)) ] || [ "$lost" -gt $((DROP_PERCENT * 15)) ]; then
  fail "expected about $((DROP_PERCENT * 10)) of 1000 datagrams lost, got $lost: $line"
fi
grep -q 'kernel dropped 0 ' "$SERVER_LOG" \
  || fail "the receive buffer overflowed too, which muddles the lesson: $(cat "$SERVER_LOG")"

if [ -x "$WIRELAB_BIN/tcp_echo_server" ] && [ -x "$WIRELAB_BIN/tcp_echo_client" ]; then
  step "TCP: tcp_echo_server, then tcp_echo_client --size 200000 under the same rule"
  start_server tcp_echo_server "$WIRELAB_BIN/tcp_echo_server" --port 0
  timeout 90 "$WIRELAB_BIN/tcp_echo_client" --host 127.0.0.1 --port "$SERVER_PORT" \
    --size 200000 >tcp_client.log 2>&1 \
    || fail "tcp_echo_client did not get all 200000 bytes back intact: $(cat tcp_client.log)"
  # This namespace's own TCP counters: every segment the rule dropped was sent again.
  retrans=$(awk '$1 == "Tcp:" && !h { for (i = 1; i <= NF; i++) col[$i] = i; h = 1; next }
                 $1 == "Tcp:" { print $col["RetransSegs"] }' /proc/net/snmp)
  echo "TCP under ${DROP_PERCENT}% loss: all 200000 bytes echoed back intact;" \
    "the kernel retransmitted $retrans segments (RetransSegs, /proc/net/snmp)"
  stop_server
else
  echo "note: tcp_echo_server/tcp_echo_client are not built yet; only the UDP half ran"
fi

step "what the rules dropped, by their own counters"
nft list chain inet wirelab_loss input | sed -n 's/.*l4proto \([a-z]*\) .*counter packets \([0-9]*\).*/nft dropped \2 \1 packets/p'
echo "ok: UDP lost about ${DROP_PERCENT}% and stayed lossy; TCP (if built) delivered everything"

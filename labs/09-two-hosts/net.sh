#!/usr/bin/env bash
# labs/09-two-hosts/net.sh up|router|down|status - two emulated hosts joined by a cable, or by
# a router.
#
#   host "wirelab-a"  veth-a 02:00:00:00:00:0a 10.0.0.1/24  <--veth pair-->
#   host "wirelab-b"  veth-b 02:00:00:00:00:0b 10.0.0.2/24
#
# Each host is a network namespace: its own interfaces, addresses, routes, ARP table and
# firewall, like a separate machine. A veth pair is a virtual cable: a frame sent into one end
# comes out of the other. So traffic between them is real Ethernet, with real MAC addresses and
# ARP, and does not go through loopback. (Mininet builds its networks the same way.)
# The 10.0.0.0/24 addresses exist only inside these two namespaces.
#
# `net.sh router` builds the other network of lab 9: the same two hosts on two different
# networks, with a third namespace as the router between them:
#
#   wirelab-a  veth-a 02:00:00:00:00:0a 10.0.0.1/24, default via 10.0.0.254
#       |
#   wirelab-r  veth-ra 02:00:00:00:00:1a 10.0.0.254/24 | veth-rb 02:00:00:00:00:1b 10.0.1.254/24
#       |      (IPv4 forwarding on: it is a router)    |  MTU 1000 on this link
#   wirelab-b  veth-b 02:00:00:00:00:0b 10.0.1.2/24, default via 10.0.1.254
#
# The second link's MTU is 1000, smaller than the first one's 1500, so that packets must be
# fragmented (or refused, when DF is set) on their way across the router.
#
# Needs CAP_NET_ADMIN and a writable /run/netns: root, or inside `./wirelab shell` / a lab.
# `./wirelab net up` and `./wirelab net down` call this; lab 9 uses it on its own.
set -euo pipefail
A=wirelab-a B=wirelab-b R=wirelab-r

# ready NS DEV : wait (5 s at most) until DEV in NS is really up. `ip link set up` returns
# before the kernel has seen the cable's carrier (that is done later, by a kernel worker): until
# then the link is DOWN or LOWERLAYERDOWN, its queue discipline is "noop", and every frame sent
# into it, the first ARP request included, is dropped without a trace. On a busy machine that
# can take a while; a lab that went on at once showed the state of the moment and lost packets.
ready() {
  local i
  for i in $(seq 1 100); do
    ip -n "$1" -o link show dev "$2" | grep -q 'qdisc noop\|state DOWN\|LOWERLAYERDOWN\|NO-CARRIER' || return 0
    sleep 0.05
  done
  echo "net: $2 in $1 did not come up within 5 s: $(ip -n "$1" -o link show dev "$2")" >&2
  return 1
}

up() {
  down quiet
  ip netns add $A
  ip netns add $B
  ip link add veth-a netns $A address 02:00:00:00:00:0a type veth \
    peer name veth-b netns $B address 02:00:00:00:00:0b
  ip -n $A addr add 10.0.0.1/24 dev veth-a
  ip -n $B addr add 10.0.0.2/24 dev veth-b
  local ns
  for ns in $A $B; do
    # No IPv6 on the cable: its automatic neighbour discovery would clutter the capture.
    ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n $ns link set lo up
  done
  ip -n $A link set veth-a up
  ip -n $B link set veth-b up
  ready $A veth-a
  ready $B veth-b
  echo "net up: host $A (10.0.0.1, veth-a) <-> host $B (10.0.0.2, veth-b)"
  echo "run a program on a host with: ip netns exec $B tcp_echo_server"
}

router() {
  down quiet
  local ns
  for ns in $A $R $B; do
    ip netns add $ns
    ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n $ns link set lo up
  done
  ip link add veth-a netns $A address 02:00:00:00:00:0a type veth \
    peer name veth-ra netns $R address 02:00:00:00:00:1a
  ip link add veth-rb netns $R address 02:00:00:00:00:1b mtu 1000 type veth \
    peer name veth-b netns $B address 02:00:00:00:00:0b mtu 1000
  ip -n $A addr add 10.0.0.1/24 dev veth-a
  ip -n $R addr add 10.0.0.254/24 dev veth-ra
  ip -n $R addr add 10.0.1.254/24 dev veth-rb
  ip -n $B addr add 10.0.1.2/24 dev veth-b
  ip -n $A link set veth-a up
  ip -n $R link set veth-ra up
  ip -n $R link set veth-rb up
  ip -n $B link set veth-b up
  ready $A veth-a
  ready $R veth-ra
  ready $R veth-rb
  ready $B veth-b
  ip -n $A route add default via 10.0.0.254
  ip -n $B route add default via 10.0.1.254
  ip netns exec $R sysctl -qw net.ipv4.ip_forward=1 # forward packets not addressed to itself
  echo "net router: host $A (10.0.0.1) <-> router $R (10.0.0.254 | 10.0.1.254) <-> host $B (10.0.1.2, MTU 1000)"
}

down() {
  local ns found=0
  for ns in $A $R $B; do
    if ip netns list | grep -q "^$ns\b"; then
      ip netns del $ns  # its end of the cable goes with it
      found=1
    fi
  done
  [ "${1:-}" = quiet ] || { [ $found -eq 1 ] && echo "net down: the hosts (and the router, if any) removed" || echo "net down: nothing to remove"; }
}

status() {
  local ns
  for ns in $A $B; do
    if ip netns list | grep -q "^$ns\b"; then
      echo "host $ns:"
      ip -n $ns -brief addr show | sed 's/^/  /'
    else
      echo "host $ns: not up (./wirelab net up)"
    fi
  done
}

case "${1:-status}" in
  up) up ;;
  router) router ;;
  down) down ;;
  status) status ;;
  *) echo "usage: net.sh up|router|down|status" >&2; exit 2 ;;
esac

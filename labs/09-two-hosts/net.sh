#!/usr/bin/env bash
# labs/09-two-hosts/net.sh up|down|status - two emulated hosts joined by a cable.
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
# Needs CAP_NET_ADMIN and a writable /run/netns: root, or inside `./wirelab shell` / a lab.
# `./wirelab net up` and `./wirelab net down` call this; lab 9 uses it on its own.
set -euo pipefail
A=wirelab-a B=wirelab-b

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
  echo "net up: host $A (10.0.0.1, veth-a) <-> host $B (10.0.0.2, veth-b)"
  echo "run a program on a host with: ip netns exec $B tcp_echo_server"
}

down() {
  local ns found=0
  for ns in $A $B; do
    if ip netns list | grep -q "^$ns\b"; then
      ip netns del $ns  # its end of the cable goes with it
      found=1
    fi
  done
  [ "${1:-}" = quiet ] || { [ $found -eq 1 ] && echo "net down: both hosts removed" || echo "net down: nothing to remove"; }
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
  down) down ;;
  status) status ;;
  *) echo "usage: net.sh up|down|status" >&2; exit 2 ;;
esac

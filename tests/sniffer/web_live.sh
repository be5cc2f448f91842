#!/usr/bin/env bash
# web_live.sh - sniffer --web capturing live, checked from a WebSocket client of our own
# (web_live.py): in a network namespace of its own (an unprivileged user namespace maps us to
# root there, so the sniffer may capture on its lo), tcp_echo_client's packets appear in the
# live view as they are sent. Skipped (77) without user namespaces.
set -euo pipefail
: "${WIRELAB_BIN:?WIRELAB_BIN must point at build/bin (CTest sets it)}"
: "${WIRELAB_SOURCE:?WIRELAB_SOURCE must point at the repository (CTest sets it)}"
export PATH="$PATH:/usr/sbin:/sbin"
if [ "${WIRELAB_IN_NETNS:-}" != 1 ]; then
  if ! unshare --user --map-root-user --net true 2>/dev/null; then
    echo "skipped: this machine forbids unprivileged user+network namespaces"
    exit 77
  fi
  WIRELAB_IN_NETNS=1 exec unshare --user --map-root-user --net bash "$0" "$@"
fi
. "$WIRELAB_SOURCE/tests/lib.sh"
ip link set lo up
step "start tcp_echo_server on 127.0.0.1, port 0"
start_server echo "$WIRELAB_BIN/tcp_echo_server" --port 0 --bind 127.0.0.1
ECHO=$SERVER_PORT
step "start sniffer --web 0 -i lo -f 'tcp port $ECHO'"
start_server web "$WIRELAB_BIN/sniffer" --web 0 -i lo -f "tcp port $ECHO"
step "web_live.py: two tcp_echo_client exchanges, watched through the live view"
PYTHONPATH="$WIRELAB_SOURCE/tests/sniffer" /usr/bin/python3 \
  "$WIRELAB_SOURCE/tests/sniffer/web_live.py" "$WIRELAB_BIN" "$SERVER_PORT" "$ECHO" \
  || fail "web_live.py failed (above); the sniffer's log: $(tail -20 web.log)"
step "SIGTERM: the sniffer stops its capture thread and exits 0"
stop_server
expect_eq "the sniffer's exit status after SIGTERM" 0 "$SERVER_RC"

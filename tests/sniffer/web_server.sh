#!/usr/bin/env bash
# web_server.sh - sniffer --web's server from a WebSocket client of our own (web_server.py):
# details on demand equal --json, the display filter, the bounded store, the non-reading
# browser cut off at --max-queue. Reads files only: no privileges needed.
. "$WIRELAB_SOURCE/tests/lib.sh"
step "python3 web_server.py: every test pcap through the live view, then the limits"
cd "$PWD"
PYTHONPATH="$WIRELAB_SOURCE/tests/sniffer" /usr/bin/python3 \
  "$WIRELAB_SOURCE/tests/sniffer/web_server.py" "$WIRELAB_BIN" "$WIRELAB_SOURCE" \
  || fail "web_server.py failed (above); the sniffer's log: $(tail -20 server.log 2>/dev/null)"

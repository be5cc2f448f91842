#!/usr/bin/env bash
# interop_python.sh - python-socketio (Debian's python3-socketio) against events_server
# --demo chat: hostile values through the server and back (interop_python.py). Label: interop.
. "$WIRELAB_SOURCE/tests/lib.sh"
/usr/bin/python3 -c "import socketio" 2>/dev/null \
  || fail "python-socketio is missing: apt-get install python3-socketio"
step "start events_server --port 0 --demo chat"
start_server events "$WIRELAB_BIN/events_server" --port 0 --demo chat --verbose
step "run interop_python.py"
/usr/bin/python3 "$WIRELAB_SOURCE/tests/events/interop_python.py" "$SERVER_PORT" \
  || fail "python-socketio and events_server disagree (above); server log tail:
$(tail -20 "$SERVER_LOG")"
kill -0 "$SERVER_PID" 2>/dev/null || fail "events_server died: $(tail -20 "$SERVER_LOG")"

#!/usr/bin/env bash
# json_vs_node.sh - events/sio_json.c's checker against Node's JSON.parse on generated hostile
# texts (json_vs_node.mjs says how they are made). Needs node.
. "$WIRELAB_SOURCE/tests/lib.sh"
command -v node >/dev/null || fail "node is missing: apt-get install nodejs"
step "generate texts, judge each with json_verdict and with JSON.parse"
node "$WIRELAB_SOURCE/tests/events/json_vs_node.mjs" "$WIRELAB_BUILD/tests/json_verdict" 6000 \
  || fail "sio_json.c and JSON.parse disagree (above)"

#!/usr/bin/env bash
# decode_golden.sh - every pcap of the corpus through `sniffer --json`, checked field by field
# against the expectations gen_pcaps.py wrote next to it (tests/sniffer/pcaps/*.expect.jsonl).
# Also checks that the committed corpus is exactly what the generator writes today, so the
# pcaps and their expectations can never drift apart.
. "$WIRELAB_SOURCE/tests/lib.sh"
PY=/usr/bin/python3
CORPUS="$WIRELAB_SOURCE/tests/sniffer/pcaps"

step "regenerate the corpus with gen_pcaps.py into $PWD/fresh"
rm -rf fresh && mkdir fresh
$PY "$WIRELAB_SOURCE/tests/sniffer/gen_pcaps.py" fresh >/dev/null || fail "gen_pcaps.py failed"
for f in fresh/*; do
  cmp -s "$f" "$CORPUS/$(basename "$f")" \
    || fail "$(basename "$f") in tests/sniffer/pcaps differs from what gen_pcaps.py writes now; run: /usr/bin/python3 tests/sniffer/gen_pcaps.py tests/sniffer/pcaps"
done

n=0
for pcap in "$CORPUS"/*.pcap; do
  name=$(basename "$pcap" .pcap)
  step "sniffer -r $name.pcap --json, compared with $name.expect.jsonl"
  "$WIRELAB_BIN/sniffer" -r "$pcap" --json >"$name.json" 2>"$name.err" \
    || fail "sniffer exited with status $? on $name.pcap: $(cat "$name.err")"
  if ! $PY "$WIRELAB_SOURCE/tests/sniffer/check_json.py" "$name.json" "$CORPUS/$name.expect.jsonl" >"$name.diff"; then
    fail "the decode of $name.pcap differs from what was built:
$(cat "$name.diff")"
  fi
  n=$((n + 1))
done
[ "$n" -ge 15 ] || fail "only $n pcap files in $CORPUS; the corpus is missing"
echo "all $n files decode as expected"

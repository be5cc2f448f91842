#!/usr/bin/env bash
# interop_tshark.sh - compare the sniffer's --json with Wireshark's dissection (tshark) of the
# corpus, field by field (interop_tshark.py has the field table). Skipped without tshark.
# Left out: garbage_* (nothing to agree on) and lying_lengths.pcap, where the --json contract
# deliberately differs: payload_len is what the IP header declares, tshark counts what arrived.
. "$WIRELAB_SOURCE/tests/lib.sh"
if ! command -v tshark >/dev/null; then
  echo "skipped: tshark is not installed (Debian package tshark)"
  exit 77
fi
step "tshark -T json and sniffer --json over tests/sniffer/pcaps"
mapfile -t files < <(ls "$WIRELAB_SOURCE"/tests/sniffer/pcaps/*.pcap | grep -v -e garbage_ -e lying_lengths)
/usr/bin/python3 "$WIRELAB_SOURCE/tests/sniffer/interop_tshark.py" "$WIRELAB_BIN/sniffer" "${files[@]}" \
  || fail "the sniffer and tshark disagree (differences above)"

#!/usr/bin/env bash
# events_attack.sh SCENARIO - one hostile client against events_server (events_attacks.py):
# bounded memory and descriptors, an innocent client still served, the limit logged.
exec /usr/bin/python3 "$WIRELAB_SOURCE/tests/attack/events_attacks.py" "$1"

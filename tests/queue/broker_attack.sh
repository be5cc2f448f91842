#!/usr/bin/env bash
# broker_attack.sh ATTACK - run one hostile-client attack of broker_attacks.py against a
# queue_broker it starts itself (CTest runs one test per attack: tests/queue/CMakeLists.txt).
. "$WIRELAB_SOURCE/tests/lib.sh"
attack=${1:?usage: broker_attack.sh acks|nonreader|huge|names|fds|pipelining|abrupt|stdout|sigterm}
/usr/bin/python3 "$WIRELAB_SOURCE/tests/queue/broker_attacks.py" "$attack" "$WIRELAB_BIN/queue_broker"

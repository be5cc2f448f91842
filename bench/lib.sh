# bench/lib.sh - what every bench/<component>/run shares. Source it after setting OUT:
#   record ROUND FIGURE CONTENDER VALUE   one measurement, a line in $OUT/results.tsv
#   figures [--ratio FIGURE:A/B ...] [--lower FIGURE ...]
#                                          medians and ranges of every figure (bench/stats.py)
#   free_port                              a free TCP port on 127.0.0.1
# ROUNDS_EACH (default 5) is the number of interleaved rounds; bench/stats.py explains why
# medians of interleaved rounds, never the best one.
ROUNDS_EACH=${ROUNDS_EACH:-5}
BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${OUT:?set OUT (the output folder of the benchmark) before sourcing bench/lib.sh}"
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"

record() {
  [ -n "$4" ] || { echo "bench: no value for '$2' of $3 in round $1 (see the logs in $OUT)" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
}

figures() {
  /usr/bin/python3 "$BENCH_LIB_DIR/stats.py" "$RESULTS" "$@"
  echo "(every measurement: $RESULTS)"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

#!/usr/bin/env python3
"""bench/stats.py - the one place where benchmark rounds become figures.

Every bench/<component>/run measures its contenders in interleaved rounds (A, B, C, then A, B,
C again...) so that a burst of someone else's load hits all of them alike, writes one line per
measurement to a results file, and hands the file to this script:

    round <TAB> figure <TAB> contender <TAB> value        ('#' starts a comment)

It prints, per figure, each contender's MEDIAN over the rounds with its RANGE (lowest-highest),
and for each ratio asked for, the median and range of the per-round ratios A/B (each round's
A against the same round's B: the pairs that ran side by side). Never the best round: the best
round is the one where the peer was unluckiest.

    stats.py RESULTS [--ratio 'FIGURE:A/B' ...] [--lower FIGURE ...]

--lower marks figures where lower is better (latency, seconds, bytes): only the wording changes.
Fewer than 5 rounds prints a warning: that is a smoke run, not a figure for bench/README.md.
"""
import argparse
import statistics
import sys

MIN_ROUNDS = 5


def fmt(x):
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 0.1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def summary(values):
    """'median (low-high)' of a list of numbers."""
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"


def load(path):
    data = {}  # figure -> contender -> {round: value}
    order = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                sys.exit(f"stats.py: {path}:{n}: expected 4 tab-separated fields "
                         f"(round, figure, contender, value), got {line!r}")
            rnd, figure, contender, value = parts
            try:
                v = float(value)
            except ValueError:
                sys.exit(f"stats.py: {path}:{n}: the value {value!r} is not a number "
                         f"(did a measurement fail? its log is beside the results file)")
            if figure not in data:
                data[figure] = {}
                order.append(figure)
            data[figure].setdefault(contender, {})[rnd] = v
    return data, order


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("--ratio", action="append", default=[], metavar="FIGURE:A/B")
    ap.add_argument("--lower", action="append", default=[], metavar="FIGURE")
    args = ap.parse_args()
    data, order = load(args.results)
    rounds = max((len(r) for f in data.values() for r in f.values()), default=0)
    print(f"median (lowest-highest) of {rounds} interleaved rounds")
    if rounds < MIN_ROUNDS:
        print(f"WARNING: fewer than {MIN_ROUNDS} rounds: a smoke run, not a figure to record")
    for figure in order:
        better = "lower is better" if figure in args.lower else "higher is better"
        print(f"\n{figure} ({better})")
        for contender, by_round in data[figure].items():
            print(f"  {contender:<36} {summary(list(by_round.values()))}")
    ratios = [r for r in args.ratio]
    if ratios:
        print("\nratios, per round (each round's pair measured side by side)")
    for spec in ratios:
        try:
            figure, pair = spec.rsplit(":", 1)
            a, b = pair.split("/", 1)
        except ValueError:
            sys.exit(f"stats.py: --ratio {spec!r}: expected FIGURE:A/B")
        fa = data.get(figure, {}).get(a, {})
        fb = data.get(figure, {}).get(b, {})
        per = [fa[r] / fb[r] for r in fa if r in fb and fb[r] > 0]
        if not per:
            print(f"  {figure}: {a} / {b}: no round measured both")
            continue
        print(f"  {figure}: {a} / {b}  {summary(per)}  ({len(per)} rounds)")


if __name__ == "__main__":
    main()

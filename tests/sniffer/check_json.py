#!/usr/bin/python3
"""check_json.py ACTUAL.jsonl EXPECT.jsonl - compare the sniffer's --json with the expectations
gen_pcaps.py wrote, field by field.

Each expectation lists the layers a correct decoder reports, outermost first, with the fields
it must have; the sniffer may report more fields, but not other values, not fewer layers and not
more. "invalid": true only asks that an "invalid" reason be present. A packet whose expectation
has "layers": null (garbage) only has to be a valid JSON object with the right frame fields.
Exit status 0 when everything matches; otherwise each mismatch is printed with the packet's
note (what was built), what was expected and what the sniffer said.
"""
import json
import re
import sys


def compare(exp, got, raw, where, errors):
    for key in ("n", "caplen", "len"):
        if got.get(key) != exp[key]:
            errors.append("%s: %s expected %r, got %r" % (where, key, exp[key], got.get(key)))
    if "ts" in exp and exp["ts"] is None:
        if got.get("ts", 0) is not None or not isinstance(got.get("ts_invalid"), str):
            errors.append("%s: an invalid time should be \"ts\":null with a \"ts_invalid\" reason, got ts %r"
                          % (where, got.get("ts")))
    elif "ts" in exp:
        m = re.search(r'"ts":([^,]*),', raw)
        if not m or m.group(1) != exp["ts"]:
            errors.append("%s: ts expected %s, got %s" % (where, exp["ts"], m.group(1) if m else None))
    elif not isinstance(got.get("ts"), (int, float)):
        errors.append("%s: ts is missing or not a number" % where)
    layers = got.get("layers")
    if not isinstance(layers, list):
        errors.append("%s: no layers array" % where)
        return
    if exp["layers"] is None:
        return
    want = [l["proto"] for l in exp["layers"]]
    have = [l.get("proto") for l in layers]
    if want != have:
        errors.append("%s: layers expected %s, got %s" % (where, want, have))
        return
    for i, (el, gl) in enumerate(zip(exp["layers"], layers)):
        for k, v in el.items():
            if k == "invalid" and v is True:
                if "invalid" not in gl:
                    errors.append("%s layer %d (%s): expected an 'invalid' reason, got none"
                                  % (where, i, el["proto"]))
                continue
            if gl.get(k) != v:
                errors.append("%s layer %d (%s): field %s expected %r, got %r"
                              % (where, i, el["proto"], k, v, gl.get(k)))
        if gl.get("truncated") and not el.get("truncated"):
            errors.append("%s layer %d (%s): marked truncated, expected complete"
                          % (where, i, el["proto"]))


def main():
    actual, expect = sys.argv[1], sys.argv[2]
    with open(expect) as f:
        exps = [json.loads(l) for l in f if l.strip()]
    gots, raws = [], []
    errors = []
    with open(actual) as f:
        for ln, line in enumerate(f, 1):
            try:
                gots.append(json.loads(line))
                raws.append(line)
            except ValueError as e:
                errors.append("output line %d is not valid JSON (%s): %s" % (ln, e, line[:200]))
    if len(gots) != len(exps):
        errors.append("expected %d packets, the sniffer printed %d" % (len(exps), len(gots)))
    for exp, got, raw in zip(exps, gots, raws):
        where = "packet %d" % exp["n"] + (" (%s)" % exp["note"] if exp.get("note") else "")
        compare(exp, got, raw, where, errors)
    for e in errors[:40]:
        print("  " + e)
    if len(errors) > 40:
        print("  ... and %d more" % (len(errors) - 40))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

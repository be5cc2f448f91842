// hostile_values.mjs - a seeded generator of JSON values that break careless JSON code:
// extreme numbers (0.1 + 0.2, 2^53 - 1, 5e-324, the largest double), strings with every kind of
// code unit (NUL, controls, quotes, backslashes, U+2028, lone surrogates, emoji), deep nesting,
// objects with odd keys. Used by json_vs_node.mjs, interop_client.mjs (scenario "values") and,
// through values.json, by the python-socketio interop test.
//   import { hostileValues, rnd, pick } from "./hostile_values.mjs";
let seed = 0x5eed;
export const rnd = (n) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n; // deterministic
export const pick = (a) => a[rnd(a.length)];

const NUMBERS = [0, -0, 0.1 + 0.2, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53 + 2, 5e-324,
  1.7976931348623157e308, 1e21, 1e-7, 123456789.12345678, -1.5e-300];
const UNITS = [0x0, 0x1, 0x1f, 0x22, 0x5c, 0x2f, 0x7f, 0xe9, 0x2028, 0x2029, 0xfeff, 0xd800,
  0xdbff, 0xdc00, 0xdfff, 0xfffe, 0x41];
function hostileString() {
  let s = "";
  for (let i = rnd(8); i >= 0; i--)
    s += rnd(4) ? String.fromCharCode(pick(UNITS)) : pick(["😀", "é", "a", "\\", "\""]);
  return s;
}
export function value(depth) {
  switch (depth > 6 ? rnd(4) : rnd(8)) {
    case 0: return pick(NUMBERS);
    case 1: return hostileString();
    case 2: return pick([true, false, null]);
    case 3: return rnd(2) ? rnd(1e9) : (rnd(1e9) - 5e8) / 7; // doubles of every length
    case 4: case 5: return Array.from({ length: rnd(5) }, () => value(depth + 1));
    default: {
      const o = {};
      for (let i = rnd(4); i > 0; i--) o[hostileString()] = value(depth + 1);
      return o;
    }
  }
}

// count values: the fixed extremes first, then generated ones; deterministic for a seed.
export function hostileValues(count) {
  const out = [...NUMBERS, "a\u0000b", "x\ud800y", "\udfff", "\ud83d\ude00", "\u2028",
    Array.from({ length: 10000 }, (_, i) => i / 7), JSON.parse("[".repeat(200) + "]".repeat(200)),
    { "": { "__proto__x": [null] } }];
  while (out.length < count) out.push(value(0));
  return out;
}

// json_vs_node.mjs - events/sio_json.c against Node's own JSON.parse, on generated texts.
//
// What it teaches: "accepts what JSON.parse accepts" is a claim a program can check. A seeded
// generator writes hostile JSON values (extreme numbers, every kind of escape, lone surrogates,
// NUL, deep nesting, large arrays) with JSON.stringify, then texts no JSON.stringify writes
// (1E2, -0, \u0041, whitespace everywhere) and random one-byte mutations of all of them, which
// may or may not still be JSON. Each text goes to json_verdict (our checker), and the verdicts
// must match JSON.parse's: the same accept/refuse, the same number of array elements, the same
// string (as WTF-8: a lone surrogate is kept, not replaced).
// Run: node json_vs_node.mjs build/tests/json_verdict [count]
import { spawnSync } from "node:child_process";

const tool = process.argv[2];
const COUNT = Number(process.argv[3] || 4000);
import { pick, rnd, value } from "./hostile_values.mjs";

const texts = [
  "[" + "[".repeat(5000) + "]".repeat(5000) + "]", // deep
  JSON.stringify(Array.from({ length: 20000 }, (_, i) => i / 3)), // large
  "1E2", "-0", "1e400", "\"\\u0041\"", " \t\r\n[ 1 ,\n2 ] ", "\"\\uD83D\\uDE00\"", "{\"a\":1,\"a\":2}",
];
while (texts.length < COUNT / 2) texts.push(JSON.stringify(value(0)));
const MUTATE = ["", " ", ",", "\"", "\\", "[", "]", "{", "}", ":", "0", "-", "e", ".", "u", "x", "\t"];
while (texts.length < COUNT) {
  const t = pick(texts);
  const at = rnd(t.length + 1);
  texts.push(t.slice(0, at) + pick(MUTATE) + t.slice(at + rnd(2)));
}

function wtf8(s) { // UTF-8, but a lone surrogate as its own 3 bytes (what sio_json_string does)
  const out = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    const d = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
      c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      i++;
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Buffer.from(out).toString("hex");
}
function nodeVerdict(t) {
  let v;
  try { v = JSON.parse(t); } catch { return "0"; }
  if (Array.isArray(v)) return `1 a ${v.length}`;
  if (typeof v === "string") return `1 s ${wtf8(v)}`;
  return "1";
}

// texts are sent as their UTF-8 bytes (as a WebSocket text frame carries them); the generator
// never writes a raw lone surrogate, which UTF-8 cannot carry
const input = texts.map((t) => Buffer.from(t, "utf8").toString("hex")).join("\n") + "\n";
const r = spawnSync(tool, { input, maxBuffer: 1 << 28 });
if (r.status !== 0) throw new Error(`json_verdict failed: ${r.stderr}`);
const ours = r.stdout.toString().split("\n");
let accepted = 0, mismatches = 0;
texts.forEach((t, i) => {
  const want = nodeVerdict(t);
  accepted += want !== "0";
  if (ours[i] !== want && mismatches++ < 10)
    console.log(`MISMATCH on ${JSON.stringify(t.slice(0, 80))}: JSON.parse says ${want.slice(0, 60)}, ` +
      `sio_json says ${(ours[i] || "").slice(0, 60)}`);
});
console.log(`${texts.length} texts, ${accepted} accepted by JSON.parse, ${mismatches} mismatches`);
process.exit(mismatches ? 1 : 0);

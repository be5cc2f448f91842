// interop_client.mjs - the real Socket.IO client (npm socket.io-client, pinned in
// tests/package.json) against events_server --demo chat. One scenario per run:
//   node interop_client.mjs SCENARIO PORT
// Scenarios: polling websocket upgrade acks rooms multiroom namespaces binary recovery window
// capacity values
// Each prints what it checked and exits 0, or prints what went wrong and exits 1.
import { io } from "socket.io-client";
import { hostileValues } from "./hostile_values.mjs";

const [scenario, port] = process.argv.slice(2);
const URL = `http://127.0.0.1:${port}`;
const sockets = [];

function fail(msg) {
  console.error(`FAIL ${scenario}: ${msg}`);
  process.exit(1);
}
function check(cond, msg) {
  if (!cond) fail(msg);
  console.log(`  ok: ${msg}`);
}
function eq(got, want, what) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) fail(`${what}: expected ${w} but got ${g}`);
  console.log(`  ok: ${what} = ${g}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function once(emitter, ev, ms = 10000) { // generous: ASan builds on a loaded machine
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "${ev}" within ${ms} ms`)), ms);
    emitter.once(ev, (...args) => { clearTimeout(t); resolve(args); });
  });
}
async function connect(opts = {}) {
  const s = io(URL, { reconnectionDelay: 300, reconnectionDelayMax: 300, ...opts });
  sockets.push(s);
  await once(s, "connect");
  return s;
}
function strip(args) { // drop the recovery offset the server appends (a string, last)
  return args.length && typeof args[args.length - 1] === "string" ? args.slice(0, -1) : args;
}
// Collect "said" texts per socket (the offset argument is dropped).
function collect(s) {
  const got = [];
  s.on("said", (m) => got.push(m.data ? `${m.text}+${Buffer.from(m.data).toString("hex")}` : m.text));
  return got;
}

const scenarios = {
  async polling() {
    const s = await connect({ transports: ["polling"] });
    eq(s.io.engine.transport.name, "polling", "transport");
    eq(await s.emitWithAck("echo", "hello", 42, { a: [true, null] }), "hello",
       "ack over polling (first argument)");
    await sleep(700); // several ping/pong rounds with --ping-interval 200
    eq(s.connected, true, "still connected after heartbeats over polling");
  },
  async websocket() {
    const s = await connect({ transports: ["websocket"] });
    eq(s.io.engine.transport.name, "websocket", "transport");
    const [a, b, c] = await new Promise((r) => s.emit("echo", "hi", 1, { x: "y" }, (...a) => r(a)));
    eq([a, b, c], ["hi", 1, { x: "y" }], "ack over websocket");
    await sleep(700);
    eq(s.connected, true, "still connected after heartbeats over websocket");
  },
  async upgrade() {
    const s = io(URL, { transports: ["polling", "websocket"] });
    sockets.push(s);
    let first = null, upgraded = null;
    s.io.on("open", () => { // the Engine.IO session is open: its first transport
      first = s.io.engine.transport.name;
      s.io.engine.on("upgrade", (t) => { upgraded = t.name; });
    });
    await once(s, "connect");
    eq(first, "polling", "first transport");
    for (let i = 0; i < 100 && upgraded === null; i++) await sleep(50);
    eq(upgraded, "websocket", "upgraded transport");
    eq(s.io.engine.transport.name, "websocket", "transport in use");
    eq(await s.emitWithAck("echo", "after upgrade"), "after upgrade", "ack after the upgrade");
  },
  async acks() {
    const s = await connect();
    s.on("question", (q, ack) => ack(`answer to ${q}`));
    const answered = once(s, "answered");
    s.emit("ask", "q1");
    eq(strip(await answered), ["answer to q1"], "server emit with ack, client's ack arrived");
    const many = await Promise.all([1, 2, 3, 4, 5].map((i) => s.emitWithAck("echo", i)));
    eq(many, [1, 2, 3, 4, 5], "five acks matched to their ids");
    const got = [];
    for (const ev of ["connect_error", "disconnecting"]) s.on(ev, () => got.push(ev));
    eq(await s.emitWithAck("reserved"), { connect: -20, connect_error: -20, disconnect: -20,
                                          disconnecting: -20 },
       "sio_emit refuses every reserved event name (SIO_E_RESERVED)");
    const gone = once(s, "disconnect");
    s.emit("goodbye");
    eq((await gone)[0], "io server disconnect", "server-side disconnect (DISCONNECT packet)");
    await sleep(800);
    eq([s.connected, got], [false, []], "no reconnection after a deliberate server disconnect");
  },
  async rooms() {
    const a = await connect(), b = await connect(), c = await connect();
    const ga = collect(a), gb = collect(b), gc = collect(c);
    await a.emitWithAck("join", "r1");
    await b.emitWithAck("join", "r2");
    await c.emitWithAck("join", "r1");
    await a.emitWithAck("say", "r1", "for r1");
    await b.emitWithAck("say", "r2", "for r2");
    const notMember = await b.emitWithAck("say", "r1", "intruder");
    eq(notMember.ok, false, "a non-member cannot say in r1");
    await sleep(200);
    eq(ga, ["for r1"], "a (in r1) got");
    eq(gb, ["for r2"], "b (in r2) got");
    eq(gc, ["for r1"], "c (in r1) got");
    const shoutsA = [], shoutsB = [], shoutsC = [];
    a.on("shouted", (m) => shoutsA.push(m.text));
    b.on("shouted", (m) => shoutsB.push(m.text));
    c.on("shouted", (m) => shoutsC.push(m.text));
    await a.emitWithAck("shout", "to all but me");
    await c.emitWithAck("leave", "r1");
    await a.emitWithAck("say", "r1", "after c left");
    await sleep(200);
    eq([shoutsA, shoutsB, shoutsC], [[], ["to all but me"], ["to all but me"]],
       "broadcast reaches everyone except the sender");
    eq(gc, ["for r1"], "c got nothing after leaving r1");
    eq(ga, ["for r1", "after c left"], "a still in r1");
  },
  // io.to(["r1","r2"]).emit reaches each socket once; io.except("quiet").emit leaves the room
  // out; a volatile "typing" carries no offset and is not replayed on recovery.
  async multiroom() {
    const [a, b, c, d] = await Promise.all([connect(), connect(), connect(), connect()]);
    const all = [a, b, c, d];
    const said = all.map(collect);
    await a.emitWithAck("join", "r1");
    await a.emitWithAck("join", "r2");
    await b.emitWithAck("join", "r1");
    await c.emitWithAck("join", "r2");
    await c.emitWithAck("join", "quiet");
    await d.emitWithAck("join", "quiet");
    eq((await a.emitWithAck("say", ["r1", "r2"], "both")).ok, true, "a says to [r1, r2]");
    eq((await b.emitWithAck("say", ["r1", "r2"], "no")).ok, false, "b is not in r2: refused");
    await sleep(200);
    eq(said, [["both"], ["both"], ["both"], []], "each member of r1 or r2 got it exactly once");
    const heard = all.map((s) => {
      const h = [];
      s.on("announced", (m) => h.push(m.text));
      return h;
    });
    await a.emitWithAck("announce", "not for quiet", "quiet");
    await sleep(200);
    eq(heard, [["not for quiet"], ["not for quiet"], [], []], "announce except room quiet");
    const typing = all.map((s) => {
      const h = [];
      s.on("typing", (...args) => h.push(args));
      return h;
    });
    await a.emitWithAck("typing", "r1");
    await sleep(200);
    eq(typing.map((t) => t.length), [0, 1, 0, 0], "typing (volatile) reached b only, not a");
    eq(typing[1][0], [{ from: a.id, room: "r1" }], "a volatile event has no offset argument");
    const gone = once(a, "disconnect");
    a.io.engine.close();
    await gone;
    await b.emitWithAck("typing", "r1");
    await b.emitWithAck("say", "r1", "while away");
    await once(a, "connect");
    eq(a.recovered, true, "a recovered");
    await sleep(200);
    eq(said[0], ["both", "while away"], "recovery replayed the logged event");
    eq(typing[0].length, 0, "and not the volatile one");
  },
  // Two namespaces on one Engine.IO session; an unknown one is refused.
  async namespaces() {
    const a = await connect();
    const b = io(`${URL}/news`);
    sockets.push(b);
    await once(b, "connect");
    eq(a.io === b.io && a.io.engine.id === b.io.engine.id, true,
       "'/' and '/news' share one Manager and one Engine.IO session");
    eq(await b.emitWithAck("echo", "in news"), "in news", "ack in /news");
    const heardA = [], heardB = [];
    a.on("announced", (m) => heardA.push(m.text));
    b.on("announced", (m) => heardB.push(m.text));
    await b.emitWithAck("announce", "news only");
    await a.emitWithAck("announce", "main only");
    await sleep(200);
    eq([heardA, heardB], [["main only"], ["news only"]], "announcements stay in their namespace");
    const bad = io(`${URL}/nope`);
    sockets.push(bad);
    const [err] = await once(bad, "connect_error");
    eq(err.message, "Invalid namespace", "unknown namespace refused with CONNECT_ERROR");
  },
  async binary() {
    for (const transports of [["polling"], ["websocket"]]) {
      const s = await connect({ transports });
      const buf = Buffer.from([1, 2, 3, 0, 255]);
      const [r1, r2] = await new Promise((r) =>
        s.emit("echo", buf, { nested: Buffer.from("héllo"), n: 7 }, (...a) => r(a)));
      check(Buffer.isBuffer(r1) && r1.equals(buf),
            `binary argument came back byte for byte over ${transports[0]}`);
      check(Buffer.isBuffer(r2.nested) && r2.nested.toString() === "héllo" && r2.n === 7,
            `nested binary came back over ${transports[0]}`);
      const back = once(s, "echo");
      s.emit("echo", Buffer.alloc(100000, 7));
      const [big] = await back;
      check(Buffer.isBuffer(big) && big.length === 100000 && big[99999] === 7,
            `100000-byte BINARY_EVENT echoed over ${transports[0]}`);
    }
  },
  // A drops (engine closed, no goodbye), B sends 5 messages to their room, A comes back.
  async recovery() {
    for (const transports of [["websocket"], ["polling"]]) {
      const room = `news-${transports[0]}`;
      const a = await connect({ transports, reconnectionDelay: 800, reconnectionDelayMax: 800 });
      const b = await connect({ transports });
      const got = collect(a);
      await a.emitWithAck("join", room);
      await b.emitWithAck("join", room);
      await b.emitWithAck("say", room, "m0");
      await sleep(100);
      eq(got, ["m0"], `a received m0 before the drop (${transports[0]})`);
      const oldId = a.id;
      const gone = once(a, "disconnect");
      a.io.engine.close();
      const [reason] = await gone;
      eq(reason, "forced close", "a's disconnect reason (engine closed, no DISCONNECT packet)");
      for (let i = 1; i <= 5; i++) {
        if (i === 3) await b.emitWithAck("say", room, "m3", Buffer.from([3, 0, 3]));  // binary
        else await b.emitWithAck("say", room, `m${i}`);
      }
      await once(a, "connect");
      eq(a.recovered, true, "a.recovered");
      eq(a.id, oldId, "a got its old id back");
      await sleep(200);
      await b.emitWithAck("say", room, "m6"); // rooms restored: a still receives the room
      await sleep(200);
      eq(got, ["m0", "m1", "m2", "m3+030003", "m4", "m5", "m6"],
         `every missed event exactly once and in order (${transports[0]})`);
      a.disconnect();
      b.disconnect();
    }
  },
  // Server runs with --recovery-window 500; a stays away ~1500 ms.
  async window() {
    const a = await connect({ reconnectionDelay: 1500, reconnectionDelayMax: 1500 });
    const b = await connect();
    const got = collect(a);
    await a.emitWithAck("join", "w");
    await b.emitWithAck("join", "w");
    await b.emitWithAck("say", "w", "before");
    await sleep(100);
    const oldId = a.id;
    const gone = once(a, "disconnect");
    a.io.engine.close();
    await gone;
    await b.emitWithAck("say", "w", "missed");
    await once(a, "connect", 8000);
    eq(a.recovered, false, "recovery refused after the window");
    check(a.id !== oldId, "a new id");
    await sleep(200);
    eq(got, ["before"], "nothing replayed (and no longer in room w)");
  },
  // Server runs with --recovery-capacity 4; 10 events go by while a is away.
  async capacity() {
    const a = await connect({ reconnectionDelay: 800, reconnectionDelayMax: 800 });
    const b = await connect();
    const got = collect(a);
    await a.emitWithAck("join", "c");
    await b.emitWithAck("join", "c");
    await b.emitWithAck("say", "c", "before");
    await sleep(100);
    const oldId = a.id;
    const gone = once(a, "disconnect");
    a.io.engine.close();
    await gone;
    for (let i = 1; i <= 10; i++) await b.emitWithAck("say", "c", `lost${i}`);
    await once(a, "connect", 8000);
    eq(a.recovered, false, "recovery refused: the log no longer holds everything missed");
    check(a.id !== oldId, "a new id");
    await sleep(200);
    eq(got, ["before"], "no partial replay");
  },
};

// Every value must come back as JSON.parse(JSON.stringify(value)): what the wire can carry.
function same(got, v, what) {
  const want = JSON.stringify(JSON.parse(JSON.stringify([v]))[0]);
  if (JSON.stringify(got) !== want) fail(`${what}: sent ${want.slice(0, 120)} got ${JSON.stringify(got).slice(0, 120)}`);
}

scenarios.values = async function values() {
  const vals = hostileValues(300);
  for (const transports of [["websocket"], ["polling"]]) {
    const s = await connect({ transports });
    for (const v of vals) same(await s.emitWithAck("echo", v), v, `echo over ${transports[0]}`);
    const all = await new Promise((r) => s.emit("echo", ...vals.slice(0, 40), (...back) => r(back)));
    same(all, vals.slice(0, 40), `40 arguments at once over ${transports[0]}`);
    check(true, `${vals.length} hostile values echoed intact over ${transports[0]}`);
  }
  // relayed to another client through a room (and the recovery log): strings as they were sent
  const a = await connect({ transports: ["websocket"] });
  const b = await connect({ transports: ["polling"] });
  await a.emitWithAck("join", "v");
  await b.emitWithAck("join", "v");
  const heard = [];
  b.on("said", (m) => heard.push(m.text));
  const strings = vals.filter((v) => typeof v === "string");
  for (const t of strings) await a.emitWithAck("say", "v", t);
  for (let i = 0; i < 100 && heard.length < strings.length; i++) await sleep(50);
  strings.forEach((t, i) => same(heard[i], t, `said #${i} relayed to b`));
  eq(heard.length, strings.length, "every hostile string relayed through a room intact");
};

const run = scenarios[scenario];
if (!run) fail(`unknown scenario (try: ${Object.keys(scenarios).join(" ")})`);
const timer = setTimeout(() => fail("timed out after 40 s"), 40000);
try {
  await run();
} catch (e) {
  fail(e.stack || String(e));
}
clearTimeout(timer);
for (const s of sockets) s.disconnect();
console.log(`PASS ${scenario}`);
process.exit(0);

// labs/07-missed-events/recover.js - Lab 7's Socket.IO clients: the real socket.io-client
// (tests/node_modules) against events_server --demo chat, to watch connection state recovery.
//   node labs/07-missed-events/recover.js replay|overflow COUNT [PORT]
// alice and bob join room "news"; bob says m0; alice's connection drops (her Engine.IO
// session is closed under her, as a network failure would: no DISCONNECT packet); bob says
// m1..mCOUNT while she is away; alice's client reconnects by itself, sending the pid and the
// last offset it saw. Then it prints whether the server recovered her session and what she
// received, in order. replay expects recovery and every missed message exactly once, in order;
// overflow (a server whose log holds fewer than COUNT events) expects recovery refused and
// nothing replayed. Ids change on every run, so they print as <alice>, <pid>...
// Exit status 1 (with the reason) if what happened is not what the lab says.
const { io, names, say, fail, sleep, once } = require("../lab_client.js");

const [scenario, countArg, port = "3000"] = process.argv.slice(2);
const COUNT = Number(countArg);
const URL = `http://127.0.0.1:${port}`;
// Print the Engine.IO packets of alice's new session: sent (>) and received (<), as the text
// of their WebSocket frames; a CONNECT answer names the ids in it first.
function trace(engine) {
  engine.on("packetCreate", (p) => say(`  alice > ${p.type === "message" ? 4 : "?"}${p.data ?? ""}`));
  engine.on("packet", (p) => {
    if (p.type !== "message") return; // the Engine.IO open packet and pings: not the lesson
    const m = /^0(\{.*\})$/.exec(p.data);
    if (m) {
      const { sid, pid } = JSON.parse(m[1]);
      if (sid && !names.has(sid)) names.set(sid, "<alice, new id>");
      if (pid && !names.has(pid)) names.set(pid, "<new pid>");
    }
    say(`  alice < 4${p.data}`);
  });
}

async function main() {
  // Alice reconnects when we say so (after bob's messages), not on a timer: on a slow machine
  // a timer could bring her back in the middle of them.
  const a = io(URL, { transports: ["websocket"], reconnection: false }), b = io(URL, { transports: ["websocket"] });
  await Promise.all([once(a, "connect"), once(b, "connect")]);
  names.set(a.id, "<alice>");
  names.set(b.id, "<bob>");
  const got = [];
  a.on("said", (m, offset) => got.push(`${m.text}@${offset}`));
  await a.emitWithAck("join", "news");
  await b.emitWithAck("join", "news");
  await b.emitWithAck("say", "news", "m0");
  for (let i = 0; i < 100 && got.length === 0; i++) await sleep(50);
  names.set(a._pid, "<pid>");
  say(`alice: in room news as <alice>; received ${JSON.stringify(got)} (text@offset)`);
  say(`alice: remembers pid <pid> and last offset ${a._lastOffset}`);

  const oldId = a.id;
  const gone = once(a, "disconnect");
  a.io.engine.close(); // the transport closes under her: no DISCONNECT packet is sent
  say(`alice: disconnected (${(await gone)[0]})`);
  const before = got.length;
  const back = once(a, "connect");
  for (let i = 1; i <= COUNT; i++) await b.emitWithAck("say", "news", `m${i}`);
  say(`bob: said m1..m${COUNT} in news while alice was away (each acked by the server)`);
  say("alice: reconnects, sending her pid and the last offset she saw");
  const welcomed = once(a, "welcome"); // the server's hello comes after any replay
  a.connect(); // opens a new Engine.IO session at once: trace it from its first packet
  trace(a.io.engine);
  await back;
  await welcomed;
  await sleep(200); // and anything wrongly sent after it
  say(`alice: connected again: recovered=${a.recovered}, same id as before: ${a.id === oldId}`);
  say(`alice: received while away and after: ${JSON.stringify(got.slice(before))}`);
  const want = Array.from({ length: COUNT }, (_, i) => `m${i + 1}`);
  const texts = got.slice(before).map((t) => t.replace(/@.*/, ""));
  if (scenario === "replay") {
    if (!a.recovered || a.id !== oldId) fail("the server did not recover alice's session");
    if (JSON.stringify(texts) !== JSON.stringify(want)) fail(`alice got ${texts}, not ${want}`);
    say(`every missed event exactly once and in order: m1..m${COUNT}`);
  } else {
    if (a.recovered || a.id === oldId) fail("the server recovered alice although its log had overflowed");
    if (texts.length !== 0) fail(`alice got ${texts} replayed: a partial replay`);
    await b.emitWithAck("say", "news", "after");
    await sleep(300);
    if (got.length !== before) fail("alice is still in room news: her rooms were restored");
    say("recovery refused: a new id, no rooms (she no longer hears news), nothing replayed");
  }
  a.disconnect();
  await sleep(200);
  b.disconnect();
  await sleep(200);
}

if (!["replay", "overflow"].includes(scenario) || !(COUNT > 0)) {
  console.error("usage: node recover.js replay|overflow COUNT [PORT]");
  process.exit(2);
}
const timer = setTimeout(() => fail("timed out after 60 s"), 60000);
main().then(() => { clearTimeout(timer); process.exit(0); }, (e) => fail(e.stack || String(e)));

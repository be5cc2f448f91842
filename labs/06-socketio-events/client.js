// labs/06-socketio-events/client.js - Lab 6's clients: the real Socket.IO client (npm
// socket.io-client, installed in tests/node_modules) against events_server --demo chat.
//   node labs/06-socketio-events/client.js upgrade|rooms [PORT]
// upgrade: alice opens a session over HTTP long-polling, connects to "/", and upgrades to a
//          WebSocket; the story is told in a fixed order once both have happened.
// rooms:   alice joins "lobby", bob joins "kitchen"; alice says something in lobby (with an
//          ack); alice, in lobby, hears it, bob must not; then alice opens namespace /news
//          over the same session and announces there.
// Every Engine.IO packet alice sends (>) or receives (<) after the upgrade is printed as the
// text that travels in the WebSocket frame. Ids change from run to run, so they are printed as
// <sid>, <alice>, <bob>... Each step waits for the one before, so the output is always in the
// same order. Exit status 1 (with the reason) if something did not happen as the lab says.
const { io, names, say, fail, sleep, once } = require("../lab_client.js");

const [scenario, port = "3000"] = process.argv.slice(2);
const URL = `http://127.0.0.1:${port}`;
// The names (id -> "<alice>" etc.) also go to ids.txt (id, then name): the lab reads the
// server's log with them.
const fs = require("fs");
names.set = function (id, name) {
  fs.appendFileSync("ids.txt", `${id} ${name}\n`);
  return Map.prototype.set.call(this, id, name);
};
const TYPES = { open: 0, close: 1, ping: 2, pong: 3, message: 4, upgrade: 5, noop: 6 };

// What an Engine.IO packet looks like on the wire: its type digit, then its data.
function wire(p) {
  return typeof p.data === "string" || p.data === undefined ? `${TYPES[p.type]}${p.data ?? ""}`
    : `(binary, ${p.data.byteLength} bytes)`;
}
// Print alice's packets from now on, as `who > text` (sent) and `who < text` (received).
function trace(socket, who) {
  const engine = socket.io.engine;
  engine.on("packetCreate", (p) => say(`  ${who} > ${wire(p)}`));
  engine.on("packet", (p) => {
    // A CONNECT answer (40/news,{"sid":...,"pid":...}) names a new socket: give it a name first.
    const m = typeof p.data === "string" && /^0(\/[^,]*)?,?(\{.*\})$/.exec(p.data);
    if (m) {
      const { sid, pid } = JSON.parse(m[2]);
      if (sid && !names.has(sid)) names.set(sid, `<${who}${m[1] ? "-" + m[1].slice(1) : ""}>`);
      if (pid && !names.has(pid)) names.set(pid, "<pid>");
    }
    say(`  ${who} < ${wire(p)}`);
  });
}

// Alice: polling first, then the upgrade. Resolves once both have happened.
async function alice() {
  const s = io(URL, { transports: ["polling", "websocket"], reconnection: false });
  let first = null;
  const upgraded = new Promise((resolve) => s.io.on("open", () => {
    first = s.io.engine.transport.name;
    names.set(s.io.engine.id, "<sid>");
    s.io.engine.on("upgrade", (t) => resolve(t.name));
  }));
  const welcomed = once(s, "welcome"); // comes in the same batch as the CONNECT answer
  await once(s, "connect");
  const [welcome] = await welcomed;
  names.set(s.id, "<alice>");
  const to = await Promise.race([upgraded, sleep(10000).then(() => null)]);
  if (first !== "polling") fail(`the first transport was ${first}, not polling`);
  if (to !== "websocket") fail("the session was not upgraded to a WebSocket within 10 s");
  say(`alice: Engine.IO session <sid> opened over HTTP long-polling (transport=${first})`);
  say(`alice: connected to namespace "/" as ${s.id}; the server said welcome ${JSON.stringify(welcome)}`);
  say(`alice: session upgraded to ${to}; transport now ${s.io.engine.transport.name}`);
  return s;
}

async function upgrade() {
  const s = await alice();
  trace(s, "alice");
  const echo = await s.emitWithAck("echo", "over the WebSocket now");
  say(`alice: echo acked with ${JSON.stringify(echo)}`);
  s.disconnect();
  await sleep(200);
}

async function rooms() {
  const a = await alice();
  const b = io(URL, { transports: ["websocket"], reconnection: false });
  await once(b, "connect");
  names.set(b.id, "<bob>");
  names.set(b.io.engine.id, "<bob-sid>");
  say("bob: connected to \"/\" as <bob> (straight over a WebSocket)");
  const heard = { alice: [], bob: [] };
  a.on("said", (m, offset) => heard.alice.push([m, offset]));
  b.on("said", (m, offset) => heard.bob.push([m, offset]));
  trace(a, "alice");
  say("alice: emit join lobby, with an ack");
  say(`alice: ack ${JSON.stringify(await a.emitWithAck("join", "lobby"))}`);
  say("bob: emit join kitchen, with an ack");
  say(`bob: ack ${JSON.stringify(await b.emitWithAck("join", "kitchen"))}`);
  say("alice: emit say lobby \"hello, lobby\", with an ack");
  const ack = await a.emitWithAck("say", "lobby", "hello, lobby");
  say(`alice: ack ${JSON.stringify(ack)}`);
  for (let i = 0; i < 100 && heard.alice.length === 0; i++) await sleep(50);
  await sleep(300); // time enough for a wrong delivery to bob to show up
  if (heard.alice.length !== 1) fail(`alice heard "said" ${heard.alice.length} times, not once`);
  say(`alice heard "said": ${JSON.stringify(heard.alice[0][0])} (offset ${heard.alice[0][1]})`);
  say(`bob heard "said" ${heard.bob.length} times (he is in kitchen, not lobby)`);
  if (heard.bob.length !== 0) fail("bob, in another room, received lobby's message");

  say("alice: open namespace /news on the same Manager");
  const n = io(`${URL}/news`, { reconnection: false });
  const newsWelcome = once(n, "welcome");
  await once(n, "connect");
  await newsWelcome;
  say(`alice: connected to "/news" as <alice-news>; same Engine.IO session: ${n.io.engine === a.io.engine}`);
  const inMain = [], inNews = [];
  a.on("announced", (m) => inMain.push(m));
  n.on("announced", (m) => inNews.push(m));
  say("alice: emit announce \"extra edition\" in /news, with an ack");
  say(`alice: ack ${JSON.stringify(await n.emitWithAck("announce", "extra edition"))}`);
  for (let i = 0; i < 100 && inNews.length === 0; i++) await sleep(50);
  await sleep(300);
  say(`alice heard "announced" ${inNews.length} time(s) in /news and ${inMain.length} time(s) in "/"`);
  if (inNews.length !== 1 || inMain.length !== 0) fail("the announcement left its namespace");
  n.disconnect();
  a.disconnect();
  await sleep(200); // one at a time, so the server's log is in the same order on every run
  b.disconnect();
  await sleep(200);
}

const scenarios = { upgrade, rooms };
if (!scenarios[scenario]) {
  console.error("usage: node client.js upgrade|rooms [PORT]");
  process.exit(2);
}
const timer = setTimeout(() => fail("timed out after 60 s"), 60000);
scenarios[scenario]().then(() => { clearTimeout(timer); process.exit(0); },
                            (e) => fail(e.stack || String(e)));

// labs/06-socketio-events/client.js - Lab 6's clients: the real Socket.IO client (npm
// socket.io-client, installed in tests/node_modules) against events_server --demo chat.
//   node labs/06-socketio-events/client.js upgrade|rooms|reserved|offline|retries|silent [PORT]
// upgrade: alice opens a session over HTTP long-polling, connects to "/", and upgrades to a
//          WebSocket; the story is told in a fixed order once both have happened.
// rooms:   alice joins "lobby", bob joins "kitchen"; alice says something in lobby (with an
//          ack); alice, in lobby, hears it, bob must not; then alice opens namespace /news
//          over the same session and announces there.
// reserved, offline, retries, silent: connect_error, the client's send buffer, retries with
//          ackTimeout, and a silent drop noticed by the heartbeat (see each function).
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
// Print alice's packets from now on, as `who > text` (sent) and `who < text` (received);
// sentOnly: only what she sends (what she receives is handled a tick later, so printed
// received packets and sent ones would interleave differently from run to run).
function trace(socket, who, sentOnly = false) {
  const engine = socket.io.engine;
  engine.on("packetCreate", (p) => say(`  ${who} > ${wire(p)}`));
  if (sentOnly) return;
  engine.on("packet", (p) => {
    if (p.type === "open") names.set(JSON.parse(p.data).sid, "<sid>"); // a new session's id
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

// reserved: the library's own events. A CONNECT to a namespace the server does not have is
// refused with CONNECT_ERROR, which the client reports as its reserved event connect_error;
// and an application cannot emit a reserved name itself.
async function reserved() {
  const s = io(`${URL}/nope`, { transports: ["websocket"], reconnection: false });
  trace(s, "alice"); // the engine exists at once; its first packet comes later
  say("alice: io(\"/nope\"): connect to a namespace events_server does not have");
  const [err] = await once(s, "connect_error");
  say(`alice: connect_error: "${err.message}"; socket.active = ${s.active} (a refusal: she does not retry)`);
  try {
    s.emit("disconnect");
    fail("socket.emit(\"disconnect\") was allowed");
  } catch (e) {
    say(`alice: socket.emit("disconnect") throws: ${e.message}`);
  }
  s.io.engine.close();
  await sleep(200);
}

// A Manager option hook: run fn on every new Engine.IO session of socket s (a reconnection
// makes a new one) before it sends anything, so its CONNECT is printed too.
function onEachEngine(s, fn) {
  let engine = s.io.engine;
  Object.defineProperty(s.io, "engine", {
    get: () => engine,
    set: (e) => { engine = e; if (e) fn(); },
    configurable: true,
  });
  if (engine) fn();
}

// offline: the other direction of "missed events". Alice's transport closes under her; while
// she is offline she emits twice; socket.io-client keeps both in its send buffer and sends
// them, in order, as soon as it is connected again. Bob, in the same room, hears both.
async function offline() {
  const b = io(URL, { transports: ["websocket"], reconnection: false });
  await once(b, "connect");
  names.set(b.id, "<bob>");
  await b.emitWithAck("join", "lobby");
  const heard = [];
  b.on("said", (m) => heard.push(m.text));
  const a = io(URL, { transports: ["websocket"], reconnectionDelay: 500, reconnectionDelayMax: 500 });
  await once(a, "connect");
  names.set(a.id, "<alice>");
  names.set(a._pid, "<pid>"); // her private id, sent back when she reconnects
  await a.emitWithAck("join", "lobby");
  say("alice and bob: in room lobby");
  const gone = once(a, "disconnect");
  a.io.engine.close(); // the transport closes under her, as when a network fails
  const [reason] = await gone;
  say(`alice: disconnected (${reason}); connected = ${a.connected}; she reconnects by herself in 0.5 s`);
  a.emit("say", "lobby", "written while offline 1");
  a.emit("say", "lobby", "written while offline 2");
  say(`alice: emit say twice while offline: nothing is sent, socket.sendBuffer holds ${a.sendBuffer.length} packets`);
  onEachEngine(a, () => trace(a, "alice", true));
  await once(a, "connect");
  say(`alice: connected again (recovered = ${a.recovered}); the buffer went out right after the CONNECT answer`);
  for (let i = 0; i < 100 && heard.length < 2; i++) await sleep(50);
  say(`bob heard: ${JSON.stringify(heard)}`);
  if (heard.length !== 2) fail("bob did not hear both buffered messages");
  a.disconnect();
  await sleep(200);
  b.disconnect();
  await sleep(200);
}

// retries: at-least-once from the client. With retries: 2 and ackTimeout: 1000 every emit
// asks for an ack, and is sent again (with a new ack id) when none comes within a second, up
// to 2 more times; then its callback gets an error. events_server has no handler for
// "nobody-listens", so no ack ever comes; "echo" is acked at the first try.
async function retries() {
  const a = io(URL, { transports: ["websocket"], reconnection: false, retries: 2, ackTimeout: 1000 });
  await once(a, "connect");
  names.set(a.id, "<alice>");
  trace(a, "alice");
  say("alice: io(URL, { retries: 2, ackTimeout: 1000 }); emit echo, with an ack");
  const echo = await new Promise((res) => a.emit("echo", "once is enough", (err, v) => res(err || v)));
  say(`alice: echo acked with ${JSON.stringify(echo)}`);
  say("alice: emit nobody-listens (the server has no handler: no ack will come)");
  const t0 = Date.now();
  const err = await new Promise((res) => a.emit("nobody-listens", "hello?", (e) => res(e)));
  const s = ((Date.now() - t0) / 1000).toFixed(1);
  say(`alice: after ${s} s and 3 tries, the callback got: ${err && err.message}`);
  if (!err) fail("the emit without a listener was acknowledged");
  a.disconnect();
  await sleep(200);
}

// silent: a path that dies without a FIN or a RST. nftables (in this lab's own namespace)
// drops every packet to or from the port; neither side's TCP says anything. Engine.IO's
// heartbeat notices: the server's PING gets no PONG (server: "ping timeout"), and no PING
// reaches the client (client: "ping timeout"), both within pingInterval + pingTimeout. The
// server was started with --ping-interval 2000 --ping-timeout 1000 so that it takes seconds.
async function silent() {
  const { execFileSync } = require("child_process");
  // Debian installs nft in /usr/sbin, which an ordinary user's PATH does not have.
  const NFT = fs.existsSync("/usr/sbin/nft") ? "/usr/sbin/nft" : "nft";
  const nft = (...args) => {
    say(`$ nft ${args.map((a) => (/^[\w.:-]+$/.test(a) ? a : `'${a}'`)).join(" ")}`);
    execFileSync(NFT, args);
  };
  const a = io(URL, { transports: ["websocket"], reconnectionDelay: 500, reconnectionDelayMax: 500 });
  await once(a, "connect");
  names.set(a.id, "<alice>");
  names.set(a.io.engine.id, "<sid>");
  names.set(a._pid, "<pid>");
  const e = a.io.engine;
  say(`alice: connected; the OPEN packet said pingInterval ${e._pingInterval}, pingTimeout ${e._pingTimeout}`);
  await once(e, "ping", 10000); // cut just after a heartbeat: the longest wait
  nft("add", "table", "inet", "wirelab_cut");
  nft("add", "chain", "inet", "wirelab_cut", "input", "{ type filter hook input priority 0; }");
  nft("add", "rule", "inet", "wirelab_cut", "input", "tcp", "dport", port, "drop");
  nft("add", "rule", "inet", "wirelab_cut", "input", "tcp", "sport", port, "drop");
  const t0 = Date.now();
  say("alice: the path is cut: no FIN, no RST, nothing arrives either way");
  const [reason] = await once(a, "disconnect", 15000);
  const s = ((Date.now() - t0) / 1000).toFixed(1);
  say(`alice: disconnect (${reason}) ${s} s after the cut; her TCP connection never reported an error`);
  // Wait for the server's own timeout too (its timers tick about once a pingTimeout), while
  // her reconnection attempts go nowhere; then let packets through again.
  await sleep(3000);
  nft("delete", "table", "inet", "wirelab_cut");
  await once(a, "connect", 15000);
  say(`alice: the path is back: connected again, recovered = ${a.recovered}`);
  a.disconnect();
  await sleep(200);
}

const scenarios = { upgrade, rooms, reserved, offline, retries, silent };
if (!scenarios[scenario]) {
  console.error("usage: node client.js upgrade|rooms|reserved|offline|retries|silent [PORT]");
  process.exit(2);
}
const timer = setTimeout(() => fail("timed out after 60 s"), 60000);
scenarios[scenario]().then(() => { clearTimeout(timer); process.exit(0); },
                            (e) => fail(e.stack || String(e)));

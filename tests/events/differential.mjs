// differential.mjs - the same scripted sessions against events_server --demo protocol-suite and
// against Node's own socket.io (npm socket.io, pinned in tests/package.json) set up as the
// official protocol suites' reference server; what the client receives must be the same,
// packet by packet (session ids, which are random, are normalised to <sid> and <pid>).
//
// What it teaches: the strongest evidence that a reimplementation "behaves as socket.io does"
// is socket.io itself, answering the same bytes. Each session is a raw WebSocket (npm ws):
// sends, then how many packets to wait for, or the connection's close. The server's pings
// are answered and left out of the transcript (as the official suite's waitForPackets does),
// except where a session waits for one ("ping"). No timing is compared.
// Run: node differential.mjs EVENTS_SERVER_PORT
import { createServer } from "node:http";
import { Server } from "socket.io";
import WebSocket from "ws";
import { hostileValues } from "./hostile_values.mjs";

const cPort = Number(process.argv[2]);

// ---- the reference: socket.io configured as the socket.io-protocol test suite's server ----
function reference() {
  const io = new Server({ pingInterval: 300, pingTimeout: 200, connectTimeout: 1000,
    maxHttpBufferSize: 1e6, cors: { origin: "*" } });
  for (const name of ["/", "/custom"]) {
    io.of(name).on("connection", (socket) => {
      socket.emit("auth", socket.handshake.auth);
      socket.on("message", (...args) => socket.emit("message-back", ...args));
      socket.on("message-with-ack", (...args) => {
        const ack = args.pop();
        ack(...args);
      });
      socket.on("emit-with-ack", (...args) => {
        socket.emit("emit-with-ack", ...args, (...back) => socket.emit("emit-with-ack", ...back));
      });
    });
  }
  const http = createServer();
  io.attach(http);
  return new Promise((resolve) => http.listen(0, "127.0.0.1", () =>
    resolve({ io, port: http.address().port })));
}

// ---- the sessions: [op, arg] steps ----
const PH = (n) => `{"_placeholder":true,"num":${n}}`;
const CONNECTED = [["send", "40"], ["recv", 2]];
const values = hostileValues(120).map((v) => JSON.stringify(v));
const SESSIONS = {
  "connect main": CONNECTED,
  "connect with auth": [["send", '40{"token":"123","n":0.30000000000000004}'], ["recv", 2]],
  "connect custom": [["send", "40/custom,"], ["recv", 2]],
  "connect custom with auth": [["send", '40/custom,{"token":"abc"}'], ["recv", 2]],
  "unknown namespace": [["send", "40/random"], ["recv", 1]],
  "invalid handshake": [["send", "4abc"], ["close"]],
  "event": [...CONNECTED, ["send", '42["message",1,"2",{"3":[true]}]'], ["recv", 1]],
  "binary event": [...CONNECTED, ["send", `452-["message",1,${PH(0)},${PH(1)}]`],
    ["bin", [1, 2, 3]], ["bin", [4, 5, 6]], ["recv", 3]],
  "event with ack": [...CONNECTED, ["send", '42456["message-with-ack",1,"2",{"3":[false]}]'],
    ["recv", 1]],
  "binary event with ack": [...CONNECTED, ["send", `452-789["message-with-ack",1,${PH(0)},${PH(1)}]`],
    ["bin", [1, 2, 3]], ["bin", [4, 5, 6]], ["recv", 3]],
  // ("ack": answer the ack id of the last packet received, put where {id} is)
  "server emits with an ack request": [...CONNECTED, ["send", '42["emit-with-ack",1,"2",{"3":[true]}]'],
    ["recv", 1], ["ack", '43{id}[1,"2",{"3":[true]}]'], ["recv", 1],
    ["send", '42["emit-with-ack","again"]'], ["recv", 1], ["ack", "43{id}[]"], ["recv", 1]],
  "server emits binary with an ack request": [...CONNECTED,
    ["send", `452-["emit-with-ack",${PH(0)},${PH(1)},"test"]`], ["bin", [1, 2, 3]], ["bin", [4, 5, 6]],
    ["recv", 3], ["ack", `462-{id}[${PH(0)},${PH(1)},"test"]`], ["bin", [1, 2, 3]], ["bin", [4, 5, 6]],
    ["recv", 3]],
  "an ack nobody asked for is ignored": [...CONNECTED, ["send", '43999["x"]'],
    ["send", '42["message","after"]'], ["recv", 1]],
  "custom namespace event": [["send", "40/custom,"], ["recv", 2],
    ["send", '42/custom,["message","x"]'], ["recv", 1]],
  "disconnect main keeps the session": [...CONNECTED, ["send", "41"], ["ping"], ["send", "40"],
    ["recv", 2]],
  "disconnect custom": [...CONNECTED, ["send", "40/custom"], ["recv", 2], ["send", "41/custom"],
    ["send", '42["message","message to main namespace",1,2]'], ["recv", 1],
    ["send", '42/custom,["message","to a namespace left"]'], ["close"]],
  "event for a namespace never joined": [...CONNECTED, ["send", '42/custom,["message"]'], ["close"]],
  "second CONNECT": [...CONNECTED, ["send", "40"], ["close"]],
  "event before CONNECT": [["send", '42["message"]'], ["close"]],
  "no CONNECT at all": [["close"]],
  "values through ack": [...CONNECTED, ...values.flatMap((v, i) => [
    ["send", `42${i}["message-with-ack",${v}]`], ["recv", 1]])],
  "values through an event": [...CONNECTED, ["send", `42["message",${values.join(",")}]`],
    ["recv", 1]],
};
for (const bad of ["42{}", '42abc["message-with-ack",1]', '42["message"', "42[]",
  '42["disconnect"]', "49", "40/custom,[]",
  '42["message",01]', '42["message","\\x"]'])
  SESSIONS[`malformed ${bad}`] = [...CONNECTED, ["send", bad], ["close"]];
SESSIONS["binary placeholder past its attachments, still waiting"] = [...CONNECTED,
  ["send", `451-["message",${PH(3)}]`], ["send", '42["message","text instead of it"]'], ["close"]];
SESSIONS["binary placeholder past its attachments, once they are in"] = [...CONNECTED,
  ["send", `451-["message",${PH(3)}]`], ["bin", [1]], ["close"]];

function normalise(text) {
  return text.replace(/"(sid|pid)":"[^"]*"/g, '"$1":"<$1>"');
}

// Run one session against a server; returns the transcript of what the client received.
function run(port, steps) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    const got = [], inbox = [];
    let closed = false, waiter = null, wantPing = false;
    const wake = () => { if (waiter) waiter(); };
    ws.on("message", (data, isBinary) => {
      const m = isBinary ? `<binary ${Buffer.from(data).toString("hex")}>` : data.toString();
      if (m === "2" && !wantPing) { ws.send("3"); return; }
      inbox.push(m);
      wake();
    });
    ws.on("close", () => { closed = true; wake(); });
    ws.on("error", (e) => { got.push(`<error ${e.message}>`); closed = true; wake(); });
    const until = (cond) => new Promise((res) => {
      const t = setTimeout(() => { waiter = null; res(false); }, 5000); // generous, not asserted
      const check = () => { if (cond()) { clearTimeout(t); waiter = null; res(true); } };
      waiter = check;
      check();
    });
    (async () => {
      await until(() => inbox.length > 0 || closed); // the Engine.IO open packet
      got.push(normalise(inbox.shift() || "<no open packet>"));
      let lastAckId = "";
      for (const [op, arg] of steps) {
        if (op === "send") ws.send(arg);
        else if (op === "ack") ws.send(arg.replace("{id}", lastAckId));
        else if (op === "bin") ws.send(Buffer.from(arg));
        else if (op === "ping") {
          wantPing = true;
          if (!(await until(() => inbox.length > 0))) got.push("<timeout waiting for a ping>");
          else got.push(inbox.shift() === "2" ? "<ping>" : "<not a ping>");
          wantPing = false;
          ws.send("3");
        } else if (op === "recv") {
          if (!(await until(() => inbox.length >= arg || closed))) got.push("<timeout>");
          for (const m of inbox.splice(0, arg)) {
            const id = /^4[25](?:\d+-)?(?:\/[^,]*,)?(\d+)/.exec(m); // an EVENT asking for an ack
            if (id) lastAckId = id[1];
            got.push(normalise(m));
          }
          if (closed) got.push("<closed>");
        } else if (op === "close") {
          got.push((await until(() => closed)) ? "<closed>" : "<still open>");
          got.push(...inbox.splice(0).map(normalise));
        }
      }
      ws.terminate();
      resolve(got);
    })();
  });
}

// ---- Engine.IO packets from the client, on a WebSocket ----
Object.assign(SESSIONS, {
  "client ping (only servers ping in EIO 4)": [["send", "2"], ["close"]],
  "client close": [["send", "1"], ["close"]],
  "noop, then CONNECT": [["send", "6"], ...CONNECTED],
  "upgrade packet outside an upgrade": [["send", "5"], ...CONNECTED],
  "open packet from the client": [["send", "0"], ["close"]],
  "unknown Engine.IO type": [["send", "9"], ["close"]],
  "empty message": [["send", ""], ["close"]],
});

// ---- HTTP: status, content type and body of each request (polling and the error codes) ----
const HTTP = [
  ["GET", "EIO=4&transport=polling"], ["GET", "transport=polling"],
  ["GET", "EIO=abc&transport=polling"], ["GET", "EIO=3&transport=polling"], ["GET", "EIO=4"],
  ["GET", "EIO=4&transport=abc"], ["POST", "EIO=4&transport=polling", "40"],
  ["PUT", "EIO=4&transport=polling", "40"], ["GET", "EIO=4&transport=polling&sid=nosuch"],
  ["POST", "EIO=3&transport=polling", "40"], ["GET", "EIO=3&transport=polling&sid=nosuch"],
  ["GET", "EIO=4&transport=websocket"], ["POST", "EIO=4&transport=polling&sid=nosuch", "40"],
];
async function http(port, [method, query, body]) {
  const r = await fetch(`http://127.0.0.1:${port}/socket.io/?${query}`, { method, body });
  return `${method} ?${query}: ${r.status} ${r.headers.get("content-type")} ` +
    normalise(await r.text());
}
async function pollingSession(port) { // handshake, CONNECT by POST, the answer by GET, bad POST
  const url = (sid) => `http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ""}`;
  const out = [];
  const open = await (await fetch(url())).text();
  const sid = JSON.parse(open.slice(1)).sid;
  out.push(normalise(open));
  for (const [method, body] of [["POST", "40"], ["GET"], ["POST", '42["message",0.1]\x1e42["message",2]'],
    ["GET"], ["POST", "abc"], ["GET"]]) {
    const r = await fetch(url(sid), { method, body });
    out.push(`${method}: ${r.status} ${r.headers.get("content-type")} ${normalise(await r.text())}`);
  }
  return out;
}

// A raw WebSocket whose messages queue up: next() is the next one (pings answered), or
// "<closed>" once the server closed it.
function wsQueue(url) {
  const ws = new WebSocket(url), inbox = [];
  let closed = false, wake = () => {};
  ws.on("message", (d, bin) => {
    const m = bin ? `<binary ${Buffer.from(d).toString("hex")}>` : d.toString();
    if (m === "2") ws.send("3");
    else { inbox.push(m); wake(); }
  });
  ws.on("close", () => { closed = true; wake(); });
  ws.on("error", () => { closed = true; wake(); });
  const next = () => new Promise((res) => {
    const t = setTimeout(() => res("<timeout>"), 5000);
    const check = () => {
      if (inbox.length) { clearTimeout(t); res(normalise(inbox.shift())); }
      else if (closed) { clearTimeout(t); res("<closed>"); }
    };
    wake = check;
    check();
  });
  return { ws, next, opened: new Promise((r) => { ws.on("open", () => r("<open>")); ws.on("close", () => r("<closed>")); }) };
}
const base = (port) => `127.0.0.1:${port}/socket.io/?EIO=4`;
async function answer(r) {
  r = await r;
  return `${r.status} ${normalise(await r.text())}`;
}
async function upgradeSession(port) { // polling, probe, upgrade; then a second WebSocket
  const poll = `http://${base(port)}&transport=polling`;
  const sid = JSON.parse((await (await fetch(poll)).text()).slice(1)).sid;
  const out = [];
  const held = fetch(`${poll}&sid=${sid}`);
  const w = wsQueue(`ws://${base(port)}&transport=websocket&sid=${sid}`);
  out.push(await w.opened);
  w.ws.send("2probe");
  out.push(await w.next(), `held GET: ${await answer(held)}`);
  w.ws.send("5");
  w.ws.send("40");
  out.push(await w.next(), await w.next());
  const second = wsQueue(`ws://${base(port)}&transport=websocket&sid=${sid}`);
  out.push(`second: ${await second.opened} ${await second.next()}`);
  out.push(`polling after the upgrade: ${await answer(fetch(`${poll}&sid=${sid}`))}`);
  w.ws.send('42["message","still here"]');
  out.push(await w.next());
  w.ws.terminate();
  return out;
}
async function closeSession(port) { // a held GET, then the client's close packet by POST
  const poll = `http://${base(port)}&transport=polling`;
  const sid = JSON.parse((await (await fetch(poll)).text()).slice(1)).sid;
  const held = fetch(`${poll}&sid=${sid}`);
  await new Promise((r) => setTimeout(r, 100)); // let the GET arrive first (not asserted)
  const post = await answer(fetch(`${poll}&sid=${sid}`, { method: "POST", body: "1" }));
  return [`POST 1: ${post}`, `held GET: ${await answer(held)}`,
    `GET after: ${await answer(fetch(`${poll}&sid=${sid}`))}`];
}
async function duplicateGet(port) { // two GETs at once: the second is refused, the first closed
  const poll = `http://${base(port)}&transport=polling`;
  const sid = JSON.parse((await (await fetch(poll)).text()).slice(1)).sid;
  const held = fetch(`${poll}&sid=${sid}`);
  await new Promise((r) => setTimeout(r, 100));
  const second = await answer(fetch(`${poll}&sid=${sid}`));
  return [`second GET: ${second}`, `first GET: ${await answer(held)}`,
    `GET after: ${await answer(fetch(`${poll}&sid=${sid}`))}`];
}

const { io, port: refPort } = await reference();
let differences = 0;
for (const [name, steps] of Object.entries(SESSIONS)) {
  const [ours, theirs] = await Promise.all([run(cPort, steps), run(refPort, steps)]);
  const n = Math.max(ours.length, theirs.length);
  let same = true;
  for (let i = 0; i < n; i++) {
    if (ours[i] === theirs[i]) continue;
    if (same) console.log(`DIFFERENT: ${name}`);
    same = false;
    console.log(`  packet ${i}: socket.io sent  ${String(theirs[i]).slice(0, 150)}`);
    console.log(`  packet ${i}: events_server  ${String(ours[i]).slice(0, 150)}`);
  }
  if (process.env.SHOW === name) console.log(ours.join("\n")); // SHOW="session name": its packets
  if (same) console.log(`  same: ${name} (${n} packets)`);
  else differences++;
}
const httpCases = HTTP.map((req) => [req.join(" "), (port) => http(port, req).then((l) => [l])]);
httpCases.push(["a polling session", pollingSession], ["the upgrade", upgradeSession],
  ["close by POST", closeSession], ["two GETs at once", duplicateGet]);
for (const [name, runOn] of httpCases) {
  const [ours, theirs] = await Promise.all([runOn(cPort), runOn(refPort)]);
  const same = JSON.stringify(ours) === JSON.stringify(theirs);
  if (same) console.log(`  same: HTTP ${name}`);
  else {
    differences++;
    console.log(`DIFFERENT: HTTP ${name}\n  socket.io:     ${theirs.join("\n                 ")}` +
      `\n  events_server: ${ours.join("\n                 ")}`);
  }
}
io.close();
console.log(`${Object.keys(SESSIONS).length + httpCases.length} sessions, ${differences} different`);
process.exit(differences ? 1 : 0);

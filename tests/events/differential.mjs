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
import { createServer, get as httpGet } from "node:http";
import { connect } from "node:net";
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
    let closed = false, waiter = null, wantPing = false, closeCode = 0;
    const wake = () => { if (waiter) waiter(); };
    ws.on("message", (data, isBinary) => {
      const m = isBinary ? `<binary ${Buffer.from(data).toString("hex")}>` : data.toString();
      if (m === "2" && !wantPing) { ws.send("3"); return; }
      inbox.push(m);
      wake();
    });
    ws.on("close", (code) => { closeCode = code; closed = true; wake(); });
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
          if (closed) got.push(`<closed ${closeCode}>`);
        } else if (op === "close") {
          got.push((await until(() => closed)) ? `<closed ${closeCode}>` : "<still open>");
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
  "open packet from the client (ignored)": [["send", "0"], ...CONNECTED],
  "unknown Engine.IO type": [["send", "9"], ["close"]],
  "empty message": [["send", ""], ["close"]],
  "probe outside an upgrade (a ping from the client)": [["send", "2probe"], ["close"]],
  "a pong nobody asked for": [["send", "3"], ...CONNECTED],
  "binary before CONNECT": [["bin", [1, 2]], ["close"]],
  "message without a Socket.IO packet": [["send", "4"], ["close"]],
});
// ---- socket.io-parser's edge cases (4.2.7, what socket.io 4.8.4 installs) ----
// Left out on purpose, where we differ (events/README.md, "Where we differ"): an ack id over
// 2^53 - 1 (socket.io rounds it to a double and acks another id; we close), an attachment
// count written "+1" or "1.0" (JavaScript's Number() accepts them; we want digits), whitespace
// after the header (socket.io-parser takes it for ack id 0, as Number(" ") is 0; we read it as
// JSON whitespace), and JSON text no JSON.stringify writes (socket.io rewrites 1e2 as 100; we
// pass the text on as it came).
Object.assign(SESSIONS, {
  "event named by a number": [...CONNECTED, ["send", '42[1,"x"]'], ["send", '42["message","after"]'], ["recv", 1]],
  "event named by a number, with an ack id": [...CONNECTED, ["send", '427[1,"x"]'], ["send", '42["message","after"]'], ["recv", 1]],
  "ack id with leading zeros": [...CONNECTED, ["send", '42007["message-with-ack",1]'], ["recv", 1]],
  "ack id 2^53 - 1": [...CONNECTED, ["send", '429007199254740991["message-with-ack",1]'], ["recv", 1]],
  "ack without an id": [...CONNECTED, ["send", '43[1]'], ["send", '42["message","after"]'], ["recv", 1]],
  "ack that is no array": [...CONNECTED, ["send", '430"x"'], ["close"]],
  "CONNECT_ERROR from the client, before CONNECT": [["send", '44{"message":"x"}'], ["close"]],
  "CONNECT_ERROR from the client, connected": [...CONNECTED, ["send", '44{"message":"x"}'], ["close"]],
  "DISCONNECT with a payload": [...CONNECTED, ["send", '41{}'], ["close"]],
  "DISCONNECT for a namespace never joined": [...CONNECTED, ["send", '41/custom,'], ["close"]],
  "CONNECT with a string auth": [["send", '40"abc"'], ["close"]],
  "CONNECT with null auth": [["send", '40null'], ["close"]],
  "namespace with a query": [["send", "40/custom?x=1,"], ["recv", 1]],
  "namespace without a comma before the data": [...CONNECTED, ["send", '42/custom["x"]'], ["close"]],
  "binary event with no attachment count": [...CONNECTED, ["send", '45-["message",1]'], ["close"]],
  "binary event with 0 attachments": [...CONNECTED, ["send", '450-["message",1]'], ["close"]],
  "binary event with 10 attachments": [...CONNECTED,
    ["send", `4510-["message",${Array.from({ length: 10 }, (_, i) => PH(i)).join(",")}]`],
    ...Array.from({ length: 10 }, (_, i) => ["bin", [i]]), ["recv", 11]],
  "binary event with 11 attachments": [...CONNECTED,
    ["send", `4511-["message",${Array.from({ length: 11 }, (_, i) => PH(i)).join(",")}]`], ["close"]],
  "binary ack nobody waits for": [...CONNECTED, ["send", `461-5[${PH(0)}]`], ["bin", [1]],
    ["send", '42["message","after"]'], ["recv", 1]],
  "an object as event name": [...CONNECTED, ["send", '42[{"a":1}]'], ["close"]],
  "reserved name with an ack id": [...CONNECTED, ["send", '421["connect"]'], ["close"]],
  "newListener is reserved too": [...CONNECTED, ["send", '42["newListener"]'], ["close"]],
});
// ---- HTTP: status, content type and body of each request (polling and the error codes) ----
const HTTP = [
  ["GET", "EIO=4&transport=polling"], ["GET", "transport=polling"],
  ["GET", "EIO=abc&transport=polling"], ["GET", "EIO=3&transport=polling"], ["GET", "EIO=4"],
  ["GET", "EIO=4&transport=abc"], ["POST", "EIO=4&transport=polling", "40"],
  ["PUT", "EIO=4&transport=polling", "40"], ["GET", "EIO=4&transport=polling&sid=nosuch"],
  ["POST", "EIO=3&transport=polling", "40"], ["GET", "EIO=3&transport=polling&sid=nosuch"],
  ["GET", "EIO=4&transport=websocket"], ["POST", "EIO=4&transport=polling&sid=nosuch", "40"],
  ["GET", "EIO=4&transport=websocket&sid=nosuch"], ["POST", "EIO=4&transport=websocket", "40"],
  ["GET", "EIO=4&transport=polling&sid="],
];
// A handshake on a connection of its own: fetch keeps connections alive, and events_server
// refuses the 17th handshake on one connection (--max-handshakes). Returns the open packet.
function openPacket(url) {
  return new Promise((resolve, reject) => httpGet(url, { agent: false }, (res) => {
    let body = "";
    res.setEncoding("latin1");
    res.on("data", (d) => { body += d; });
    res.on("end", () => resolve(body));
  }).on("error", reject));
}
async function http(port, [method, query, body]) {
  const r = await fetch(`http://127.0.0.1:${port}/socket.io/?${query}`, { method, body });
  return `${method} ?${query}: ${r.status} ${r.headers.get("content-type")} ` +
    normalise(await r.text());
}
async function pollingSession(port) { // handshake, CONNECT by POST, the answer by GET, bad POST
  const url = (sid) => `http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ""}`;
  const out = [];
  const open = await openPacket(url());
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
  let closed = false, wake = () => {}, code = 0;
  ws.on("message", (d, bin) => {
    const m = bin ? `<binary ${Buffer.from(d).toString("hex")}>` : d.toString();
    if (m === "2") ws.send("3");
    else { inbox.push(m); wake(); }
  });
  ws.on("close", (c) => { code = c; closed = true; wake(); });
  ws.on("error", () => { closed = true; wake(); });
  const next = () => new Promise((res) => {
    const t = setTimeout(() => res("<timeout>"), 5000);
    const check = () => {
      if (inbox.length) { clearTimeout(t); res(normalise(inbox.shift())); }
      else if (closed) { clearTimeout(t); res(`<closed ${code}>`); }
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
  const sid = JSON.parse((await openPacket(poll)).slice(1)).sid;
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
  const sid = JSON.parse((await openPacket(poll)).slice(1)).sid;
  const held = fetch(`${poll}&sid=${sid}`);
  await new Promise((r) => setTimeout(r, 100)); // let the GET arrive first (not asserted)
  const post = await answer(fetch(`${poll}&sid=${sid}`, { method: "POST", body: "1" }));
  return [`POST 1: ${post}`, `held GET: ${await answer(held)}`,
    `GET after: ${await answer(fetch(`${poll}&sid=${sid}`))}`];
}
async function duplicateGet(port) { // two GETs at once: the second is refused, the first closed
  const poll = `http://${base(port)}&transport=polling`;
  const sid = JSON.parse((await openPacket(poll)).slice(1)).sid;
  const held = fetch(`${poll}&sid=${sid}`);
  await new Promise((r) => setTimeout(r, 100));
  const second = await answer(fetch(`${poll}&sid=${sid}`));
  return [`second GET: ${second}`, `first GET: ${await answer(held)}`,
    `GET after: ${await answer(fetch(`${poll}&sid=${sid}`))}`];
}

// ---- raw HTTP: the status line, the headers a client acts on, and the body ----
const SHOWN = /^(content-type|access-control-[a-z-]*|vary|cache-control|upgrade|sec-websocket-accept|x-[a-z-]*|set-cookie|allow|retry-after)$/;
function unchunk(b) { // a chunked body's data (Node's answers without Content-Length)
  const out = [];
  for (let i = 0; i < b.length;) {
    const eol = b.indexOf("\r\n", i);
    const n = parseInt(b.subarray(i, eol).toString(), 16);
    if (!(n > 0)) break;
    out.push(b.subarray(eol + 2, eol + 2 + n));
    i = eol + 2 + n + 2;
  }
  return Buffer.concat(out);
}
function rawHttp(port, text) { // text: the request, {host} for the host
  return new Promise((resolve) => {
    const sock = connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0), done = false;
    const finish = (why) => {
      if (done) return;
      done = true;
      sock.destroy();
      const at = buf.indexOf("\r\n\r\n");
      const head = (at < 0 ? buf : buf.subarray(0, at)).toString("latin1").split("\r\n");
      let body = at < 0 ? Buffer.alloc(0) : buf.subarray(at + 4);
      if (/\r\ntransfer-encoding: *chunked/i.test(head.join("\r\n") + "\r\n")) body = unchunk(body);
      const hdrs = head.slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()])
        .filter(([k]) => SHOWN.test(k)).map(([k, v]) => `${k}: ${v}`).sort();
      const status = (head[0] || "").split(" ").slice(0, 2).join(" ");
      const shown = /^HTTP\/1.1 101/.test(status) ? body.toString("hex") : body.toString("latin1");
      resolve([status, ...hdrs, `body ${normalise(shown)}`, ...(why ? [why] : [])]);
    };
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      const at = buf.indexOf("\r\n\r\n");
      if (at < 0) return;
      const len = /\r\ncontent-length: *(\d+)/i.exec(buf.subarray(0, at).toString("latin1"));
      if (len && buf.length >= at + 4 + Number(len[1])) finish("");
      if (/^HTTP\/1.1 101/.test(buf.toString("latin1")) && buf.indexOf(Buffer.from([0x88]), at) > 0)
        finish("<101, then a close frame>");
    });
    sock.on("end", () => finish("")); // answered: by Content-Length or by the close, alike
    sock.on("error", () => finish(buf.length ? "" : "<error>")); // (a reset after the answer)
    setTimeout(() => finish("<timeout>"), 3000);
    // Connection: close, so that each server ends the connection after its answer
    sock.write(text.replaceAll("{host}", `127.0.0.1:${port}\r\nConnection: close`));
  });
}
// Left out on purpose (events/README.md, "Where we differ"): an upgrade with an EIO other than
// 4 (engine.io answers 101, then writes an HTTP 400 into the WebSocket; we answer the 400),
// Sec-WebSocket-Version 8 (ws takes it; we speak RFC 6455's 13 only) and ws's wording for a
// bad key, a control character in the head (Node's HTTP parser: a bare 400; ours says which), a
// POST over maxPayload (engine.io reads the body up to the limit and mostly resets
// the connection before its 413 leaves; we answer 413 at the head; protocol_suite checks that
// the session ends), and two POSTs at once (engine.io refuses the second and ends the session;
// we read each POST whole before looking at it).
const UPGRADE = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
const RAW = {
  "handshake headers": "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {host}\r\n\r\n",
  "handshake with an Origin": "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {host}\r\nOrigin: http://a.example\r\n\r\n",
  "CORS preflight": "OPTIONS /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {host}\r\nOrigin: http://a.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n",
  "OPTIONS without preflight headers": "OPTIONS /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {host}\r\n\r\n",
  "HEAD handshake": "HEAD /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {host}\r\n\r\n",
  "WebSocket, unknown sid": `GET /socket.io/?EIO=4&transport=websocket&sid=nosuch HTTP/1.1\r\nHost: {host}\r\n${UPGRADE}\r\n`,
  "WebSocket, bad transport": `GET /socket.io/?EIO=4&transport=abc HTTP/1.1\r\nHost: {host}\r\n${UPGRADE}\r\n`,
  "WebSocket upgrade with transport=polling": `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {host}\r\n${UPGRADE}\r\n`,
};
// requests on a live polling session ({sid} filled in)
const ON_SESSION = {
  "PUT with a sid": "PUT /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2\r\n\r\n40",
  "POST as application/octet-stream": "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/octet-stream\r\nContent-Length: 2\r\n\r\n40",
  "GET with transport=websocket, no Upgrade": "GET /socket.io/?EIO=4&transport=websocket&sid={sid} HTTP/1.1\r\nHost: {host}\r\n\r\n",
  "GET with EIO=3": "GET /socket.io/?EIO=3&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\n\r\n",
  "POST with EIO=3": "POST /socket.io/?EIO=3&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2\r\n\r\n40",
  "POST of a client ping": "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1\r\n\r\n2",
  "POST of an upgrade packet": "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1\r\n\r\n5",
  "POST of a noop, then a CONNECT": "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\n\r\n6\x1e40",
  "POST of an open packet": "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1\r\n\r\n0",
  "POST of a close packet among others": "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 7\r\n\r\n40\x1e1\x1e40",
  // the server closes (socket.io: a packet it cannot parse) with no GET held: that GET gets
  // the close packet, after a noop (engine.io's polling doClose, shouldClose)
  "POST of a malformed Socket.IO packet": "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\n\r\n4abc",
  "POST of an empty body": "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n",
  "WebSocket upgrade with transport=polling and the sid": `GET /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {host}\r\n${UPGRADE}\r\n`,
};
async function onSession(port, req) { // the request, then what a GET gets after it
  const poll = `http://${base(port)}&transport=polling`;
  const sid = JSON.parse((await openPacket(poll)).slice(1)).sid;
  const out = await rawHttp(port, req.replaceAll("{sid}", sid));
  const after = await rawHttp(port, `GET /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: {host}\r\n\r\n`);
  return [...out, "then GET:", ...after];
}

const { io, port: refPort } = await reference();
let differences = 0;
const only = new RegExp(process.env.ONLY || ""); // ONLY=regex: just the sessions it matches
// Each session runs against both servers at once; one that differs runs a second time, and
// only a second difference counts: on a loaded machine a request can come after pingInterval +
// pingTimeout (500 ms here), and then both servers have closed the session, but not always both.
async function twice(runOn, same) {
  let r = await runOn();
  if (!same(r)) r = await runOn();
  return r;
}
for (const [name, steps] of Object.entries(SESSIONS).filter(([n]) => only.test(n))) {
  const [ours, theirs] = await twice(() => Promise.all([run(cPort, steps), run(refPort, steps)]),
    ([a, b]) => JSON.stringify(a) === JSON.stringify(b));
  const n = Math.max(ours.length, theirs.length);
  let same = true;
  for (let i = 0; i < n; i++) {
    if (ours[i] === theirs[i]) continue;
    if (same) console.log(`DIFFERENT: ${name}`);
    same = false;
    console.log(`  packet ${i}: socket.io sent  ${String(theirs[i]).slice(0, 150)}`);
    console.log(`  packet ${i}: events_server  ${String(ours[i]).slice(0, 150)}`);
  }
  if (process.env.SHOW === name) // SHOW="session name": its packets from both servers
    console.log(`events_server:\n${ours.join("\n")}\nsocket.io:\n${theirs.join("\n")}`);
  if (same) console.log(`  same: ${name} (${n} packets)`);
  else differences++;
}
const httpCases = HTTP.map((req) => [req.join(" "), (port) => http(port, req).then((l) => [l])]);
for (const [name, req] of Object.entries(RAW)) httpCases.push([name, (port) => rawHttp(port, req)]);
for (const [name, req] of Object.entries(ON_SESSION)) httpCases.push([name, (port) => onSession(port, req)]);
httpCases.push(["a polling session", pollingSession], ["the upgrade", upgradeSession],
  ["close by POST", closeSession], ["two GETs at once", duplicateGet]);
for (const [name, runOn] of httpCases.filter(([n]) => only.test(`HTTP ${n}`))) {
  const [ours, theirs] = await twice(() => Promise.all([runOn(cPort), runOn(refPort)]),
    ([a, b]) => JSON.stringify(a) === JSON.stringify(b));
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

// cluster_client.mjs - socket.io-client clients on both servers of a cluster (events_server
// --adapter redis:// or redis-streams:// and tests/events/cluster_node.mjs, one Redis),
// checking that the two implementations are one chat. Run by tests/events/cluster.sh:
//   node cluster_client.mjs interop|heal|interop-streams|recovery|heal-streams \
//        C_PORT NODE_PORT REDIS_PORT REDIS_PIDFILE        (env C2_PORT: a second events_server)
// Each check prints what it saw; the first failure prints what was expected and exits 1.
// Absence ("X did not get it") is checked with a marker, never a timer: after the event under
// test, the sender's server broadcasts a marker to everyone on the same Redis connection, so
// when a client has the marker it would already have had the event.
import { io } from "socket.io-client";
import { spawn } from "node:child_process";
import { openSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { createClient } from "redis";

const [scenario, cPort, nPort, redisPort, redisPidfile] = process.argv.slice(2);
const c2Port = Number(process.env.C2_PORT) || 0; // 0: no second events_server
const sockets = [];

function fail(msg) {
  console.error(`FAIL ${scenario}: ${msg}`);
  process.exit(1);
}
function eq(got, want, what) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) fail(`${what}: expected ${w} but got ${g}`);
  console.log(`  ok: ${what} = ${g}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function client(port, name, nsp = "/") {
  const s = io(`http://127.0.0.1:${port}${nsp}`, { transports: ["websocket"], reconnection: false });
  s.said = []; // every "said" with its arguments, in order (recovery checks them exactly)
  s.on("said", (...a) => s.said.push(a));
  s.label = name;
  s.got = [];
  for (const ev of ["said", "shouted", "announced"])
    s.on(ev, (m) => s.got.push(`${ev}:${m.text}`));
  s.on("question", (x, cb) => cb(`${name}:${x}`)); // a broadcast with acks asks every client
  sockets.push(s);
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${name} did not connect`)), 10000);
    s.once("connect", () => { clearTimeout(t); resolve(); });
  }).catch((e) => fail(e.message));
  return s;
}

// Wait (bounded: a deadline against hanging, not an assertion on time) until s got `what`.
async function waitFor(s, what, ms = 10000) {
  for (let t = 0; t < ms; t += 20) {
    if (s.got.includes(what)) return;
    await sleep(20);
  }
  fail(`${s.label} never got ${what}; it got ${JSON.stringify(s.got)}`);
}

// Send `ev(...args)` from s, then a marker to everyone; then each of `yes` has the event and
// each of `no` has the marker but not the event.
let markers = 0;
async function deliveredTo(s, ev, args, want, yes, no, what) {
  const ack = await s.timeout(10000).emitWithAck(ev, ...args).catch((e) => fail(`${what}: ${e.message}`));
  if (!ack.ok) fail(`${what}: the server refused ${ev}: ${JSON.stringify(ack)}`);
  const marker = `marker-${++markers}`;
  await s.timeout(10000).emitWithAck("announce", marker);
  for (const r of [...yes, ...no]) await waitFor(r, `announced:${marker}`);
  for (const r of yes) await waitFor(r, want);
  for (const r of no)
    if (r.got.includes(want)) fail(`${what}: ${r.label} got ${want} but must not`);
  console.log(`  ok: ${what}: ${yes.map((r) => r.label).join(", ")} got it` +
              (no.length ? `; ${no.map((r) => r.label).join(", ")} did not` : ""));
}

async function ask(s, ev, ...args) {
  return s.timeout(15000).emitWithAck(ev, ...args).catch((e) => fail(`${s.label} ${ev}: ${e.message}`));
}

// Fetch room `room` from s until its members' ids are `want` (remote joins are applied when
// each server hears the request: later than the ack). Bounded.
async function members(s, room, want, what) {
  let got;
  for (let i = 0; i < 100; i++) {
    const r = await ask(s, "cluster-fetch", room);
    if (!r.ok) fail(`${what}: fetchSockets did not complete: ${JSON.stringify(r)}`);
    got = r.sockets.map((x) => x.id).sort();
    if (JSON.stringify(got) === JSON.stringify([...want].sort())) {
      console.log(`  ok: ${what}: ${got.length} sockets`);
      return r.sockets;
    }
    await sleep(50);
  }
  fail(`${what}: expected ${JSON.stringify([...want].sort())} but got ${JSON.stringify(got)}`);
}

function disconnected(s) {
  return new Promise((resolve) => {
    if (!s.connected) return resolve("already");
    s.once("disconnect", (reason) => resolve(reason));
  });
}

// Redis as the test's own client sees it.
async function redisClient() {
  const r = createClient({ url: `redis://127.0.0.1:${redisPort}` });
  r.on("error", () => {});
  await r.connect();
  return r;
}

// A socket on port `from` in room `room` drops (its transport closes, as a network failure),
// `senders` say in the room while it is away, and it comes back to port `to` with its pid and
// offset: same id, recovered, every missed "said" once and in order, still in its room.
async function recoverAcross(from, to, label, senders, helper, drop = (x) => x.io.engine.close()) {
  const x = await client(from, label);
  await ask(x, "join", "rec");
  await ask(senders[0], "say", "rec", `${label}-before`);
  await waitFor(x, `said:${label}-before`);
  const id = x.id, lastSeen = x.said.length;
  const gone = disconnected(x);
  x.io.uri = `http://127.0.0.1:${to}`; // its next connection goes to the other server
  drop(x);
  console.log(`  ${label} dropped (${await gone}): its transport closed, as a network failure`);
  for (let i = 0; i < 100; i++) { // the server saw it go (and saved its session first)
    const r = await ask(helper, "cluster-fetch", "rec");
    if (!r.sockets.some((s) => s.id === id)) break;
    if (i === 99) fail(`${label} never left the cluster's room`);
    await sleep(50);
  }
  const values = ["é\u0000\ud83d\ude00 \\ \"", "0.30000000000000004"];
  const sent = [], binaries = new Map();
  for (let i = 0; i < 6; i++) {
    const text = `${label}-missed-${i}${i < values.length ? values[i] : ""}`;
    const sender = senders[i % senders.length];
    const bytes = Buffer.from([0, 1, 254, 255, i]); // events_server's say takes bytes too
    if (sender.label === "C-sender" && i >= 2) await ask(sender, "say", "rec", text, bytes);
    else await ask(sender, "say", "rec", text);
    if (sender.label === "C-sender" && i >= 2) binaries.set(text, bytes);
    for (const r of senders) await waitFor(r, `said:${text}`); // in the stream: the order is set
    sent.push(text);
    await ask(senders[i % senders.length], "say", "elsewhere", `${text}-elsewhere`); // not its room
  }
  x.connect();
  await new Promise((resolve) => x.once("connect", resolve));
  eq([x.id === id, x.recovered], [true, true], `${label} came back with its id, recovered`);
  const marker = `${label}-after`;
  await ask(senders[0], "say", "rec", marker); // also proves it is in room rec again
  await waitFor(x, `said:${marker}`);
  const missed = x.said.slice(lastSeen).map((a) => a[0].text);
  eq(missed, [...sent, marker], `${label}: the missed events once, in order, then the live one`);
  for (const a of x.said.slice(lastSeen)) { // binaries crossed the stream as MessagePack
    const want = binaries.get(a[0].text);
    if (want && !(Buffer.isBuffer(a[0].data) && want.equals(a[0].data)))
      fail(`${label}: "${a[0].text}" came with data ${JSON.stringify(a[0].data)}, not ${want.toString("hex")}`);
  }
  if (binaries.size) console.log(`  ok: ${label}: ${binaries.size} binary arguments replayed byte for byte`);
  const offsets = x.said.slice(lastSeen).map((a) => a[a.length - 1]);
  for (const o of offsets) if (!/^[0-9]+-[0-9]+$/.test(o)) fail(`${label}: offset ${o} is no stream id`);
  return x;
}

const scenarios = {
  async recovery() {
    if (!c2Port) fail("C2_PORT (a second events_server) is not set");
    const cs = await client(cPort, "C-sender"), ns = await client(nPort, "N-sender");
    for (const s of [cs, ns]) for (const room of ["rec", "elsewhere"]) await ask(s, "join", room);
    console.log("events_server -> Node.js: a client drops from C and recovers on Node");
    (await recoverAcross(cPort, nPort, "C-to-N", [cs, ns], ns)).disconnect();
    console.log("Node.js -> events_server: a client drops from Node and recovers on C");
    (await recoverAcross(nPort, cPort, "N-to-C", [ns, cs], cs)).disconnect();
    console.log("events_server -> events_server: from one C server to another");
    (await recoverAcross(cPort, c2Port, "C-to-C", [cs, ns], cs)).disconnect();
    console.log("a session is used once: the same pid again connects as new");
    const x = await recoverAcross(c2Port, c2Port, "C2-to-C2", [cs, ns], cs);
    const pid = x._pid, offset = x._lastOffset;
    const y = io(`http://127.0.0.1:${nPort}`, { transports: ["websocket"], reconnection: false,
                                              auth: { pid, offset } });
    await new Promise((resolve) => y.once("connect", resolve));
    eq([y.id === x.id, y.recovered], [false, false], "a second client with the same pid (not dropped): new");
    y.disconnect();
    x.disconnect();
    console.log("a stale offset (trimmed or unknown) connects as new, never a partial replay");
    const z = io(`http://127.0.0.1:${cPort}`, { transports: ["websocket"], reconnection: false,
                                              auth: { pid: "nope", offset: "1-0" } });
    await new Promise((resolve) => z.once("connect", resolve));
    eq(z.recovered, false, "an unknown pid");
    z.disconnect();
    const w = await client(cPort, "trimmed");
    await ask(cs, "say", "elsewhere", "w-marker"); // w has an offset from its welcome
    const wid = w.id, wgone = disconnected(w);
    w.io.engine.close();
    await wgone;
    for (let i = 0; i < 100 && (await ask(cs, "cluster-fetch", null)).sockets.some((s) => s.id === wid); i++)
      await sleep(50);
    w._lastOffset = "1-0"; // an entry the stream no longer has (MAXLEN trimmed it)
    w.connect();
    await new Promise((resolve) => w.once("connect", resolve));
    eq([w.id === wid, w.recovered], [false, false], "a saved session whose offset is gone: new");
    w.disconnect();
    console.log("an events_server stopped (SIGTERM) hands its clients to the cluster: they recover elsewhere");
    (await recoverAcross(c2Port, cPort, "stopped-C", [cs, ns], cs,
                         () => process.kill(Number(process.env.C2_PID), "SIGTERM"))).disconnect();
  },

  async ["interop-streams"]() { await scenarios.interop(true); },

  async interop(streams = false) {
    const c1 = await client(cPort, "C1"), c2 = await client(cPort, "C2");
    const n1 = await client(nPort, "N1"), n2 = await client(nPort, "N2");
    const all = [c1, c2, n1, n2];

    console.log("broadcast to all (socket.broadcast.emit), from either side");
    await deliveredTo(c1, "shout", ["from-c"], "shouted:from-c", [c2, n1, n2], [c1], "C1 shouts");
    await deliveredTo(n1, "shout", ["from-n"], "shouted:from-n", [c1, c2, n2], [n1], "N1 shouts");

    console.log("namespaces stay apart across the cluster (/news on both servers)");
    const cn = await client(cPort, "C-news", "/news"), nn = await client(nPort, "N-news", "/news");
    await deliveredTo(cn, "shout", ["news-c"], "shouted:news-c", [nn], [cn], "C-news shouts in /news");
    await deliveredTo(nn, "shout", ["news-n"], "shouted:news-n", [cn], [nn], "N-news shouts in /news");
    await deliveredTo(c1, "shout", ["root"], "shouted:root", [c2, n1, n2], [c1], "then C1 shouts in /");
    for (const r of all)
      if (r.got.some((g) => g.startsWith("shouted:news-"))) fail(`${r.label} in / got a /news shout`);
    console.log("  ok: no client of / got a /news shout");
    cn.disconnect();
    nn.disconnect();

    console.log("broadcast to a room, from either side");
    await ask(c1, "join", "r1");
    await ask(n2, "join", "r1");
    await deliveredTo(n2, "say", ["r1", "room-n"], "said:room-n", [c1, n2], [c2, n1], "N2 says in r1");
    await deliveredTo(c1, "say", ["r1", "room-c"], "said:room-c", [c1, n2], [c2, n1], "C1 says in r1");

    console.log("broadcast except a room, from either side");
    await deliveredTo(c2, "announce", ["ex-c", "r1"], "announced:ex-c", [c2, n1], [c1, n2], "C2 announces except r1");
    await deliveredTo(n1, "announce", ["ex-n", "r1"], "announced:ex-n", [c2, n1], [c1, n2], "N1 announces except r1");

    console.log("fetchSockets across the cluster, from either side");
    const ids = all.map((s) => s.id);
    const fromC = await members(c1, null, ids, "C1 fetches every socket");
    const n2seen = fromC.find((x) => x.id === n2.id);
    eq([...n2seen.rooms].sort(), [n2.id, "r1"].sort(), "N2's rooms as events_server fetched them");
    const fromN = await members(n1, "r1", [c1.id, n2.id], "N1 fetches room r1");
    const c1seen = fromN.find((x) => x.id === c1.id);
    eq([...c1seen.rooms].sort(), [c1.id, "r1"].sort(), "C1's rooms as Node fetched them");

    console.log("socketsJoin / socketsLeave across the cluster, from either side");
    await ask(c2, "cluster-join", null, "everyone");
    await members(n1, "everyone", ids, "after C2's socketsJoin('everyone'), Node sees");
    await ask(n1, "cluster-join", "r1", "from-n");
    await members(c2, "from-n", [c1.id, n2.id], "after N1's in('r1').socketsJoin('from-n'), C sees");
    await deliveredTo(c2, "announce", ["ex-everyone", "everyone"], "announced:ex-everyone", [], [c1, c2, n1, n2], "announce except 'everyone' reaches nobody");
    await ask(n2, "cluster-leave", null, "everyone");
    await members(c1, "everyone", [], "after N2's socketsLeave('everyone'), C sees");
    await ask(c1, "cluster-leave", "from-n", "from-n");
    await members(n1, "from-n", [], "after C1's socketsLeave('from-n'), Node sees");

    if (!streams) {
    console.log("the older REMOTE_JOIN form (one socket by id, adapter 7.x), answered by its server");
    const redis = createClient({ url: `redis://127.0.0.1:${redisPort}` });
    await redis.connect();
    const answered = new Promise((resolve) => {
      const sub = redis.duplicate();
      sub.connect().then(() => sub.subscribe("socket.io-response#/#", (m) => {
        if (JSON.parse(m).requestId === "legacy-1") { sub.quit(); resolve(m); }
      })).then(() => redis.publish("socket.io-request#/#", JSON.stringify(
        { uid: "legacy", requestId: "legacy-1", type: 2, sid: c1.id, room: "legacy-room" })));
    });
    eq(JSON.parse(await answered), { requestId: "legacy-1" }, "events_server's answer");
    await members(n1, "legacy-room", [c1.id], "C1 joined legacy-room, as Node sees");
    await redis.quit();

    console.log("allRooms across the cluster, from either side");
    for (const s of [c1, n1]) {
      const r = await ask(s, "cluster-rooms");
      if (!r.ok) fail(`${s.label} allRooms did not complete`);
      for (const want of ["r1", c1.id, n1.id])
        if (!r.rooms.includes(want)) fail(`${s.label} allRooms lacks ${want}: ${JSON.stringify(r.rooms)}`);
      if (new Set(r.rooms).size !== r.rooms.length) fail(`${s.label} allRooms has duplicates`);
      console.log(`  ok: ${s.label} allRooms has r1 and every socket's own room`);
    }
    } // (the streams adapter has neither: its allRooms is socket.io-adapter's, this server's)

    console.log("serverSideEmit with an ack, from either side (the other server acks its argument)");
    const value = { a: [1, 2.5, "x", null, true], s: "é\u0000\ud83d\ude00",
                    n: [2 ** 53 - 1, -(2 ** 53) + 1, 0.30000000000000004, -1e-7, 1.7976931348623157e308, 5e-324, 2 ** 60] };
    const others = c2Port ? [value, value] : [value]; // (streams: a second events_server too)
    const rc = await ask(c1, "cluster-emit", value);
    eq(rc, { ok: true, responses: others }, "events_server's serverSideEmit('echo'), the others' acks");
    const rn = await ask(n1, "cluster-emit", value);
    eq(rn, { ok: true, responses: others }, "Node's serverSideEmit('echo'), events_server's ack");

    console.log("a broadcast with acks from Node.js (io.timeout().emitWithAck) reaches events_server's clients");
    const asked = await ask(n1, "cluster-ask", "q");
    eq(asked.ok, true, "every server counted and relayed its clients' acks in time");
    eq([...asked.responses].sort(), ["C1:q", "C2:q", "N1:q", "N2:q"], "the acks of all four clients");

    console.log("disconnectSockets across the cluster, from either side");
    await ask(c2, "join", "doomed");
    await ask(n2, "join", "doomed");
    let dc = [disconnected(c2), disconnected(n2)];
    await ask(c1, "cluster-disconnect", "doomed", false);
    eq(await Promise.all(dc), ["io server disconnect", "io server disconnect"], "C1 disconnects room doomed: C2 and N2");
    const c3 = await client(cPort, "C3"), n3 = await client(nPort, "N3");
    await ask(c3, "join", "doomed2");
    await ask(n3, "join", "doomed2");
    dc = [disconnected(c3), disconnected(n3)];
    await ask(n1, "cluster-disconnect", "doomed2", true);
    const reasons = await Promise.all(dc);
    for (const r of reasons)
      if (r !== "io server disconnect" && r !== "transport close") fail(`disconnect(true) reason ${r}`);
    console.log(`  ok: N1 disconnects room doomed2 with close: C3 and N3 (${reasons.join(", ")})`);
    await members(c1, null, [c1.id, n1.id], "the survivors, as C1 fetches them");
  },

  // Redis killed during a burst of broadcasts, started again, and the stream read on from where
  // each server stopped: an entry written before events_server reconnects still reaches it.
  async ["heal-streams"]() { await scenarios.heal(true); },

  // Redis killed during a burst of broadcasts, then started again on the same port.
  async heal(streams = false) {
    const c1 = await client(cPort, "C1"), c2 = await client(cPort, "C2"), n1 = await client(nPort, "N1");
    await deliveredTo(c1, "shout", ["before"], "shouted:before", [c2, n1], [c1], "before: C1 shouts");
    const burst = [];
    const pid = Number(readFileSync(redisPidfile, "utf8"));
    let killedAt = 0;
    for (let i = 0; i < 40; i++) {
      burst.push(c1.timeout(10000).emitWithAck("shout", `burst-${i}`).catch(() => ({ ok: false })));
      if (i === 20) {
        process.kill(pid, "SIGKILL"); // Redis dies mid-broadcast
        killedAt = Date.now();
        console.log(`  killed redis-server (pid ${pid}) during the burst`);
      }
    }
    const acks = await Promise.all(burst);
    eq(acks.every((a) => a.ok), true, "every shout of the burst acked by events_server");
    await waitFor(c2, "shouted:burst-39");
    console.log("  ok: C2 (same server) got the whole burst while Redis was down or dying");
    await deliveredTo(c1, "shout", ["during"], "shouted:during", [c2], [c1], "during the outage: C1 shouts to local C2");
    eq(await ask(c1, "echo", "still"), "still", "events_server still acks its clients");

    for (let i = 0; i < 100; i++) { // the killed server is gone (its port free) before the new one
      try { process.kill(pid, 0); } catch { break; }
      await sleep(50);
    }
    if (streams) await sleep(Math.max(0, 1600 - (Date.now() - killedAt))); // a longer outage
    const log = openSync("redis-again.log", "w");
    const redis = spawn("redis-server", ["--port", redisPort, "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], { stdio: ["ignore", log, log], detached: true });
    writeFileSync(redisPidfile, String(redis.pid)); // cluster.sh stops it by this PID
    redis.unref();
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      up = await new Promise((resolve) => {
        const c = createConnection(Number(redisPort), "127.0.0.1");
        c.once("connect", () => { c.destroy(); resolve(true); });
        c.once("error", () => resolve(false));
      });
      if (!up) await sleep(50);
    }
    if (!up) fail(`redis-server did not start again: ${readFileSync("redis-again.log", "utf8")}`);
    console.log(`  started redis-server again (pid ${redis.pid})`);
    if (streams) { // at once, before events_server's next attempt (its backoff is past 800 ms)
      const r = await redisClient();
      await r.sendCommand(["XADD", "socket.io", "*", "uid", "tester", "nsp", "/", "type", "3",
        "data", JSON.stringify({ packet: { type: 2, data: ["shouted", { from: "tester", text: "resumed" }] },
                                 opts: { rooms: [], except: [], flags: {} } })]);
      await r.quit();
      console.log("  wrote a broadcast entry to the new stream before the servers reconnected");
      for (const to of [c2, n1]) await waitFor(to, "shouted:resumed", 20000);
      console.log("  ok: events_server and Node read the stream on from where they stopped: C2 and N1 got it");
    }
    // The cluster heals: both servers reconnect and subscribe again (bounded wait).
    for (const [from, to, tag] of [[c1, n1, "c"], [n1, c2, "n"]]) {
      let healed = false;
      for (let i = 0; i < 150 && !healed; i++) {
        await ask(from, "shout", `heal-${tag}-${i}`);
        await sleep(100);
        healed = to.got.some((g) => g.startsWith(`shouted:heal-${tag}-`));
      }
      if (!healed) fail(`${from.label}'s shouts never reached ${to.label} after Redis came back`);
      console.log(`  ok: after Redis is back, ${from.label}'s shouts reach ${to.label}`);
    }
    await deliveredTo(c1, "shout", ["after"], "shouted:after", [c2, n1], [c1], "after: C1 shouts");
    eq(await ask(c1, "cluster-emit", 7), { ok: true, responses: c2Port ? [7, 7] : [7] },
       "serverSideEmit after healing");
  },
};

if (!scenarios[scenario]) fail(`unknown scenario ${scenario}`);
await scenarios[scenario]();
for (const s of sockets) s.disconnect();
console.log(`cluster ${scenario}: passed`);
process.exit(0);

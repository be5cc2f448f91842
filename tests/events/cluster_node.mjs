// cluster_node.mjs - a Node.js socket.io server (npm socket.io 4.8.4) in a cluster with
// @socket.io/redis-adapter 8.3.0 (or, with "streams", @socket.io/redis-streams-adapter 0.3.1
// and connection state recovery) on node-redis, with the chat demo's events and its cluster
// events (events/chat_cluster.c), so tests/events/cluster.sh can run the same scenario from
// either side of a cluster of events_server and Node.js.
//   node cluster_node.mjs REDIS_PORT [redis|streams] [--ping-interval MS] [--ping-timeout MS]
//                        [--redis-command-timeout MS]
//   (prints "node socket.io: listening on 127.0.0.1 port N")
// The tests ping every 1 s (timeout 2 s) so a lost client is noticed quickly. bench/events_cluster
// gives both pairs socket.io's defaults (25 s, 20 s) and --redis-command-timeout 0: node-redis
// 6.x rejects a command that waited 5 s to be SENT (its default commandOptions.timeout), which
// a busy event loop can cause by itself, and the adapter does not catch publish()'s rejection,
// so Node exits on it (bench/events_cluster/README.md shows the run that found this).
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "ping-interval": { type: "string", default: "1000" },
    "ping-timeout": { type: "string", default: "2000" },
    "redis-command-timeout": { type: "string" }, // unset: node-redis' default (5000 ms)
  },
});
const ms = (name) => {
  const v = Number(opt[name]);
  if (Number.isInteger(v) && v >= 0) return v;
  console.error(`cluster_node.mjs: --${name} must be a whole number of ms, not '${opt[name]}'`);
  process.exit(2);
};
const pingInterval = ms("ping-interval"), pingTimeout = ms("ping-timeout");
const commandTimeout = opt["redis-command-timeout"] === undefined ? undefined : ms("redis-command-timeout");
const redisPort = Number(positionals[0]);
const streams = positionals[1] === "streams";
const pub = createClient({
  url: `redis://127.0.0.1:${redisPort}`,
  // reconnect with a backoff, as events_server does (node-redis' default strategy)
  socket: { reconnectStrategy: (n) => Math.min(100 * 2 ** n, 5000) },
  // 0: no timeout (events_server's adapter has none either: it caps unconfirmed publishes)
  ...(commandTimeout === undefined ? {} : { commandOptions: { timeout: commandTimeout } }),
});
const sub = pub.duplicate();
for (const c of [pub, sub]) c.on("error", (e) => console.log(`node socket.io: redis: ${e.message}`));
await Promise.all([pub.connect(), streams ? null : sub.connect()]);

const http = createServer();
const adapter = streams
  ? (await import("@socket.io/redis-streams-adapter")).createAdapter(pub) // it duplicates pub
  : createAdapter(pub, sub);
const io = new Server(http, {
  adapter,
  pingInterval,
  pingTimeout,
  ...(streams ? { connectionStateRecovery: { maxDisconnectionDuration: 60000 } } : {}),
});
const ackOk = (ack, extra = {}) => typeof ack === "function" && ack({ ok: true, ...extra });
const target = (nsp, room) => (room == null ? nsp : nsp.in(room));

for (const name of ["/", "/news"]) {
  const nsp = io.of(name);
  // another server's serverSideEmit("echo", x, cb): cb(x) (events/chat_cluster.c does the same)
  nsp.on("echo", (x, cb) => typeof cb === "function" && cb(x));
  nsp.on("connection", (socket) => {
    socket.emit("welcome", { id: socket.id, recovered: socket.recovered });
    socket.on("join", (room, ack) => { socket.join(room); ackOk(ack, { room }); });
    socket.on("leave", (room, ack) => { socket.leave(room); ackOk(ack, { room }); });
    socket.on("say", (room, text, ack) => {
      const ok = socket.rooms.has(room);
      if (ok) nsp.to(room).emit("said", { from: socket.id, room, text });
      if (typeof ack === "function") ack(ok ? { ok: true, room } : { ok: false });
    });
    socket.on("shout", (text, ack) => {
      socket.broadcast.emit("shouted", { from: socket.id, text });
      ackOk(ack, { room: "*" });
    });
    socket.on("announce", (text, except, ack) => {
      if (typeof except === "function") [ack, except] = [except, undefined];
      (except == null ? nsp : nsp.except(except)).emit("announced", { from: socket.id, text });
      ackOk(ack, { room: "*" });
    });
    socket.on("cluster-join", (inRoom, room, ack) => { target(nsp, inRoom).socketsJoin(room); ackOk(ack); });
    socket.on("cluster-leave", (inRoom, room, ack) => { target(nsp, inRoom).socketsLeave(room); ackOk(ack); });
    socket.on("cluster-disconnect", (inRoom, close, ack) => {
      ackOk(ack);
      target(nsp, inRoom).disconnectSockets(close === true);
    });
    socket.on("cluster-fetch", async (inRoom, ack) => {
      try {
        const s = await target(nsp, inRoom).fetchSockets();
        ack({ ok: true, sockets: s.map((x) => ({ id: x.id, rooms: [...x.rooms] })) });
      } catch (e) { ack({ ok: false, sockets: [], error: e.message }); }
    });
    socket.on("cluster-rooms", async (ack) => {
      try { ack({ ok: true, rooms: [...(await nsp.adapter.allRooms())] }); }
      catch (e) { ack({ ok: false, rooms: [], error: e.message }); }
    });
    socket.on("cluster-ask", async (x, ack) => { // a broadcast with acks (request type 7)
      try { ack({ ok: true, responses: await nsp.timeout(5000).emitWithAck("question", x) }); }
      catch (e) { ack({ ok: false, responses: [], error: e.message }); }
    });
    socket.on("cluster-emit", (x, ack) => {
      nsp.serverSideEmit("echo", x, (err, responses) => ack({ ok: !err, responses }));
    });
  });
}
http.listen(0, "127.0.0.1", () => {
  console.log(`node socket.io: listening on 127.0.0.1 port ${http.address().port}`);
});
process.on("SIGTERM", () => { io.close(); pub.quit().catch(() => {}); if (!streams) sub.quit().catch(() => {}); process.exit(0); });

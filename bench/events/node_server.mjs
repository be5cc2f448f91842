// node_server.mjs - the peer of events_server --demo chat for bench/events/run: the Node.js
// socket.io server (npm socket.io 4.8.4) with the same events and the same options
// (connection state recovery on, so the same bytes go on the wire: offsets included).
//   node node_server.mjs PORT
import { Server } from "socket.io";

const port = Number(process.argv[2]);
const io = new Server(port, {
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1e6,
  connectionStateRecovery: { maxDisconnectionDuration: 120000 },
});
io.on("connection", (socket) => {
  socket.emit("welcome", { id: socket.id, recovered: socket.recovered });
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack({ ok: true, room });
  });
  socket.on("say", (room, text, ack) => {
    const ok = socket.rooms.has(room);
    if (ok) io.to(room).emit("said", { from: socket.id, room, text });
    if (typeof ack === "function") ack(ok ? { ok: true, room } : { ok: false });
  });
  socket.on("echo", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (ack) ack(...args);
    else socket.emit("echo", ...args);
  });
});
console.log(`node socket.io: listening on 127.0.0.1 port ${port}`);

// loadgen.mjs - one load generator for both servers of bench/events/run. It speaks Engine.IO /
// Socket.IO over raw WebSocket (node:net, frames written and read by hand here) so that the
// generator stays cheap: it counts frames and reads only the bytes it needs, and 1,000 clients
// fit in one Node.js process without decoding every broadcast 1,000 times with a full client.
//
//   node loadgen.mjs broadcast PORT CLIENTS MESSAGES   events/s delivered to a room of CLIENTS
//   node loadgen.mjs latency PORT CLIENTS ROUNDS        emit/ack round trips, CLIENTS idle beside
//   node loadgen.mjs idle PORT CLIENTS SECONDS          CLIENTS connected + joined, then idle
// Prints key=value figures on one line.
import net from "node:net";
import crypto from "node:crypto";

const [mode, portArg, clientsArg, countArg] = process.argv.slice(2);
const PORT = Number(portArg), CLIENTS = Number(clientsArg), COUNT = Number(countArg);

function frame(text) { // one masked text frame (clients must mask, RFC 6455 5.3)
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n])
    : Buffer.from([0x81, 0x80 | 126, n >> 8, n & 255]);
  const key = crypto.randomBytes(4);
  for (let i = 0; i < n; i++) payload[i] ^= key[i & 3];
  return Buffer.concat([head, key, payload]);
}

// A client: connect, upgrade, CONNECT to "/", join "bench". onText(text) for other messages.
function client(onText) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(PORT, "127.0.0.1");
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0), upgraded = false, joined = false;
    const c = { sock, send: (t) => sock.write(frame(t)), said: 0 };
    sock.on("error", reject);
    sock.on("connect", () => sock.write(
      `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}\r\n` +
      `Sec-WebSocket-Version: 13\r\n\r\n`));
    sock.on("data", (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!buf.subarray(0, 12).toString().includes("101")) return reject(new Error("no 101"));
        upgraded = true;
        buf = buf.subarray(end + 4);
      }
      for (;;) { // whole frames only; the server never masks
        if (buf.length < 2) return;
        let n = buf[1] & 127, off = 2;
        if (n === 126) { if (buf.length < 4) return; n = buf.readUInt16BE(2); off = 4; }
        else if (n === 127) { if (buf.length < 10) return; n = Number(buf.readBigUInt64BE(2)); off = 10; }
        if (buf.length < off + n) return;
        const p = buf.subarray(off, off + n);
        buf = buf.subarray(off + n);
        if ((buf.length === 0)) buf = Buffer.alloc(0);
        if (p.length === 1 && p[0] === 0x32) { c.send("3"); continue; } // ping -> pong
        if (p[0] === 0x30) { c.send("40"); continue; }                   // open -> CONNECT
        if (p[0] === 0x34 && p[1] === 0x30) { c.send('420["join","bench"]'); continue; }
        if (!joined && p[0] === 0x34 && p[1] === 0x33 && p[2] === 0x30) {
          joined = true; resolve(c); continue;                           // ack of join
        }
        // 42["said",...]: count without decoding the JSON
        if (p[0] === 0x34 && p[1] === 0x32 && p[3] === 0x22 && p[4] === 0x73 && p[5] === 0x61) {
          c.said++; onText && onText(null); continue;
        }
        onText && onText(p.toString());
      }
    });
  });
}

async function connectAll(n, onText) {
  const all = [];
  for (let i = 0; i < n; i += 50) { // 50 at a time: do not flood the accept queue
    const batch = [];
    for (let j = i; j < Math.min(n, i + 50); j++) batch.push(client(onText));
    all.push(...(await Promise.all(batch)));
  }
  return all;
}

if (mode === "broadcast") {
  let delivered = 0, done;
  const want = CLIENTS * COUNT;
  const finished = new Promise((r) => { done = r; });
  const clients = await connectAll(CLIENTS, (t) => { if (t === null && ++delivered === want) done(); });
  await new Promise((r) => setTimeout(r, 500));
  delivered = 0;
  const sender = clients[0];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < COUNT; i++) sender.send(`42${i + 1}["say","bench","message ${i}"]`);
  const timeout = setTimeout(() => { console.log(`error=timeout delivered=${delivered}`); process.exit(1); }, 120000);
  await finished;
  clearTimeout(timeout);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const short = clients.filter((c) => c.said !== COUNT).length;
  if (short) { console.log(`error=${short}_clients_did_not_get_${COUNT}`); process.exit(1); }
  console.log(`clients=${CLIENTS} messages=${COUNT} delivered=${delivered} seconds=${secs.toFixed(3)} events_per_s=${Math.round(delivered / secs)}`);
  process.exit(0);
} else if (mode === "latency") {
  await connectAll(CLIENTS);
  let waiting = null;
  const probe = await client((t) => { if (t && t.startsWith("43") && waiting) waiting(); });
  const rtts = [];
  for (let i = 0; i < COUNT; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((r) => { waiting = r; probe.send(`42${100 + i}["echo",${i},"payload"]`); });
    rtts.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  rtts.sort((a, b) => a - b);
  const q = (f) => rtts[Math.min(rtts.length - 1, Math.floor(f * rtts.length))].toFixed(0);
  console.log(`rounds=${COUNT} p50_us=${q(0.5)} p99_us=${q(0.99)} max_us=${q(1)}`);
  process.exit(0);
} else if (mode === "idle") {
  await connectAll(CLIENTS);
  console.log(`connected=${CLIENTS}`);
  setTimeout(() => process.exit(0), COUNT * 1000);
} else {
  console.error("usage: loadgen.mjs broadcast|latency|idle PORT CLIENTS COUNT");
  process.exit(2);
}

// labs/lab_client.js - what the Node.js clients of labs 6 and 7 share: the real Socket.IO
// client (npm socket.io-client, installed in tests/node_modules by ./wirelab), and printing
// that reads the same on every run. Ids (sids, socket ids, pids) change from run to run, so a
// lab names each one (names.set(id, "<alice>")) and say() prints the name instead of the id.
// Waits are generous and bounded: a slow, loaded machine must not fail a lab, and a lab must
// never hang.
const path = require("path");
const { io } = require(path.join(__dirname, "..", "tests", "node_modules", "socket.io-client"));

const names = new Map(); // id -> "<alice>" etc.

function hide(text) {
  let out = String(text);
  for (const [id, name] of names) out = out.split(id).join(name);
  return out;
}
function say(text) { console.log(hide(text)); }
function fail(text) {
  console.log(hide(`FAILED: ${text}`));
  process.exit(1);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The next `ev` from `emitter` (its arguments), or an error after `ms` milliseconds.
function once(emitter, ev, ms = 15000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "${ev}" within ${ms} ms`)), ms);
    emitter.once(ev, (...args) => { clearTimeout(t); resolve(args); });
  });
}

module.exports = { io, names, hide, say, fail, sleep, once };

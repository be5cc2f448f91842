// browser_chat.js - a real browser (headless Chromium) uses events_server's chat page, which
// loads the real Socket.IO browser client (socket.io.min.js from npm socket.io-client).
//
// What it teaches: the C server satisfies the browser build of Socket.IO too. Chromium opens
// http://127.0.0.1:PORT/, the page connects (polling, then the upgrade to WebSocket), joins a
// room and says something (the message must come back into the page), then presses "Drop
// connection" (engine.close()): the page must reconnect with recovered=true and the same id.
// Chromium is told not to reach the network.   Run by browser_chat.sh: node browser_chat.js PORT PROFILE
"use strict";
const { openPage } = require("../chromium.js");

const [port, profile] = process.argv.slice(2);
const text = (page) => page.textContent("#log");
const waitLog = (page, want) => page.waitForFunction(
  (w) => document.getElementById("log").textContent.includes(w), want, { timeout: 20000 });

async function main() {
  const { context, page } = await openPage(profile, `http://127.0.0.1:${port}/`);
  try {
    await page.waitForFunction(() => /over websocket/.test(
      document.getElementById("status").textContent), null, { timeout: 20000 });
    const status = await page.textContent("#status");
    const id = status.match(/connected as (\S+)/)[1];
    console.log(`  ... the page is connected as ${id} and upgraded to websocket`);
    await page.fill("#room", "browsers");
    await page.click("#join");
    await waitLog(page, 'ack join {"ok":true,"room":"browsers"}');
    await page.fill("#text", "hello from Chromium");
    await page.click("#say");
    await waitLog(page, "[browsers] " + id.slice(0, 6) + ": hello from Chromium");
    console.log("  ... joined room 'browsers'; the room's message came back into the page");
    await page.click("#drop");
    await waitLog(page, `connect id=${id} recovered=true`);
    console.log("  ... dropped the connection; the page reconnected with recovered=true, same id");
    const log = await text(page);
    if (/connect_error/.test(log)) throw new Error(`connect_error in the page:\n${log}`);
  } finally {
    await context.close();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(`FAILED: ${err.message}`);
  process.exit(1);
});

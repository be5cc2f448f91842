// browser_echo.js - a real browser (headless Chromium) uses ws_server's page.
//
// What it teaches: that the hand-written handshake and framer satisfy a real browser. Chromium
// loads http://127.0.0.1:PORT/ (the page built into ws_server), the page's JavaScript opens
// ws://127.0.0.1:PORT/ws, we type a message and press Send, and the echo must appear in the
// page's log. Chromium is told not to reach the network (no sync, no updates, no QUIC).
// Run by browser_echo.sh:  node browser_echo.js PORT PROFILE_DIR
"use strict";
const { openPage } = require("../chromium.js");

const port = process.argv[2];
const profile = process.argv[3];
const message = "hello from Chromium, κόσμε";

async function main() {
  const { context, page } = await openPage(profile, `http://127.0.0.1:${port}/`);
  try {
    await page.waitForFunction(() => document.getElementById("status").textContent === "open",
                               null, { timeout: 20000 });
    console.log("  ... the page says the WebSocket is open");
    await page.fill("#text", message);
    await page.click("#send");
    const want = `received text frame, ${Buffer.byteLength(message)} bytes: ${message}`;
    await page.waitForFunction((w) => document.getElementById("log").textContent.includes(w),
                               want, { timeout: 20000 });
    console.log(`  ... the echo came back into the page: "${message}"`);
    await page.click("#close");
    await page.waitForFunction(
      () => document.getElementById("status").textContent.startsWith("closed (code 1000)"),
      null, { timeout: 20000 });
    const log = await page.textContent("#log");
    if (!log.includes("clean closing handshake")) {
      throw new Error(`the close was not clean; the page log says:\n${log}`);
    }
    console.log("  ... the page closed with 1000 after a clean closing handshake");
  } finally {
    await context.close();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(`FAILED: ${err.message}`);
  process.exit(1);
});

// grade/lab4/browser_open.js - lab 4's browser check: headless Chromium (tests/chromium.js)
// opens a WebSocket to the student's server and reports what the page saw, as one JSON line:
//   {"event": "open"|"close"|"timeout", "code": N, "console": [what Chromium logged]}
// When Chromium refuses a handshake it says why in the page's console ("Error during WebSocket
// handshake: ..."), which the grader quotes. The page comes from a small HTTP server of this
// script's own on 127.0.0.1, so a loopback page opens a loopback WebSocket (Chromium's local
// network access checks block a page that is not itself local, about:blank included).
//   node browser_open.js PORT PROFILE_DIR        (with WIRELAB_ROOT set)
"use strict";
const http = require("http");
const path = require("path");
const { openPage } = require(path.join(process.env.WIRELAB_ROOT, "tests", "chromium.js"));

const [port, profile] = process.argv.slice(2);

async function main() {
  const web = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end("<!doctype html><title>lab 4</title><p>lab 4's grader page</p>");
  });
  await new Promise((resolve) => web.listen(0, "127.0.0.1", resolve));
  const { context, page } = await openPage(profile, `http://127.0.0.1:${web.address().port}/`);
  const logged = [];
  page.on("console", (m) => logged.push(m.text()));
  try {
    const result = await page.evaluate((url) => new Promise((resolve) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(() => resolve({ event: "timeout" }), 10000);
      ws.onopen = () => {
        clearTimeout(timer);
        resolve({ event: "open" });
        ws.close(1000);
      };
      ws.onclose = (e) => {
        clearTimeout(timer);
        resolve({ event: "close", code: e.code });
      };
    }), `ws://127.0.0.1:${port}/chat`);
    await page.waitForTimeout(500); // the console line of a failed handshake comes after onclose
    result.console = logged;
    console.log(JSON.stringify(result));
  } finally {
    await context.close();
    web.close();
  }
}

main().then(() => process.exit(0), (err) => {
  console.log(JSON.stringify({ event: "error", error: String(err.message || err) }));
  process.exit(1);
});

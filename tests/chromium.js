// tests/chromium.js - headless Chromium for the browser tests (and lab 4), started the one way
// that works on a machine with no network: Debian's /usr/bin/chromium driven by playwright-core
// (tests/package.json), told never to reach out (no sync, updates, background requests, QUIC).
//   const { openPage } = require("../chromium.js");
//   const { context, page } = await openPage(profileDir, "http://127.0.0.1:8080/");
"use strict";
const path = require("path");
const { chromium } = require(path.join(__dirname, "node_modules", "playwright-core"));

// A fresh browser on its own profile folder, with its first tab at `url`.
async function openPage(profile, url) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: 60000,
  });
  const page = context.pages()[0] || await context.newPage();
  console.log(`  ... Chromium opens ${url}`);
  await page.goto(url, { timeout: 20000 });
  return { context, page };
}

module.exports = { openPage };

// web_page.js - the page of `sniffer --web` in headless Chromium (playwright-core).
//
// What it checks, as a student would see it:
//   live  packets appear in the list as tcp_echo_client sends them; clicking the data segment
//         shows its layers, and clicking a field lights up exactly that field's bytes (the
//         destination port, the payload); the ladder of the conversation grows with the next
//         exchange; the display filter filters, and says what is wrong with a broken one; the
//         TCP-versus-UDP table counts the segments.
//   big   a million-packet file: the page answers a click (the packet's details arrive) and a
//         scroll (new rows) within a deadline while the file loads and after; a filter shows
//         only its rows. (A hang guard: deadlines, never a speed measurement.)
// Run by web_page.sh:
//   node web_page.js live PORT PROFILE ECHO_PORT BIN      node web_page.js big PORT PROFILE
"use strict";
const { execFileSync } = require("child_process");
const { openPage } = require("../chromium.js");

const [mode, port, profile, echoPort, bin] = process.argv.slice(2);
const DEADLINE = { timeout: 30000 };

function check(cond, what) { if (!cond) throw new Error(what); }

// The rows the page shows now: [{n, proto, info}].
const rows = (page) => page.$$eval("#rows tbody tr", (trs) => trs.map((tr) => ({
  n: Number(tr.dataset.n), proto: tr.children[4].textContent, info: tr.children[6].textContent })));

// The bytes highlighted in the hex dump, as hex text.
const highlighted = (page) => page.$$eval("#hex span.hl", (s) => s.map((x) => x.textContent).join(""));

async function clickField(page, name) {
  const li = page.locator("#layers li", { hasText: new RegExp(`^${name}: `) }).first();
  await li.click(DEADLINE);
  return highlighted(page);
}

function echo(message) {
  execFileSync(`${bin}/tcp_echo_client`, ["--port", echoPort, "--message", message], { timeout: 20000 });
}

async function live(page) {
  await page.waitForFunction(() => /packets/.test(document.getElementById("status").textContent), null, DEADLINE);
  echo("hello browser");
  await page.waitForFunction((p) => [...document.querySelectorAll("#rows tbody tr")].some(
    (tr) => tr.textContent.includes("length 13") && tr.textContent.includes("." + p + ":")), echoPort, DEADLINE);
  const shown = await rows(page);
  check(shown.some((r) => /Flags \[S\]/.test(r.info)), `no SYN among the rows: ${JSON.stringify(shown)}`);
  console.log(`  ... ${shown.length} packets appeared in the list as tcp_echo_client talked (SYN first)`);

  const data = shown.find((r) => r.info.includes("length 13") && r.info.includes(`.${echoPort}:`));
  await page.click(`#rows tbody tr[data-n="${data.n}"]`, DEADLINE);
  await page.waitForFunction((n) => document.getElementById("frame").textContent === `(frame ${n})`, data.n, DEADLINE);
  const layers = await page.$$eval("#layers summary", (s) => s.map((x) => x.textContent.split(" ")[0]));
  check(JSON.stringify(layers.slice(0, 3)) === JSON.stringify(["ipv4", "tcp", "data"]) ||
        JSON.stringify(layers.slice(0, 4)) === JSON.stringify(["eth", "ipv4", "tcp", "data"]),
        `frame ${data.n}'s layers are ${layers}`);
  const portHex = Number(echoPort).toString(16).padStart(4, "0");
  let hl = await clickField(page, "Destination port");
  check(hl === portHex, `Destination port ${echoPort} should light up bytes ${portHex}, lit: ${hl}`);
  hl = await clickField(page, "Bytes");
  check(hl === Buffer.from("hello browser").toString("hex"), `the payload's bytes should be "hello browser", lit: ${hl}`);
  console.log(`  ... frame ${data.n}: layers ${layers.join(" > ")}; the destination port and the payload light up their own bytes`);

  await page.waitForFunction(() => document.querySelectorAll("#ladder .arrow[data-n]").length >= 3, null, DEADLINE);
  const before = await page.$$eval("#ladder .arrow[data-n]", (a) => a.length);
  echo("hello again");
  // a new connection: select one of its packets, then the ladder of that conversation grows
  await page.waitForFunction(() => [...document.querySelectorAll("#rows tbody tr")].some(
    (tr) => tr.textContent.includes("length 11")), null, DEADLINE);
  const again = (await rows(page)).find((r) => r.info.includes("length 11"));
  await page.click(`#rows tbody tr[data-n="${again.n}"]`, DEADLINE);
  await page.waitForFunction((n) => document.querySelectorAll("#ladder .arrow[data-n]").length >= 6 &&
    document.querySelector(`#ladder .arrow[data-n="${n}"]`) !== null, again.n, DEADLINE);
  console.log(`  ... the ladder shows each conversation's arrows (${before} for the first), and the new one's as they arrive`);

  const stats = await page.textContent("#stats");
  check(/TCP\s*\d+/.test(stats) && !/TCP\s*0\b/.test(stats), `the TCP-versus-UDP table has no TCP frames: ${stats}`);

  await page.fill("#filter", "udp");
  await page.press("#filter", "Enter");
  await page.waitForFunction(() => document.querySelectorAll("#rows tbody tr").length === 0, null, DEADLINE);
  await page.fill("#filter", `tcp and port ${echoPort} and "length 11"`);
  await page.press("#filter", "Enter");
  await page.waitForFunction(() => {
    const trs = [...document.querySelectorAll("#rows tbody tr")];
    return trs.length > 0 && trs.every((tr) => tr.textContent.includes("length 11"));
  }, null, DEADLINE);
  await page.fill("#filter", "tcp and");
  await page.press("#filter", "Enter");
  await page.waitForFunction(() => document.getElementById("filter-error").textContent.includes("ends"), null, DEADLINE);
  console.log("  ... the filter: 'udp' shows nothing, 'tcp and port P and \"length 11\"' only those rows, 'tcp and' says what is missing");
}

async function big(page) {
  await page.waitForFunction(() => document.querySelectorAll("#rows tbody tr").length > 5, null, DEADLINE);
  for (let round = 0; round < 2; round++) {
    const shown = await rows(page);
    // Click the middle row inside the page, in one step: while the file loads the rows are
    // redrawn every 200 ms (new packets, older ones forgotten), and a row found first and
    // clicked later may be gone by then.
    const pick = await page.$eval("#rows tbody", (tb) => {
      const tr = tb.children[Math.floor(tb.children.length / 2)];
      tr.click();
      return { n: Number(tr.dataset.n) };
    });
    await page.waitForFunction((n) => document.getElementById("frame").textContent === `(frame ${n})`, pick.n, DEADLINE);
    // scroll (to the middle, then back to the top): other rows must come
    await page.$eval("#list", (l, r) => {
      document.getElementById("follow").checked = false;
      l.scrollTop = r ? 0 : l.scrollHeight / 2;
    }, round);
    await page.waitForFunction((n) => { const tr = document.querySelector("#rows tbody tr"); return tr && Number(tr.dataset.n) !== n; },
      shown[0].n, DEADLINE);
    const status = await page.textContent("#status");
    console.log(`  ... ${round ? "after loading" : "as soon as rows came"} (${status}): a click showed frame ${pick.n}, a scroll brought other rows`);
    if (round === 0)
      await page.waitForFunction(() => /end of capture/.test(document.getElementById("status").textContent), null, { timeout: 240000 });
  }
  await page.fill("#filter", "udp");
  await page.click("#apply");
  await page.waitForFunction(() => {
    const trs = [...document.querySelectorAll("#rows tbody tr")];
    return trs.length > 0 && trs.every((tr) => tr.children[4].textContent === "udp");
  }, null, DEADLINE);
  const status = await page.textContent("#status");
  check(/forgotten/.test(status), `a million packets over the default --max-store: the page should say frames were forgotten: ${status}`);
  console.log(`  ... filter 'udp': only UDP rows (${status})`);
}

async function main() {
  const { context, page } = await openPage(profile, `http://127.0.0.1:${port}/`);
  try {
    await (mode === "live" ? live(page) : big(page));
  } finally {
    await context.close();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(`FAILED: ${err.message}`);
  process.exit(1);
});

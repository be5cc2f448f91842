// svg_browser.js - headless Chromium draws the sniffer's pictures, and each screenshot is
// checked against what the capture says it must show.
//
// For each picture given as SVG@SELECTOR@COUNT@RED (RED is "red" or "none"): Chromium opens the
// file at its own size; in the page, every mark SELECTOR finds (g.arrow: the ladder's arrows,
// line.seg: segment bars, circle.dgram: datagrams, g.layer: layer boxes) must be drawn (a
// bounding box of non-zero size) and COUNT of them found (-1: do not count), and every
// label must have been laid out as text (getComputedTextLength() > 0). Then a screenshot: it
// must have the SVG's width and height, not be blank (some pixels far from white), and hold
// the retransmission red (#c01c28) exactly when RED says so.
//   node svg_browser.js PROFILE SVG@SELECTOR@COUNT@RED...    (svg_browser.sh runs it)
"use strict";
const path = require("path");
const { openPage } = require("../chromium.js");

const [profile, ...specs] = process.argv.slice(2);

// What Chromium laid out in the SVG document.
async function inPage(page, selector) {
  return page.evaluate((sel) => {
    const svg = document.documentElement;
    // on screen with a size (getBBox would still measure an element that is display:none)
    const drawn = (el) => {
      const b = el.getBoundingClientRect();
      return b.width > 0 || b.height > 0;
    };
    const arrows = [...document.querySelectorAll(sel)];
    const texts = [...document.querySelectorAll("text")].filter((t) => t.textContent.trim());
    return {
      width: svg.width.baseVal.value, height: svg.height.baseVal.value,
      arrows: arrows.length, undrawn: arrows.filter((a) => !drawn(a)).length,
      texts: texts.length, unlaid: texts.filter((t) => t.getComputedTextLength() <= 0)
        .map((t) => t.textContent).slice(0, 5),
    };
  }, selector);
}

// The screenshot's size and pixels, read back through a canvas in a blank page.
async function pixels(page, png) {
  const url = "data:image/png;base64," + png.toString("base64");
  await page.goto("about:blank"); // an HTML page: the SVG document cannot hold a canvas
  await page.setContent("<canvas id=c></canvas>");
  return page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const c = document.getElementById("c");
    c.width = img.naturalWidth, c.height = img.naturalHeight;
    const ctx = c.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let ink = 0, red = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] + d[i + 1] + d[i + 2] < 600) ink++;
      // #c01c28 (192, 28, 40), allowing for anti-aliasing
      if (Math.abs(d[i] - 192) < 24 && d[i + 1] < 70 && d[i + 2] < 80) red++;
    }
    return { width: img.naturalWidth, height: img.naturalHeight, ink, red,
             total: c.width * c.height };
  }, url);
}

async function check(page, spec) {
  const [file, selector, want, redWant] = spec.split("@");
  const name = path.basename(file);
  await page.goto("file://" + path.resolve(file));
  const laid = await inPage(page, selector);
  if (Number(want) >= 0 && laid.arrows !== Number(want))
    throw new Error(`${name}: Chromium drew ${laid.arrows} ${selector}, the capture has ${want}`);
  if (laid.undrawn) throw new Error(`${name}: ${laid.undrawn} marks have no size on the page`);
  if (laid.unlaid.length) throw new Error(`${name}: labels not laid out: ${laid.unlaid}`);
  const w = Math.round(laid.width), h = Math.round(laid.height);
  await page.setViewportSize({ width: w, height: Math.min(h, 8000) });
  const png = await page.screenshot({ fullPage: false });
  const px = await pixels(page, png);
  if (px.width !== w || px.height !== Math.min(h, 8000))
    throw new Error(`${name}: the screenshot is ${px.width}x${px.height}, the picture ${w}x${h}`);
  if (px.ink < px.total * 0.005)
    throw new Error(`${name}: the screenshot is blank (${px.ink} of ${px.total} pixels inked)`);
  if ((redWant === "red") !== (px.red > 20))
    throw new Error(`${name}: ${px.red} red pixels, but the capture has ` +
                    (redWant === "red" ? "retransmissions" : "none"));
  console.log(`  ... ${name}: ${laid.arrows} marks and ${laid.texts} labels drawn; ` +
              `screenshot ${px.width}x${px.height}, ${px.ink} inked pixels, ${px.red} red`);
}

async function main() {
  const { context, page } = await openPage(profile, "about:blank");
  try {
    for (const spec of specs) await check(page, spec);
  } finally {
    await context.close();
  }
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });

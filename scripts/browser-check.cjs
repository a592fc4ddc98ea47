#!/usr/bin/env node
// Headless-browser checks of straightline's pages (issue 19 §4): Debian's /usr/bin/chromium driven
// over the DevTools protocol by puppeteer-core (from .deps, scripts/install-deps.sh; it never
// downloads a browser). Used by report_browser_test.sh and dashboard_browser_test.sh.
//
//   browser-check.cjs report    --url file:///.../report.html --out DIR [--expect FILE.json]
//   browser-check.cjs dashboard --url http://127.0.0.1:PORT/dashboard?token=T --out DIR
//                               --charts N [--changing id,...] [--growing id,...] [--watch-s S]
//                               [--name NAME]
//
// Both: every request the page makes must stay on its own origin (file:// for a report; the
// server's own http origin for a dashboard; data: URLs allowed) — any other is aborted and fails
// the check; console errors, page errors and failed requests fail it; a full-page screenshot goes
// to DIR. Prints one JSON line of what it saw; exit 0 when every check passed, 1 otherwise (each
// failure printed as "FAIL: ..."), 2 on a usage error.
//   report:    every <figure> holds one non-empty <svg> with at least one series
//              (<g class="series" data-points>) of at least one point, drawn with a non-zero box;
//              --expect {"figures": N, "series": {"FIG-ID": [POINTS, ...]}} checks the number of
//              figures and, per figure, the series' point counts in order.
//   dashboard: waits for N charts and two samples, reads every chart's series and newest values,
//              waits --watch-s (default 4) and reads again: there must be newer samples, and each
//              chart of --changing must have data and newest values that differ between the two
//              reads, each of --growing a series with more points (for values that may repeat,
//              such as percentiles interpolated within one histogram bucket); the session cookie
//              must be HttpOnly (not in document.cookie).
"use strict";
const path = require("path");
const fs = require("fs");

const SOURCE_DIR = path.resolve(__dirname, "..");
const puppeteer = require(path.join(SOURCE_DIR, ".deps/node_modules/puppeteer-core"));
const CHROMIUM = process.env.STRAIGHTLINE_CHROMIUM || "/usr/bin/chromium";

function usage(msg) {
  console.error(`browser-check: ${msg}`);
  process.exit(2);
}

function parseArgs(argv) {
  const mode = argv[0];
  if (mode !== "report" && mode !== "dashboard") usage("first argument: report | dashboard");
  const o = { mode, watchS: 4, changing: [], growing: [], name: mode };
  for (let i = 1; i < argv.length; i += 2) {
    const k = argv[i], v = argv[i + 1];
    if (v === undefined) usage(`${k} needs a value`);
    if (k === "--url") o.url = v;
    else if (k === "--out") o.out = v;
    else if (k === "--expect") o.expect = JSON.parse(fs.readFileSync(v, "utf8"));
    else if (k === "--charts") o.charts = Number(v);
    else if (k === "--changing") o.changing = v.split(",").filter(Boolean);
    else if (k === "--growing") o.growing = v.split(",").filter(Boolean);
    else if (k === "--watch-s") o.watchS = Number(v);
    else if (k === "--name") o.name = v;
    else usage(`unknown flag ${k}`);
  }
  if (!o.url || !o.out) usage("--url and --out are required");
  if (mode === "dashboard" && !(o.charts > 0)) usage("dashboard: --charts N is required");
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(o.out, { recursive: true });
  const failures = [];
  const fail = (m) => failures.push(m);
  const origin = o.url.startsWith("file:") ? null : new URL(o.url).origin;
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: the tests run as root, where Chromium refuses its sandbox.
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const seen = { requests: 0, external: [], console: [] };
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    await page.setRequestInterception(true);
    page.on("request", (req) => {
      const u = req.url();
      seen.requests++;
      const own = u.startsWith("data:") ||
        (origin === null ? u.startsWith("file:") : u.startsWith(origin + "/"));
      if (!own) {
        seen.external.push(u);
        return req.abort();
      }
      req.continue();
    });
    page.on("console", (m) => {
      if (m.type() === "error") seen.console.push(`console.error: ${m.text()}`);
    });
    page.on("pageerror", (e) => seen.console.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => {
      if (!seen.external.includes(r.url())) seen.console.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    const resp = await page.goto(o.url, { waitUntil: "load", timeout: 20000 });
    if (origin !== null && (!resp || resp.status() !== 200)) fail(`${o.url.replace(/token=[^&]*/, "token=…")}: HTTP ${resp && resp.status()}`);
    let summary;
    if (o.mode === "report") summary = await checkReport(page, o, fail);
    else summary = await checkDashboard(page, o, fail);
    await page.screenshot({ path: path.join(o.out, `${o.name}.png`), fullPage: true });
    if (seen.external.length) fail(`requests outside the page's origin: ${seen.external.join(", ")}`);
    for (const c of seen.console) fail(c);
    summary.requests = seen.requests;
    summary.screenshot = path.join(o.out, `${o.name}.png`);
    console.log(JSON.stringify(summary));
  } finally {
    await browser.close();
  }
  for (const f of failures) console.log(`FAIL: ${f}`);
  process.exit(failures.length ? 1 : 0);
}

// Per figure: its svgs, its series (name, points) and how many drawn marks have a non-empty box.
function readFigures() {
  return [...document.querySelectorAll("figure")].map((f) => {
    const svgs = f.querySelectorAll("svg");
    const box = svgs.length ? svgs[0].getBoundingClientRect() : { width: 0, height: 0 };
    const series = [...f.querySelectorAll("g.series")].map((g) => {
      let drawn = 0;
      for (const el of g.querySelectorAll("polyline, rect, circle, path, line")) {
        const b = el.getBBox();
        if (b.width > 0 || b.height > 0) drawn++;
      }
      return { name: g.getAttribute("data-name"), points: Number(g.getAttribute("data-points")), drawn };
    });
    const latest = f.querySelector(".latest");
    return { id: f.id, svgs: svgs.length, width: box.width, height: box.height, series,
             latest: latest ? latest.textContent : null };
  });
}

async function checkReport(page, o, fail) {
  const figures = await page.evaluate(readFigures);
  if (figures.length === 0) fail("no <figure> in the report");
  for (const f of figures) {
    if (f.svgs !== 1) fail(`${f.id}: ${f.svgs} <svg> elements, want 1`);
    if (!(f.width > 0 && f.height > 0)) fail(`${f.id}: the chart has an empty box (${f.width}x${f.height})`);
    if (f.series.length === 0) fail(`${f.id}: no series`);
    if (!f.series.some((s) => s.points > 0)) fail(`${f.id}: no series has a point`);
    if (!f.series.some((s) => s.drawn > 0)) fail(`${f.id}: nothing drawn with a non-empty box`);
  }
  const e = o.expect || {};
  if (e.figures !== undefined && figures.length !== e.figures) fail(`${figures.length} figures, want ${e.figures}`);
  for (const [id, points] of Object.entries(e.series || {})) {
    const f = figures.find((x) => x.id === id);
    if (!f) { fail(`no figure ${id}`); continue; }
    const got = f.series.map((s) => s.points);
    if (JSON.stringify(got) !== JSON.stringify(points)) fail(`${id}: series points ${JSON.stringify(got)}, want ${JSON.stringify(points)}`);
  }
  return { mode: "report", figures: figures.map((f) => ({ id: f.id, series: f.series.map((s) => s.points) })) };
}

async function checkDashboard(page, o, fail) {
  const ready = async (min) => page.evaluate((n, min) => {
    const s = document.getElementById("status");
    return document.querySelectorAll("figure svg").length >= n && Number(s && s.dataset.samples) >= min;
  }, o.charts, min);
  const deadline = Date.now() + 15000;
  while (!(await ready(2)) && Date.now() < deadline) await sleep(200);
  if (!(await ready(2))) {
    fail(`the dashboard did not show ${o.charts} charts and 2 samples within 15 s`);
    return { mode: "dashboard" };
  }
  const samples = () => page.evaluate(() => Number(document.getElementById("status").dataset.samples));
  const first = await page.evaluate(readFigures);
  const s1 = await samples();
  await sleep(o.watchS * 1000);
  const second = await page.evaluate(readFigures);
  const s2 = await samples();
  if (first.length !== o.charts || second.length !== o.charts) fail(`${second.length} charts, want ${o.charts}`);
  if (!(s2 > s1)) fail(`no new sample in ${o.watchS} s (${s1} then ${s2})`);
  for (const id of o.changing) {
    const a = first.find((f) => f.id === "chart-" + id), b = second.find((f) => f.id === "chart-" + id);
    if (!a || !b) { fail(`no chart ${id}`); continue; }
    if (!b.series.some((s) => s.points > 0 && s.drawn > 0)) fail(`${id}: no series with drawn points`);
    if (a.latest === b.latest) fail(`${id}: the numbers did not change in ${o.watchS} s ("${b.latest}")`);
  }
  // Charts whose values may legitimately repeat (percentiles interpolated in one histogram
  // bucket): a series must have gained points.
  for (const id of o.growing) {
    const a = first.find((f) => f.id === "chart-" + id), b = second.find((f) => f.id === "chart-" + id);
    if (!a || !b) { fail(`no chart ${id}`); continue; }
    const grew = b.series.some((s) => s.drawn > 0 && s.points > (a.series.find((x) => x.name === s.name)?.points ?? 0));
    if (!grew) fail(`${id}: no series gained a point in ${o.watchS} s`);
  }
  const cookies = await page.cookies();
  const session = cookies.find((c) => c.name.startsWith("sl_dashboard_"));
  if (o.url.includes("token=")) {
    if (!session) fail("no session cookie after signing in with the token");
    else if (!session.httpOnly) fail("the session cookie is not HttpOnly");
    if ((await page.evaluate(() => document.cookie)).includes("sl_dashboard_")) fail("the page script can read the session cookie");
    if (page.url().includes("token=")) fail("the token is still in the address bar");
  }
  return { mode: "dashboard", samples: [s1, s2],
           charts: second.map((f) => ({ id: f.id, series: f.series.map((s) => [s.name, s.points]), latest: f.latest })),
           before: first.map((f) => f.latest) };
}

main().catch((e) => {
  console.log(`FAIL: ${e.stack || e}`);
  process.exit(1);
});

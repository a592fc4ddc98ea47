#!/usr/bin/env node
// Keeps a live dashboard open in headless Chromium (Debian's, through puppeteer-core from .deps)
// for SECONDS, as a user watching it would, and prints how many state polls the page made.
// Usage: dashboard_poller.cjs URL SECONDS   (URL: http://127.0.0.1:PORT/dashboard?token=...)
"use strict";
const path = require("path");
const puppeteer = require(path.join(__dirname, "../../.deps/node_modules/puppeteer-core"));

// CPU time (user + system, seconds) of a process and its descendants, from /proc.
function browserCpuSeconds(root) {
  const fs = require("fs");
  const procs = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch (e) { /* gone */ }
  }
  let ticks = 0;
  const inTree = (pid) => { for (let p = pid; p > 1; p = procs.get(p)?.ppid ?? 0) if (p === root) return true; return false; };
  for (const [pid, p] of procs) if (inTree(pid)) ticks += p.ticks;
  return ticks / 100;  // USER_HZ
}

(async () => {
  const [url, seconds] = [process.argv[2], Number(process.argv[3])];
  if (!url || !(seconds > 0)) {
    console.error("usage: dashboard_poller.cjs URL SECONDS");
    process.exit(2);
  }
  const browser = await puppeteer.launch({
    executablePath: process.env.STRAIGHTLINE_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  let polls = 0;
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on("response", (r) => { if (r.url().endsWith("/dashboard/state") && r.status() === 200) polls++; });
  await page.goto(url, { waitUntil: "load" });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu_s = browserCpuSeconds(browser.process().pid);
  await browser.close();
  console.log(JSON.stringify({ polls, seconds, browser_cpu_s: cpu_s }));
  process.exit(polls > 0 ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(1); });

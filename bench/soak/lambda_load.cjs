// Soak load on `straightline platform serve` through the official AWS SDK for JavaScript v3
// (@aws-sdk/client-lambda, in .deps): an independent Lambda client.
//
//   NODE_PATH=.deps/node_modules node lambda_load.cjs ENDPOINT AKID SECRET SECONDS RATE CONCURRENCY [BURST]
//
// RATE invocations per second, at most CONCURRENCY in flight, for SECONDS, mixed: echo with
// 100 B / 10 KB / 200 KB payloads (60 %), sleep 20 ms (20 %), the built-in `fail` (a handled
// error, expected: 10 %) and asynchronous (Event) echo (10 %). Prints one JSON line of counts;
// `unexpected` counts answers other than the expected one for each kind; the SDK does not retry
// (maxAttempts 1), so a throttle or a 5xx counts too. `skipped`: ticks with CONCURRENCY already in
// flight (the server is behind), not sent.
// BURST (default 8, 0: none): in the 10 s from second 30 of every minute, BURST invocations of the
// function `burst` (the built-in sleep, 200 ms) are kept in flight, so that BURST instances start
// and, with a short keep-alive, stop again every minute: the instances' life cycle is soaked too.
'use strict';
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');

async function main() {
  const [endpoint, accessKeyId, secretAccessKey, secondsArg, rateArg, concArg, burstArg] = process.argv.slice(2);
  const seconds = Number(secondsArg), rate = Number(rateArg), conc = Number(concArg);
  const burst = burstArg === undefined ? 8 : Number(burstArg);
  if (!endpoint || !(seconds > 0) || !(rate > 0) || !(conc > 0)) {
    process.stderr.write('usage: lambda_load.cjs ENDPOINT AKID SECRET SECONDS RATE CONCURRENCY [BURST]\n');
    process.exit(2);
  }
  const client = new LambdaClient({
    endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1,
  });
  const counts = { sent: 0, skipped: 0, ok: 0, handled_errors: 0, async_accepted: 0, burst_sent: 0, burst_ok: 0,
                   unexpected: 0, by_error: {} };
  const enc = new TextEncoder();
  const big = 'x'.repeat(200 * 1024), mid = 'y'.repeat(10 * 1024);
  let inflight = 0, seq = 0;
  const one = async () => {
    const i = seq++;
    const pick = i % 10;
    let cmd, kind;
    if (pick < 6) {
      const body = [JSON.stringify({ i }), JSON.stringify({ i, pad: mid }), JSON.stringify({ i, pad: big })][i % 3];
      cmd = new InvokeCommand({ FunctionName: 'echo', Payload: enc.encode(body) }); kind = 'echo';
    } else if (pick < 8) {
      cmd = new InvokeCommand({ FunctionName: 'sleep', Payload: enc.encode('{"ms":20}') }); kind = 'sleep';
    } else if (pick < 9) {
      cmd = new InvokeCommand({ FunctionName: 'fail', Payload: enc.encode('{"message":"soak"}') }); kind = 'fail';
    } else {
      cmd = new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: enc.encode('{"event":1}') });
      kind = 'event';
    }
    counts.sent++;
    try {
      const r = await client.send(cmd);
      if (kind === 'event') {
        if (r.StatusCode === 202) counts.async_accepted++; else counts.unexpected++;
      } else if (kind === 'fail') {
        if (r.FunctionError) counts.handled_errors++; else counts.unexpected++;
      } else if (r.StatusCode === 200 && !r.FunctionError) {
        counts.ok++;
      } else {
        counts.unexpected++;
      }
    } catch (e) {
      counts.unexpected++;
      const name = e.name || 'Error';
      counts.by_error[name] = (counts.by_error[name] || 0) + 1;
    }
  };
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  const burstOne = async () => {  // closed loop while in a burst window
    for (;;) {
      const now = Date.now();
      if (now >= end || (now - t0) % 60000 < 30000 || (now - t0) % 60000 >= 40000) return;
      counts.sent++; counts.burst_sent++;
      try {
        const r = await client.send(new InvokeCommand({ FunctionName: 'burst', Payload: enc.encode('{"ms":200}') }));
        if (r.StatusCode === 200 && !r.FunctionError) counts.burst_ok++; else counts.unexpected++;
      } catch (e) {
        counts.unexpected++;
        const name = e.name || 'Error';
        counts.by_error[name] = (counts.by_error[name] || 0) + 1;
      }
    }
  };
  const bursts = [];
  const burstLoop = async () => {
    for (let m = 0; t0 + m * 60000 + 30000 < end; m++) {
      const at = t0 + m * 60000 + 30000;
      if (at > Date.now()) await new Promise((r) => setTimeout(r, at - Date.now()));
      for (let k = 0; k < burst; k++) bursts.push(burstOne());
    }
  };
  const burstDone = burst > 0 ? burstLoop() : Promise.resolve();
  let next = t0;
  const pending = new Set();
  while (Date.now() < end) {
    const now = Date.now();
    if (now < next) { await new Promise((r) => setTimeout(r, next - now)); continue; }
    next += 1000 / rate;
    if (inflight >= conc) { counts.skipped++; continue; }  // the server is behind: not sent
    inflight++;
    const p = one().finally(() => { inflight--; pending.delete(p); });
    pending.add(p);
  }
  await Promise.all([...pending]);
  await burstDone;
  await Promise.all(bursts);
  counts.seconds = (Date.now() - t0) / 1000;
  process.stdout.write(JSON.stringify(counts) + '\n');
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });

// The official Azure Blob SDK (@azure/storage-blob) as the peer of bench/store_throughput on the
// same Azurite: for each size, N uploadFile calls (the SDK's defaults: single-shot up to 256 MiB)
// then N downloadToFile calls, THREADS at a time, timed inside node (no process start-up), and
// printed in store_throughput's columns. Connection string from AZURE_STORAGE_CONNECTION_STRING.
// Usage: node azure_sdk_peer.js NODE_MODULES_DIR WORKDIR CONTAINER SIZES OPS THREADS
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const [modules, workdir, container, sizesS, opsS, threadsS] = process.argv.slice(2);
const { BlobServiceClient } = require(path.resolve(modules) + '/@azure/storage-blob');

function pct(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
}
function sizeName(n) {
  if (n % (1 << 20) === 0) return `${n >> 20}MiB`;
  if (n % 1024 === 0) return `${n >> 10}KiB`;
  return `${n}B`;
}

async function main() {
  const cc = BlobServiceClient.fromConnectionString(process.env.AZURE_STORAGE_CONNECTION_STRING).getContainerClient(container);
  await cc.createIfNotExists();
  const sizes = sizesS.split(',').map(Number), ops = opsS.split(',').map(Number), threads = Number(threadsS);
  const run = `sdk-${process.pid}`;
  console.log(['backend'.padEnd(10), 'op'.padEnd(4), 'size'.padStart(8), 'ops'.padStart(5), 'thr'.padStart(4),
    'MB/s'.padStart(10), 'p50 ms'.padStart(10), 'p95 ms'.padStart(10), 'max ms'.padStart(10)].join(' '));
  for (let s = 0; s < sizes.length; s++) {
    const size = sizes[s], n = ops[s];
    const src = path.join(workdir, `sdk-src-${size}`);
    fs.writeFileSync(src, crypto.randomBytes(size));
    for (const op of ['put', 'get']) {
      const lat = new Array(n).fill(0);
      let next = 0;
      const worker = async () => {
        for (;;) {
          const i = next++;
          if (i >= n) return;
          const b = cc.getBlockBlobClient(`${run}/${size}/${String(i).padStart(5, '0')}`);
          const t0 = process.hrtime.bigint();
          if (op === 'put') await b.uploadFile(src);
          else await b.downloadToFile(path.join(workdir, `sdk-dst-${size}-${i % 64}`));
          lat[i] = Number(process.hrtime.bigint() - t0) / 1e6;
        }
      };
      const t0 = process.hrtime.bigint();
      await Promise.all(Array.from({ length: threads }, worker));
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      console.log(['sdk'.padEnd(10), op.padEnd(4), sizeName(size).padStart(8), String(n).padStart(5),
        String(threads).padStart(4), (size * n / wall / 1e6).toFixed(3).padStart(10), pct(lat, 0.5).toFixed(3).padStart(10),
        pct(lat, 0.95).toFixed(3).padStart(10), Math.max(...lat).toFixed(3).padStart(10)].join(' '));
    }
    for (let i = 0; i < n; i++) await cc.getBlockBlobClient(`${run}/${size}/${String(i).padStart(5, '0')}`).deleteIfExists();
  }
}
main().catch((e) => { console.error(e.stack || e); process.exit(1); });

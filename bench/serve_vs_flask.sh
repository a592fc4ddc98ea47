#!/usr/bin/env bash
# Issue 6, experiment 2: straightline's local tier vs the paper's baseline, Flask + PyTorch
# (Debian python3-flask, python3-torch, gunicorn), serving the SAME TorchScript file on the same
# machine in one run. For each server: closed-loop saturation tests (TOTAL single-image JSON
# requests released at once into the client backlog) with CONC and with CONC_HIGH connections, an
# open-loop test at a fixed RATE for DUR seconds, and closed loops of 32-image requests as JSON and
# through the binary tensor data extension (BATCH_TOTAL each, CONC connections), all with
# `straightline load`; then tables and the ratios.
# The CNN's compute limit is timed on the same TorchScript file at its fastest batch size (scanned
# 8..256; 1 torch thread per process; 1 process = per core, 2 processes = 2 cores).
# The load generator runs on the same 2 cores as the servers (nothing is pinned).
#   bench/serve_vs_flask.sh [BUILD_DIR]   env: OUT=/tmp/slf CONC=16 CONC_HIGH=64 TOTAL=4000 RATE=600
#                                               DUR=10 BATCH_TOTAL=400 (closed loops of 32-image requests)
#                                               MAX_BATCH=128 (straightline's dynamic batch limit, in samples)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}; SL=$B/straightline; OUT=${OUT:-/tmp/slf}
CONC=${CONC:-16}; CONC_HIGH=${CONC_HIGH:-64}; TOTAL=${TOTAL:-4000}; RATE=${RATE:-600}; DUR=${DUR:-10}; BATCH_TOTAL=${BATCH_TOTAL:-400}
MAX_BATCH=${MAX_BATCH:-128}
PY=/usr/bin/python3
# The same glibc malloc settings straightline sets for itself (src/common/malloc_tuning.h), for the
# Python peers and the compute limit too: without them PyTorch here page-faults its activations
# in on every batch (batch 32: ~2,800 instead of ~9,800 images/s per core).
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456
mkdir -p "$OUT"
[[ -f $OUT/fmnist-cnn.pt && -d $OUT/models/fmnist-cnn ]] || \
  $PY bench/serve_flask/make_model.py --out-dir "$OUT" --epochs 1 --straightline "$SL"

echo "== compute limit (same TorchScript file, 1 torch thread per process, at its fastest batch size)"
cat > "$OUT/limit.py" <<'PYEOF'
# Images/s of the model at batch size B (argv[2]; "scan" = try 8..256 for 2 s each and print
# "<best rate> <batch>"): the forward pass alone, no HTTP, no decoding.
import sys, time, torch
torch.set_num_threads(1)
m = torch.jit.load(sys.argv[1]); m.eval()
def rate(b, seconds):
    x = torch.rand(b, 1, 28, 28)
    with torch.no_grad():  # as flask_server.py
        for _ in range(5): m(x)
        n = 0; t = time.perf_counter()
        while time.perf_counter() - t < seconds: m(x); n += b
    return n / (time.perf_counter() - t)
if sys.argv[2] == "scan":
    best = max((rate(b, 2), b) for b in (8, 16, 32, 64, 128, 256))
    print(f"{best[0]} {best[1]}")
else:
    print(rate(int(sys.argv[2]), 5))
PYEOF
read -r _ best_batch <<< "$($PY "$OUT/limit.py" "$OUT/fmnist-cnn.pt" scan)"
one=$($PY "$OUT/limit.py" "$OUT/fmnist-cnn.pt" "$best_batch")
$PY "$OUT/limit.py" "$OUT/fmnist-cnn.pt" "$best_batch" > "$OUT/l_a" & $PY "$OUT/limit.py" "$OUT/fmnist-cnn.pt" "$best_batch" > "$OUT/l_b"; wait
two=$($PY -c "print($(cat "$OUT/l_a") + $(cat "$OUT/l_b"))")
printf 'fastest batch %s: per core %.0f images/s, 2 cores %.0f images/s\n' "$best_batch" "$one" "$two"

# straightline's gateway requires a bearer token (issue 14); load sends it to every server (Flask
# ignores it).
TOKEN_FILE=$OUT/token
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TOKEN_FILE"; chmod 600 "$TOKEN_FILE"
export STRAIGHTLINE_TOKEN; STRAIGHTLINE_TOKEN=$(cat "$TOKEN_FILE")
PORT=8611; PID=
stop() { if [[ -n $PID ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; fi; }
trap stop EXIT
wait_ready() { for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && return 0; sleep 0.2; done; echo "server on $PORT not ready"; exit 1; }
run() {  # name, command...
  local name=$1; shift
  PORT=$((PORT + 1)); "$@" --port "$PORT" > "$OUT/$name.log" 2>&1 & PID=$!
  wait_ready
  "$SL" load --target "http://127.0.0.1:$PORT" --model fmnist-cnn --phases 1:100000 --max-total 200 \
    --concurrency "$CONC" --backlog 100000 > /dev/null   # warm-up
  "$SL" load --target "http://127.0.0.1:$PORT" --model fmnist-cnn --phases 1:100000 --max-total "$TOTAL" \
    --concurrency "$CONC" --backlog 100000 --json-out "$OUT/$name.closed.json" > /dev/null
  "$SL" load --target "http://127.0.0.1:$PORT" --model fmnist-cnn --phases 1:100000 --max-total "$TOTAL" \
    --concurrency "$CONC_HIGH" --backlog 100000 --json-out "$OUT/$name.closedhigh.json" > /dev/null
  "$SL" load --target "http://127.0.0.1:$PORT" --model fmnist-cnn --phases "$DUR:$RATE" \
    --concurrency 64 --json-out "$OUT/$name.open.json" > /dev/null
  # Requests of 32 images each (JSON, 150 KB): the per-request costs spread over 32 images.
  "$SL" load --target "http://127.0.0.1:$PORT" --model fmnist-cnn --phases 1:100000 --max-total "$BATCH_TOTAL" \
    --mix batch:1:32 --concurrency "$CONC" --backlog 100000 --json-out "$OUT/$name.batch32.json" > /dev/null
  "$SL" load --target "http://127.0.0.1:$PORT" --model fmnist-cnn --phases 1:100000 --max-total "$BATCH_TOTAL" \
    --mix binary:1:32 --concurrency "$CONC" --backlog 100000 --json-out "$OUT/$name.binary32.json" > /dev/null
  stop
}
FL=(nice -n 0 $PY bench/serve_flask/flask_server.py --module "$OUT/fmnist-cnn.pt" --meta "$OUT/fmnist-cnn.json")
run flask-single "${FL[@]}" --mode single
run gunicorn-sync-2 "${FL[@]}" --mode gunicorn --workers 2 --threads 1
run gunicorn-gthread-2x4 "${FL[@]}" --mode gunicorn --workers 2 --threads 4
run straightline-local "$SL" serve --model "$OUT/models/fmnist-cnn" --tiers local --policy local \
  --local-threads 2 --max-batch "$MAX_BATCH" --max-queue-delay-us 500 --state-dir "$OUT/state" \
  --auth-token-file "$TOKEN_FILE"

$PY - "$OUT" "$two" "$CONC" "$TOTAL" "$RATE" "$DUR" "$CONC_HIGH" <<'PYEOF'
import json, sys
out, two, conc, total, rate, dur, conc_high = sys.argv[1], float(sys.argv[2]), *sys.argv[3:]
def row(name, kind):
    g = [g for g in json.load(open(f"{out}/{name}.{kind}.json"))["groups"] if g["phase"] == "all" and g["tier"] == "all"][0]
    return g
names = ["flask-single", "gunicorn-sync-2", "gunicorn-gthread-2x4", "straightline-local"]
print(f"\nclosed loop: {total} json requests, {conc} connections | open loop: {rate} req/s for {dur} s")
print(f"{'server':24} {'closed req/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'fail%':>6} | {'open req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'fail%':>6}")
r = {}
for n in names:
    c, o = row(n, "closed"), row(n, "open"); r[n] = (c, o)
    print(f"{n:24} {c['throughput_per_s']:12.0f} {c['p50_ms']:8.2f} {c['p99_ms']:8.2f} {100*c['failure_rate']:6.2f} | "
          f"{o['throughput_per_s']:10.0f} {o['p50_ms']:8.2f} {o['p99_ms']:8.2f} {100*o['failure_rate']:6.2f}")
sl = r["straightline-local"]
for n in names[:-1]:
    c, o = r[n]
    print(f"straightline / {n}: throughput {sl[0]['throughput_per_s']/c['throughput_per_s']:.2f}x, "
          f"closed p99 {sl[0]['p99_ms']:.2f} vs {c['p99_ms']:.2f} ms, open p99 {sl[1]['p99_ms']:.2f} vs {o['p99_ms']:.2f} ms")
print(f"straightline closed-loop throughput / 2-core compute limit: {sl[0]['throughput_per_s']:.0f} / {two:.0f} = {100*sl[0]['throughput_per_s']/two:.1f} %")
print(f"\nclosed loop: {total} json requests, {conc_high} connections")
print(f"{'server':24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'fail%':>6}")
hi = {}
for n in names:
    g = row(n, "closedhigh"); hi[n] = g
    print(f"{n:24} {g['throughput_per_s']:8.0f} {g['p50_ms']:8.2f} {g['p99_ms']:8.2f} {100*g['failure_rate']:6.2f}")
for n in names[:-1]:
    print(f"straightline / {n} at {conc_high} connections: throughput {hi['straightline-local']['throughput_per_s']/hi[n]['throughput_per_s']:.2f}x, "
          f"p99 {hi['straightline-local']['p99_ms']:.2f} vs {hi[n]['p99_ms']:.2f} ms")
for kind, label in (("batch32", "32-image JSON requests"), ("binary32", "32-image requests, binary tensor data extension (FP32)")):
    print(f"\n{label}, closed loop, {conc} connections")
    print(f"{'server':24} {'req/s':>8} {'images/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'fail%':>6} {'% of limit':>10}")
    for n in names:
        g = row(n, kind)
        print(f"{n:24} {g['throughput_per_s']:8.0f} {32*g['throughput_per_s']:9.0f} {g['p50_ms']:8.2f} {g['p99_ms']:8.2f} "
              f"{100*g['failure_rate']:6.2f} {100*32*g['throughput_per_s']/two:10.1f}")
PYEOF

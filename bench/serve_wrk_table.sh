#!/usr/bin/env bash
# Issue 22: serving speed at every operating point, measured with an independent client. wrk (one
# thread, DUR seconds, raw 784-byte application/octet-stream POSTs of one Fashion-MNIST-sized
# image) against, in one run on the same machine:
#   * straightline serve --tiers local, on the TorchScript CNN imported with `model import`
#     (what users bring from PyTorch), and on the native cnn of the same architecture;
#   * Flask + PyTorch, Flask's own server, one thread (the StraightLine paper's baseline);
#   * the same Flask app under gunicorn, one worker per core (2), GUNICORN_THREADS threads each
#     (default 2: the gthread worker, which keeps connections alive as wrk expects; 1 = sync).
# Every server gets the same malloc settings (src/common/malloc_tuning.h) and 1 torch thread per
# worker. Before the servers, predict_latency times the prediction alone at batch 1 (the floor).
# Prints one markdown table: req/s, p50 and p99 per server and connection count, and the ratios.
#   bench/serve_wrk_table.sh [BUILD_DIR]   env: OUT=/tmp/sl-wrk DUR=10 CONNS="1 4 16 64"
#                                               GUNICORN_THREADS=2 SKIP_NATIVE=0
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}; OUT=${OUT:-/tmp/sl-wrk}; DUR=${DUR:-10}; CONNS=${CONNS:-"1 4 16 64"}
GUNICORN_THREADS=${GUNICORN_THREADS:-2}; SKIP_NATIVE=${SKIP_NATIVE:-0}
SL=$B/straightline; PY=/usr/bin/python3
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/install-deps.sh)" >&2; exit 2; }
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456
mkdir -p "$OUT"
[[ -f $OUT/fmnist-cnn.pt && -d $OUT/models/fmnist-cnn ]] || \
  $PY bench/serve_flask/make_model.py --out-dir "$OUT" --epochs 1 --straightline "$SL" >/dev/null
if [[ $SKIP_NATIVE != 1 && ! -d $OUT/models/native-cnn ]]; then
  "$SL" train --dataset fashion-mnist --model cnn --epochs 1 --out "$OUT/models/native-cnn" >/dev/null
fi
head -c 784 /dev/urandom > "$OUT/image.bin"
TOKEN_FILE=$OUT/token
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TOKEN_FILE"; chmod 600 "$TOKEN_FILE"
cat > "$OUT/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("SL_TOKEN")
local f = assert(io.open(os.getenv("BODY_FILE"), "rb")); wrk.body = f:read("*a"); f:close()
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.1f %.1f %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout,
    e.status))
end
LUA
export SL_TOKEN; SL_TOKEN=$(cat "$TOKEN_FILE"); export BODY_FILE=$OUT/image.bin

echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A FLOOR
for m in fmnist-cnn native-cnn; do
  [[ -d $OUT/models/$m ]] || continue
  line=$("$B/bench/predict_latency" "$OUT/models/$m" 5000 1)
  echo "# predict_latency $m: $line"
  FLOOR[$m]=$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<< "$line")
done

PORT=8711; PID=
start() {  # NAME CMD...: starts a server on $PORT and waits until it answers
  local name=$1; shift
  "$@" > "$OUT/$name.log" 2>&1 & PID=$!
  for _ in $(seq 1 300); do
    curl -s -o /dev/null -H "Authorization: Bearer $SL_TOKEN" "http://127.0.0.1:$PORT/v2/health/ready" && return 0
    sleep 0.1
  done
  echo "$name did not start; see $OUT/$name.log" >&2; kill "$PID" 2>/dev/null; exit 1
}
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PORT=$((PORT + 1)); }
declare -A RPS P50 P99 ERR
run() {  # NAME MODEL: wrk at every connection count
  local name=$1 model=$2
  for c in $CONNS; do
    local r; r=$(wrk -t1 -c"$c" -d"${DUR}s" -s "$OUT/post.lua" "http://127.0.0.1:$PORT/v2/models/$model/infer" | grep '^RESULT')
    read -r _ n us p50 p99 sockerr staterr <<< "$r"
    RPS[$name,$c]=$(awk -v n="$n" -v us="$us" 'BEGIN{printf "%.0f", n / (us / 1e6)}')
    P50[$name,$c]=$(awk -v v="$p50" 'BEGIN{printf "%.2f", v / 1000}')
    P99[$name,$c]=$(awk -v v="$p99" 'BEGIN{printf "%.2f", v / 1000}')
    ERR[$name,$c]=$((sockerr + staterr))
  done
}

SERVE=("$SL" serve --tiers local --policy local --auth-token-file "$TOKEN_FILE" --no-dashboard)
start sl-imported "${SERVE[@]}" --port $PORT --model "$OUT/models/fmnist-cnn"; run sl-imported fmnist-cnn; stop
if [[ -d $OUT/models/native-cnn ]]; then
  start sl-native "${SERVE[@]}" --port $PORT --model "fmnist-cnn=$OUT/models/native-cnn"; run sl-native fmnist-cnn; stop
fi
FLASK=($PY bench/serve_flask/flask_server.py --module "$OUT/fmnist-cnn.pt" --meta "$OUT/fmnist-cnn.json" --torch-threads 1)
start flask "${FLASK[@]}" --port $PORT --mode single; run flask fmnist-cnn; stop
start gunicorn "${FLASK[@]}" --port $PORT --mode gunicorn --workers 2 --threads "$GUNICORN_THREADS"; run gunicorn fmnist-cnn; stop

echo
echo "| conns | straightline (imported) | straightline (native) | Flask (1 thread) | gunicorn (2 workers x $GUNICORN_THREADS threads) | imported vs Flask | imported vs gunicorn | imported vs native |"
echo "|---|---|---|---|---|---|---|---|"
cell() { [[ -n ${RPS[$1,$2]:-} ]] && echo "${RPS[$1,$2]} req/s, p50 ${P50[$1,$2]} ms, p99 ${P99[$1,$2]} ms$([[ ${ERR[$1,$2]} != 0 ]] && echo ", ${ERR[$1,$2]} errors")" || echo "–"; }
ratio() { [[ -n ${RPS[$1,$3]:-} && -n ${RPS[$2,$3]:-} ]] && awk -v a="${RPS[$1,$3]}" -v b="${RPS[$2,$3]}" 'BEGIN{printf "%.2fx", a / b}' || echo "–"; }
for c in $CONNS; do
  echo "| $c | $(cell sl-imported "$c") | $(cell sl-native "$c") | $(cell flask "$c") | $(cell gunicorn "$c") | $(ratio sl-imported flask "$c") | $(ratio sl-imported gunicorn "$c") | $(ratio sl-imported sl-native "$c") |"
done
c1=$(awk '{print $1}' <<< "$CONNS")
echo
echo "At $c1 connection(s): straightline (imported) p50 ${P50[sl-imported,$c1]} ms against the prediction alone at batch 1: $(awk -v v="${FLOOR[fmnist-cnn]:-0}" 'BEGIN{printf "%.3f", v / 1000}') ms (predict_latency p50)."

#!/usr/bin/env bash
# Issue 21 §5: the placement simulator against a real run on this host. Same placer, same load
# spec, the tiers sharing this machine's cores: `straightline serve` with the local, container
# (process mode) and function (embedded platform) tiers and `straightline load`, then
# `straightline simulate placement --shared-cores N` on the same spec and on the calibration
# measured here first, and the two reports side by side (failure rate, p50, p99, share by tier).
# The real run shares the machine with whatever else runs on it: the load average at the start and
# the end of each real run is printed (on a busy machine the real run gets less than N cores).
#
#   bench/placement_sim_validation.sh [BUILD_DIR]
#   env: OUT=/tmp/sl-simval  POLICIES="straightline adaptive"  RAMP=60:10:600 (DURATION:FROM:TO
#        sessions/s)  SESSION=3  MIX=json:8,pixels:1,batch:1:32  CONC=256  CORES=$(nproc)
#        MODEL_DIR= (a served model; default: trains the cnn 1 epoch into $OUT/models)
#        CAL_RATES=200,400,800,1200,...,4000 (calibrate --rates: finer steps bound the saturation rate)
#        SIM_FLAGS= (more `simulate placement` flags)  SKIP_REAL=1 (simulate again beside the
#        real-POLICY.json of an earlier run in $OUT)
# The calibration ($OUT/cal.json) is measured once and kept; delete it to measure again.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}; SL=$PWD/$B/straightline; OUT=${OUT:-/tmp/sl-simval}
POLICIES=${POLICIES:-straightline adaptive}; RAMP=${RAMP:-60:10:600}; SESSION=${SESSION:-3}
MIX=${MIX:-json:8,pixels:1,batch:1:32}; CONC=${CONC:-256}; CORES=${CORES:-$(nproc)}
PY=/usr/bin/python3
mkdir -p "$OUT"
MODEL_DIR=${MODEL_DIR:-$OUT/models/fmnist-cnn}
if [[ ! -f $MODEL_DIR/manifest.json ]]; then
  echo "== training the model to serve (cnn, 1 epoch)"
  "$SL" train --dataset fashion-mnist --model cnn --epochs 1 --seed 1 --quiet --out "$MODEL_DIR"
fi
TOKEN_FILE=$OUT/token
[[ -f $TOKEN_FILE ]] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TOKEN_FILE"; chmod 600 "$TOKEN_FILE"; }
TIERS=(--tiers local,container,function --container-mode process --min-containers 1 --max-containers 2
       --function-concurrency 32)
if [[ ! -f $OUT/cal.json ]]; then
  for attempt in 1 2 3; do
    echo "== calibrate, attempt $attempt (F, D, service/start times of the three tiers, this host)"
    if "$SL" calibrate --model "$MODEL_DIR" "${TIERS[@]}" --state-dir "$OUT/cal-state" --phase-s 3 \
         --rates "${CAL_RATES:-200,400,800,1200,1600,2000,2400,2800,3200,4000}" \
         --out "$OUT/cal.json" 2> "$OUT/calibrate.log"; then break; fi
    tail -2 "$OUT/calibrate.log"
  done
  [[ -f $OUT/cal.json ]] || { echo "calibrate failed 3 times"; exit 1; }
fi
if [[ ${SKIP_REAL:-0} == 1 && -f $OUT/spec.yaml ]]; then
  echo "== load spec kept from the earlier run"
else
IFS=: read -r DUR FROM TO <<< "$RAMP"
IFS=, read -ra MIXES <<< "$MIX"
{
  echo "target: http://127.0.0.1:8080"
  echo "model: fmnist-cnn"
  echo "phases: [{duration: $DUR, arrivalRate: $FROM, rampTo: $TO, name: ramp}]"
  echo "session: {requests: $SESSION}"
  echo "payloads:"
  for m in "${MIXES[@]}"; do
    IFS=: read -r kind weight batch <<< "$m"
    echo "  - {kind: $kind, weight: ${weight:-1}${batch:+, batch: $batch}}"
  done
  echo "concurrency: $CONC"
} > "$OUT/spec.yaml"
fi
echo "== load spec ($OUT/spec.yaml)"; cat "$OUT/spec.yaml"

PID=
stop() { if [[ -n $PID ]]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; fi; }
trap stop EXIT
for P in $POLICIES; do
  if [[ ${SKIP_REAL:-0} == 1 && -f $OUT/real-$P.json ]]; then
    echo "== real: kept from an earlier run ($OUT/real-$P.json)"
  else
  echo "== real: serve --policy $P, then load ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
  rm -rf "$OUT/state-$P"
  "$SL" serve --model fmnist-cnn="$MODEL_DIR" --port 0 --state-dir "$OUT/state-$P" \
    --auth-token-file "$TOKEN_FILE" "${TIERS[@]}" --policy "$P" --thresholds "$OUT/cal.json" \
    > "$OUT/serve-$P.out" 2> "$OUT/serve-$P.log" & PID=$!
  URL=
  for _ in $(seq 300); do
    URL=$(sed -n 's/^endpoint: //p' "$OUT/serve-$P.out" 2>/dev/null || true)
    [[ -n $URL ]] && curl -sf "$URL/v2/health/ready" > /dev/null && break
    kill -0 "$PID" 2>/dev/null || { echo "serve died:"; tail "$OUT/serve-$P.log"; exit 1; }
    sleep 0.1
  done
  "$SL" load --config "$OUT/spec.yaml" --target "$URL" --auth-token-file "$TOKEN_FILE" \
    --json-out "$OUT/real-$P.json" > "$OUT/real-$P.txt"
  stop
  echo "   done $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  fi
  echo "== simulated: the same spec, --policy $P, every tier on $CORES shared cores"
  # shellcheck disable=SC2086  # SIM_FLAGS is a list of flags
  "$SL" simulate placement --spec "$OUT/spec.yaml" --calibration "$OUT/cal.json" --policy "$P" \
    --tiers local,container,function --shared-cores "$CORES" --local-threads "$CORES" --min-containers 1 --container-replicas 2 \
    --function-concurrency 32 --cold-start measured --json-out "$OUT/sim-$P.json" ${SIM_FLAGS:-} \
    > "$OUT/sim-$P.txt"
done

"$PY" - "$OUT" $POLICIES <<'PYEOF'
import json, sys
out, policies = sys.argv[1], sys.argv[2:]
def row(j, tier="all"):
    return next(g for g in j["groups"] if g["phase"] == "all" and g["tier"] == tier)
def rel(a, b):
    return float("nan") if b == 0 and a != 0 else (0.0 if a == b else (a - b) / b)
print("| policy | run | requests | failure rate | p50 ms | p99 ms | session mean ms | by tier |")
print("|---|---|---|---|---|---|---|---|")
for p in policies:
    real = json.load(open(f"{out}/real-{p}.json"))
    sim = json.load(open(f"{out}/sim-{p}.json"))["policies"][0]
    for name, j in (("real", real), ("simulated", sim)):
        a = row(j)
        tiers = ", ".join(f'{g["tier"]} {g["requests"]:,}' for g in j["groups"]
                          if g["phase"] == "all" and g["tier"] != "all")
        print(f'| {p} | {name} | {a["requests"]:,} | {100 * a["failure_rate"]:.2f} % | {a["p50_ms"]:.2f} | '
              f'{a["p99_ms"]:.2f} | {a["session_mean_ms"]:.1f} | {tiers} |')
    ra, sa = row(real), row(sim)
    fr = sa["failure_rate"] - ra["failure_rate"]
    p50 = rel(sa["p50_ms"], ra["p50_ms"])
    print(f'| {p} | sim - real | | {100 * fr:+.2f} points | {100 * p50:+.1f} % | '
          f'{100 * rel(sa["p99_ms"], ra["p99_ms"]):+.1f} % | | |')
PYEOF

#!/usr/bin/env bash
# Issue 6, experiments 1 and 3: the StraightLine paper's ramp experiment scaled to this machine,
# against each single tier and both placement policies, plus a bursty load for adaptive vs
# straightline. One run, same model, same machine, one server at a time.
#
# For each configuration: `straightline serve` (single tier: --tiers T --policy T; policies: all
# three tiers), `straightline calibrate` first so that straightline's F and D are measured here,
# then `straightline load` with the phases below. After each load: the server's /metrics (billed
# cost, placements, cold starts, containers) and its peak RSS (VmHWM), then SIGTERM.
#
#   bench/serve_placement.sh [BUILD_DIR]
#   env: OUT=/tmp/sl-place  RAMP=120:2:150 (DURATION_S:FROM:TO sessions/s)  SESSION=3 (requests)
#        MIX=json:8,pixels:1,batch:1:32  BURST=10:10,5:200 (repeated BURSTS=4 times)
#        CONFIGS="local container function straightline adaptive" (also adaptive-sloN: --slo-ms N)
#        EXPERIMENTS="ramp burst" (also overload: OVERLOAD=30:700, ~10x what the mix can be served at)
#        SERVE_FLAGS= (more `serve` flags for every config, e.g. warm capacity:
#        "--min-containers 2 --provisioned 4")
#        CONC=256 (client connections: enough that the client is not the bottleneck)  SLO_MS= (adaptive --slo-ms; empty: none)
# The load generator runs on the same 2 cores as the server and its tiers (nothing is pinned).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}; SL=$B/straightline; OUT=${OUT:-/tmp/sl-place}
RAMP=${RAMP:-120:2:150}; SESSION=${SESSION:-3}; MIX=${MIX:-json:8,pixels:1,batch:1:32}
BURST=${BURST:-10:10,5:200}; BURSTS=${BURSTS:-4}; CONC=${CONC:-256}; OVERLOAD=${OVERLOAD:-30:700}
CONFIGS=${CONFIGS:-local container function straightline adaptive}
EXPERIMENTS=${EXPERIMENTS:-ramp burst}; SLO_MS=${SLO_MS:-}
PY=/usr/bin/python3
mkdir -p "$OUT"
MODEL_DIR=$OUT/models/fmnist-cnn
if [[ ! -f $MODEL_DIR/manifest.json ]]; then
  echo "== training the model to serve (cnn, 1 epoch)"
  "$SL" train --dataset fashion-mnist --model cnn --epochs 1 --seed 1 --quiet --out "$MODEL_DIR"
fi
STATE=$OUT/state
# The gateway requires a bearer token (issue 14): one for this run, sent by load and curl.
TOKEN_FILE=$OUT/token
[[ -f $TOKEN_FILE ]] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TOKEN_FILE"; chmod 600 "$TOKEN_FILE"; }
export STRAIGHTLINE_TOKEN; STRAIGHTLINE_TOKEN=$(cat "$TOKEN_FILE")
COMMON=(--model "$MODEL_DIR" --port 0 --state-dir "$STATE" --auth-token-file "$TOKEN_FILE" --container-mode auto
        --min-containers 1 --max-containers 2 --function-concurrency 32 --timeout-ms 50000)
if [[ ! -f $STATE/thresholds.json ]]; then
  echo "== calibrate (F and D measured here, written to $STATE/thresholds.json)"
  "$SL" calibrate --model "$MODEL_DIR" --state-dir "$STATE" --tiers local,container
fi

PID=; URL=
stop() {
  if [[ -n $PID ]]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; fi
}
trap stop EXIT
start() {  # config name → PID, URL
  local cfg=$1 log=$OUT/$2.serve.log args=()
  case $cfg in
    local|container|function) args=(--tiers "$cfg" --policy "$cfg") ;;
    straightline) args=(--tiers local,container,function --policy straightline) ;;
    adaptive) args=(--tiers local,container,function --policy adaptive ${SLO_MS:+--slo-ms "$SLO_MS"}) ;;
    adaptive-slo*) args=(--tiers local,container,function --policy adaptive --slo-ms "${cfg#adaptive-slo}") ;;
    *) echo "unknown config $cfg"; exit 2 ;;
  esac
  # shellcheck disable=SC2086  # SERVE_FLAGS is a list of flags
  "$SL" serve "${COMMON[@]}" "${args[@]}" ${SERVE_FLAGS:-} > "$log.out" 2> "$log" & PID=$!
  for _ in $(seq 300); do
    URL=$(sed -n 's/^endpoint: //p' "$log.out" 2>/dev/null || true)
    [[ -n $URL ]] && curl -sf "$URL/v2/health/ready" > /dev/null && return 0
    kill -0 "$PID" 2>/dev/null || { echo "serve $cfg died:"; tail "$log"; exit 1; }
    sleep 0.1
  done
  echo "serve $cfg not ready"; exit 1
}

phases_for() {
  case $1 in
    ramp) IFS=: read -r d a b <<< "$RAMP"; echo "$d:$a:$b" ;;
    burst) local p=; for _ in $(seq "$BURSTS"); do p+="${p:+,}$BURST"; done; echo "$p" ;;
    overload) echo "$OVERLOAD" ;;
  esac
}

for exp in $EXPERIMENTS; do
  PH=$(phases_for "$exp")
  for cfg in $CONFIGS; do
    name=$exp-$cfg
    echo "== $name: phases $PH, $SESSION requests per session, mix $MIX"
    start "$cfg" "$name"
    # Warm-up: one request per payload kind, so that the first measured requests do not pay for
    # loading (not starting: container and function starts stay in the measurement).
    "$SL" load --target "$URL" --model fmnist-cnn --phases 1:5 --mix "$MIX" > /dev/null
    grep VmRSS "/proc/$PID/status" | awk '{print $2}' > "$OUT/$name.rss0_kb"
    "$SL" load --target "$URL" --model fmnist-cnn --phases "$PH" --session-requests "$SESSION" \
      --mix "$MIX" --concurrency "$CONC" --json-out "$OUT/$name.json" --csv-out "$OUT/$name.csv" \
      | tail -n 3
    curl -sf -H "Authorization: Bearer $STRAIGHTLINE_TOKEN" "$URL/metrics" > "$OUT/$name.metrics"
    grep VmHWM "/proc/$PID/status" | awk '{print $2}' > "$OUT/$name.hwm_kb"
    stop
  done
done

$PY - "$OUT" "$EXPERIMENTS" "$CONFIGS" <<'PYEOF'
import json, re, sys
out, exps, cfgs = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def metric_sum(text, name, label=None):
    s = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (label is None or label in line):
            s += float(line.rsplit(" ", 1)[1])
    return s
for exp in exps:
    print(f"\n### {exp}")
    print("| config | requests | failure rate | p50 ms | p95 ms | p99 ms | session mean ms | sessions failed | by tier (requests) | placements by rule | billed USD | cold starts | RSS after warm-up / peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cfg in cfgs:
        name = f"{exp}-{cfg}"
        try:
            rep = json.load(open(f"{out}/{name}.json"))
        except FileNotFoundError:
            continue
        g = [g for g in rep["groups"] if g["phase"] == "all" and g["tier"] == "all"][0]
        tiers = {t["tier"]: t["requests"] for t in rep["groups"] if t["phase"] == "all" and t["tier"] != "all"}
        m = open(f"{out}/{name}.metrics").read()
        cost = metric_sum(m, "sl_serve_billed_cost_usd_total")
        cold = metric_sum(m, "sl_serve_cold_starts_total")
        hwm = int(open(f"{out}/{name}.hwm_kb").read().strip() or 0) / 1024
        rss0 = int(open(f"{out}/{name}.rss0_kb").read().strip() or 0) / 1024
        by = ", ".join(f"{k} {v}" for k, v in sorted(tiers.items()))
        rules = {}
        for line in m.splitlines():
            hit = re.match(r'sl_serve_placements_total\{.*rule="([^"]+)".*\} (\S+)$', line)
            if hit:
                rules[hit.group(1)] = rules.get(hit.group(1), 0) + float(hit.group(2))
        by_rule = ", ".join(f"{k} {v:.0f}" for k, v in sorted(rules.items()) if v > 0)
        print(f"| {cfg} | {g['requests']} | {100*g['failure_rate']:.2f} % | {g['p50_ms']:.1f} | {g['p95_ms']:.1f} | {g['p99_ms']:.1f} | "
              f"{g['session_mean_ms']:.1f} | {g['failed_sessions']}/{g['sessions']} | {by} | {by_rule} | {cost:.6f} | {cold:.0f} | {rss0:.0f} / {hwm:.0f} |")
PYEOF

#!/usr/bin/env bash
# Soak (issue 16): a bounded run of mixed load on the two long-lived servers, watching whether
# their memory, file descriptors, threads and processes stay flat. Not part of CI.
#
#   bench/soak/soak.sh [--minutes 30] [--out /tmp/sl-soak] [--build build] [--bin DIR]
#                      [--interval 5] [--judge-args "..."]   (passed to judge.py, e.g. "--rss-tol 0.05")
#
# Binaries: straightline and straightline-worker are copied from --build into OUT/bin and run from
# there, so that a relink of the build tree during the run changes nothing (--bin DIR: run DIR's
# copies as they are). Everything stays on 127.0.0.1 and in OUT: the servers listen on free ports
# the kernel picks (--port 0; printed as 'gateway port' and 'platform port'), state, tokens and
# credentials are in OUT. On exit or interrupt every process the script started is stopped.
#
# Servers (both on 127.0.0.1, authenticated):
#   gateway   `straightline serve --tiers local,function --policy straightline` of a small model
#             (F lowered so that both tiers take work as the request rate swings; function
#             instances kept 15 s when idle, so that they start and stop as the load swings)
#   platform  `straightline platform serve` with the built-ins echo, sleep and fail, and `burst`
#             (sleep) whose instances start and stop every minute; all kept 15 s when idle (SigV4)
# Load, all at once for --minutes:
#   gateway   `straightline load` in 60 s cycles (ramp 4 -> 40 sessions/s of 2 requests, hold,
#             ramp down; JSON, pixels, 16-image batches and 32-image binary tensors), and, as an
#             independent client, `wrk` (Debian) bursts of 10 s with 2 connections every 40 s
#   platform  the AWS SDK for JavaScript (lambda_load.cjs: echo 100 B-200 KB, sleep, fail,
#             Event) at 15 invocations/s, plus 8 `burst` invocations in flight for 10 s of every
#             minute, and /usr/bin/aws lambda invoke every 20 s
# Sampling: sample.py writes RSS, fds and threads of each server and its descendants every
# --interval seconds to OUT/samples.csv; judge.py decides flat or not (see its header). The
# script exits 1 if not flat, if a server died, did not exit 0 on SIGTERM or left processes
# behind, or if the clients saw more than 1 % failed gateway requests (straightline load), a
# failed load cycle, 1 % unexpected Lambda answers or any failed aws invoke (wrk's non-2xx under
# its unthrottled bursts are shed load: reported only).
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=30; OUT=/tmp/sl-soak; B=build; BIN=; INTERVAL=5; JUDGE_ARGS=
while [[ $# -gt 0 ]]; do
  case $1 in
    --minutes) MINUTES=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --build) B=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --judge-args) JUDGE_ARGS=$2; shift 2 ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
done
SRC=$(pwd)
PY=/usr/bin/python3
SECONDS_TOTAL=$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 + 0.5 }')
(( SECONDS_TOTAL >= 60 )) || { echo "--minutes must be at least 1"; exit 2; }
$PY bench/soak/judge.py --self-test > /dev/null || { echo "judge.py --self-test failed: it would not tell flat from leaking"; exit 2; }
command -v node > /dev/null || { echo "node is missing (scripts/install-deps.sh)"; exit 2; }
[[ -f $SRC/.deps/node_modules/@aws-sdk/client-lambda/package.json ]] \
  || { echo "no .deps/node_modules/@aws-sdk/client-lambda (scripts/install-deps.sh)"; exit 2; }
mkdir -p "$OUT"
OUT=$(readlink -f "$OUT")
if [[ -z $BIN ]]; then
  for f in straightline straightline-worker; do
    [[ -x $B/$f ]] || { echo "no $B/$f: build first (cmake --build $B --target straightline straightline-worker)"; exit 2; }
  done
  BIN=$OUT/bin
  mkdir -p "$BIN"
  # the platform finds straightline-worker next to straightline
  cp -f "$B/straightline" "$BIN/straightline.tmp" && mv -f "$BIN/straightline.tmp" "$BIN/straightline"
  cp -f "$B/straightline-worker" "$BIN/straightline-worker.tmp" && mv -f "$BIN/straightline-worker.tmp" "$BIN/straightline-worker"
fi
BIN=$(readlink -f "$BIN")
SL=$BIN/straightline
[[ -x $SL && -x $BIN/straightline-worker ]] || { echo "no straightline and straightline-worker in $BIN"; exit 2; }
rm -f "$OUT/samples.csv" "$OUT"/load-*.json "$OUT"/wrk-*.txt "$OUT"/awscli-*.json "$OUT/awscli.err" "$OUT/load.err" \
  "$OUT/lambda-load.json" "$OUT/lambda-load.err" "$OUT/loadavg.txt" "$OUT/judge.json" "$OUT/clients.json" \
  "$OUT/serve.out" "$OUT/serve.err" "$OUT/platform.out" "$OUT/platform.err"

echo "== soak: $MINUTES min, results in $OUT, binaries from $BIN ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ))"
MODEL_DIR=$OUT/models/fmnist-mlp
if [[ ! -f $MODEL_DIR/manifest.json ]]; then
  echo "== training the model to serve (mlp, 1 epoch)"
  "$SL" train --dataset fashion-mnist --model mlp --epochs 1 --seed 1 --quiet --out "$MODEL_DIR"
fi
MODEL=$(basename "$MODEL_DIR")

# --- stopping what we started, also on interrupt ---
SERVERS=()   # stopped with SIGTERM, so that they stop their function instances themselves
CLIENTS=()   # stopped with their descendants (a load cycle, wrk, aws, sleep)
descendants() {  # PID -> its descendants' pids, deepest last
  local k
  for k in $(pgrep -P "$1" 2>/dev/null || true); do echo "$k"; descendants "$k"; done
}
kill_tree() {
  local p all
  all="$1 $(descendants "$1" | tr '\n' ' ')"
  for p in $all; do kill -TERM "$p" 2>/dev/null || true; done
}
cleanup() {
  trap - EXIT INT TERM HUP
  local p i
  for p in "${CLIENTS[@]}"; do kill_tree "$p"; done
  for p in "${SERVERS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 300); do  # up to 30 s for the servers to drain and stop their instances
    local alive=0
    for p in "${SERVERS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.1
  done
  for p in "${SERVERS[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
      echo "soak: server $p did not stop on SIGTERM: killing it and its descendants" >&2
      for i in $p $(descendants "$p"); do kill -KILL "$i" 2>/dev/null || true; done
    fi
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'echo "soak: interrupted" >&2; exit 130' INT
trap 'echo "soak: terminated" >&2; exit 143' TERM HUP

loopback_port() {  # URL -> its port; fails unless the URL is http://127.0.0.1:PORT
  [[ $1 =~ ^http://127\.0\.0\.1:([0-9]+)$ ]] || { echo "soak: $1 is not on 127.0.0.1" >&2; return 1; }
  echo "${BASH_REMATCH[1]}"
}

# --- the gateway ---
TOKEN_FILE=$OUT/token
[[ -f $TOKEN_FILE ]] || { (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TOKEN_FILE"); }
export STRAIGHTLINE_TOKEN; STRAIGHTLINE_TOKEN=$(cat "$TOKEN_FILE")
"$SL" serve --model "$MODEL_DIR" --host 127.0.0.1 --port 0 --tiers local,function --policy straightline \
  --frequency-threshold 15 --state-dir "$OUT/serve" --auth-token-file "$TOKEN_FILE" --function-concurrency 8 \
  --keep-alive fixed:15s \
  --timeout-ms 30000 > "$OUT/serve.out" 2> "$OUT/serve.err" &
GW_PID=$!; SERVERS+=("$GW_PID")
GW=
for _ in $(seq 600); do
  GW=$(sed -n 's/^endpoint: //p' "$OUT/serve.out" 2>/dev/null || true)
  [[ -n $GW ]] && curl -sf "$GW/v2/health/ready" > /dev/null && break
  kill -0 "$GW_PID" 2>/dev/null || { echo "serve died:"; tail "$OUT/serve.err"; exit 1; }
  GW=; sleep 0.1
done
[[ -n $GW ]] || { echo "serve not ready in 60 s"; exit 1; }
GW_PORT=$(loopback_port "$GW")
echo "gateway $GW (gateway port $GW_PORT, pid $GW_PID)"

# --- the platform ---
SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
(umask 077; printf '[default]\naws_access_key_id = AKIDSOAK\naws_secret_access_key = %s\n' "$SECRET" > "$OUT/platform-creds")
cat > "$OUT/functions.yaml" <<'YAML'
provider: {name: aws-lambda, memorySize: 512, timeout: 10}
functions:  # kept 15 s when idle (not Lambda's ~10 min): the warm instances follow the load
  echo: {handler: echo, keepAlive: "fixed:15s"}
  sleep: {handler: sleep, keepAlive: "fixed:15s"}
  fail: {handler: fail, keepAlive: "fixed:15s"}
  burst: {handler: sleep, keepAlive: "fixed:15s"}
YAML
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$SL" platform serve --host 127.0.0.1 --port 0 \
  --functions "$OUT/functions.yaml" --credentials-file "$OUT/platform-creds" --state-dir "$OUT/platform" \
  > "$OUT/platform.out" 2> "$OUT/platform.err" &
PF_PID=$!; SERVERS+=("$PF_PID")
PF=
for _ in $(seq 300); do
  PF=$(sed -n 's/^endpoint: //p' "$OUT/platform.out" 2>/dev/null || true)
  [[ -n $PF ]] && curl -sf "$PF/healthz" > /dev/null && break
  kill -0 "$PF_PID" 2>/dev/null || { echo "platform serve died:"; tail "$OUT/platform.err"; exit 1; }
  PF=; sleep 0.1
done
[[ -n $PF ]] || { echo "platform serve not ready in 30 s"; exit 1; }
PF_PORT=$(loopback_port "$PF")
echo "platform $PF (platform port $PF_PORT, pid $PF_PID)"

# --- sampling ---
$PY bench/soak/sample.py --out "$OUT/samples.csv" --interval "$INTERVAL" gateway="$GW_PID" platform="$PF_PID" &
SAMPLER=$!; CLIENTS+=("$SAMPLER")

# --- load ---
T_START=$(date +%s)
DEADLINE=$(( T_START + SECONDS_TOTAL ))
$PY - /usr/share/datasets/fashion-mnist > "$OUT/request.json" <<'PY'
import gzip, json, sys
raw = gzip.open(sys.argv[1] + "/t10k-images-idx3-ubyte.gz").read()[16:16 + 784]
print(json.dumps({"inputs": [{"name": "input__0", "shape": [1, 1, 28, 28], "datatype": "FP32",
                              "data": [b / 255.0 for b in raw]}]}))
PY
cat > "$OUT/wrk.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("STRAIGHTLINE_TOKEN")
local f = assert(io.open(os.getenv("SOAK_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
LUA

gateway_load() {  # straightline load, 60 s cycles; a failed cycle is recorded and waited out
  local i=0 rc
  while (( $(date +%s) + 60 <= DEADLINE )); do
    rc=0
    "$SL" load --target "$GW" --model "$MODEL" --phases 20:4:40,20:40,20:40:4 --session-requests 2 \
      --mix json:6,pixels:2,batch:1:16,binary:1:32 --concurrency 16 --timeout-ms 30000 --seed "$i" \
      --json-out "$OUT/load-$i.json" > /dev/null 2>> "$OUT/load.err" || rc=$?
    if (( rc != 0 )); then echo "load cycle $i exited $rc" >> "$OUT/load.err"; sleep 10; fi
    i=$((i + 1))
  done
}
wrk_load() {  # 10 s bursts every 40 s
  local i=0
  command -v wrk > /dev/null || { echo "wrk not installed (apt-get install wrk): no independent gateway client" > "$OUT/wrk-none.txt"; return; }
  while (( $(date +%s) + 40 <= DEADLINE )); do
    SOAK_BODY=$OUT/request.json wrk -t1 -c2 -d10s -s "$OUT/wrk.lua" "$GW/v2/models/$MODEL/infer" > "$OUT/wrk-$i.txt" 2>&1 || true
    i=$((i + 1)); sleep 30
  done
}
awscli_load() {  # one aws lambda invoke every 20 s
  local i=0
  [[ -x /usr/bin/aws ]] || { echo "no /usr/bin/aws" > "$OUT/awscli.err"; return 0; }
  while (( $(date +%s) + 20 <= DEADLINE )); do
    AWS_ACCESS_KEY_ID=AKIDSOAK AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null \
      AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true /usr/bin/aws lambda invoke \
      --endpoint-url "$PF" --function-name echo --cli-binary-format raw-in-base64-out --payload "{\"n\":$i}" \
      "$OUT/awscli-out.json" > "$OUT/awscli-$i.json" 2>&1 \
      || echo "aws invoke $i failed: $(tail -1 "$OUT/awscli-$i.json")" >> "$OUT/awscli.err"
    i=$((i + 1)); sleep 20
  done
}
LOADERS=()
gateway_load & LOADERS+=($!)
wrk_load & LOADERS+=($!)
awscli_load & LOADERS+=($!)
NODE_PATH=$SRC/.deps/node_modules node bench/soak/lambda_load.cjs "$PF" AKIDSOAK "$SECRET" "$SECONDS_TOTAL" 15 16 8 \
  > "$OUT/lambda-load.json" 2> "$OUT/lambda-load.err" &
LOADERS+=($!)
CLIENTS+=("${LOADERS[@]}")

# While the load runs: the servers must stay up; the machine's load average once a minute.
NEXT_LA=0
while (( $(date +%s) < DEADLINE )); do
  for p in "$GW_PID" "$PF_PID"; do
    kill -0 "$p" 2>/dev/null || { echo "a server died (pid $p) at $(date)"; tail "$OUT/serve.err" "$OUT/platform.err"; exit 1; }
  done
  if (( $(date +%s) >= NEXT_LA )); then
    echo "$(( $(date +%s) - T_START )) $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/loadavg.txt"
    NEXT_LA=$(( $(date +%s) + 60 ))
  fi
  sleep 5
done
echo "== load done at $(date -u +%T); waiting for the clients"
for p in "${LOADERS[@]}"; do wait "$p" || true; done
T_LOAD_END=$(date +%s)
sleep $((INTERVAL * 3))  # idle samples after the load
kill -TERM "$SAMPLER"; wait "$SAMPLER" || true
# Which processes the servers had at the last sample: none may outlive them.
LAST_PIDS=$($PY - "$OUT/samples.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
last = rows[-1]["t_s"]
print(" ".join(f"{r['pid']}:{r['comm']}" for r in rows if r["t_s"] == last))
PY
)
for p in "$GW_PID" "$PF_PID"; do kill -TERM "$p"; done
RC_GW=0; RC_PF=0
wait "$GW_PID" || RC_GW=$?
wait "$PF_PID" || RC_PF=$?
SERVERS=(); CLIENTS=()
LEFT=
for pc in $LAST_PIDS; do
  p=${pc%%:*}; c=${pc#*:}
  [[ -r /proc/$p/status ]] && [[ $(sed -n 's/^Name:\t//p' "/proc/$p/status" 2>/dev/null | tr ',' '_') == "$c" ]] && LEFT+=" $p($c)"
done
sleep 1

# --- results ---
STATUS=0
echo "== clients ($(( T_LOAD_END - T_START )) s of load)"
$PY - "$OUT" "$(( T_LOAD_END - T_START ))" <<'PY' || STATUS=1
import glob, json, re, sys
out, secs = sys.argv[1], float(sys.argv[2])
req = fail = cycles = 0
tiers, tier_fail = {}, {}
for f in sorted(glob.glob(f"{out}/load-*.json")):
    rep = json.load(open(f))
    cycles += 1
    for g in rep["groups"]:
        if g["phase"] != "all":
            continue
        if g["tier"] == "all":
            req += g["requests"]; fail += g["failures"]
        else:
            tiers[g["tier"]] = tiers.get(g["tier"], 0) + g["requests"]
            tier_fail[g["tier"]] = tier_fail.get(g["tier"], 0) + g["failures"]
try:
    bad_cycles = [l for l in open(f"{out}/load.err").read().splitlines() if l.startswith("load cycle")]
except FileNotFoundError:
    bad_cycles = []
print(f"straightline load: {cycles} cycles ({len(bad_cycles)} failed), {req} requests ({req / secs:.1f}/s), "
      f"{fail} failed ({100.0 * fail / max(1, req):.3f} %); by tier {tiers}, failed by tier {tier_fail}")
wreq = wbad = werr = bursts = 0
wsecs = 0.0
for f in glob.glob(f"{out}/wrk-[0-9]*.txt"):
    t = open(f).read()
    bursts += 1
    m = re.search(r"(\d+) requests in ([\d.]+)s", t)
    if m:
        wreq += int(m.group(1)); wsecs += float(m.group(2))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t); wbad += int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    werr += sum(int(x) for x in m.groups()) if m else 0
print(f"wrk: {bursts} bursts, {wreq} requests ({wreq / max(wsecs, 1e-9):.0f}/s within bursts, {wreq / secs:.1f}/s overall), "
      f"{wbad} non-2xx, {werr} socket errors")
try:
    lam = json.loads(open(f"{out}/lambda-load.json").read().strip().splitlines()[-1])
    lam_bad = lam["sent"] == 0 or lam["unexpected"] > 0.01 * lam["sent"]
    print(f"AWS SDK for JavaScript on platform serve: {lam['sent']} sent ({lam['sent'] / lam['seconds']:.1f}/s), "
          f"{lam.get('skipped', 0)} not sent (16 in flight), ok {lam['ok']}, handled errors {lam['handled_errors']}, "
          f"Event accepted {lam['async_accepted']}, burst {lam.get('burst_ok', 0)}/{lam.get('burst_sent', 0)} ok, "
          f"unexpected {lam['unexpected']} {lam['by_error']}")
except Exception as e:
    lam = {"error": str(e)}
    lam_bad = True
    print(f"AWS SDK for JavaScript on platform serve: no report ({e})")
aws = len(glob.glob(f"{out}/awscli-[0-9]*.json"))
try:
    awsfail = len(open(f"{out}/awscli.err").read().splitlines())
except FileNotFoundError:
    awsfail = 0
print(f"aws lambda invoke: {aws} calls, {awsfail} failed")
json.dump({"seconds": secs, "straightline_load": {"cycles": cycles, "failed_cycles": len(bad_cycles), "requests": req,
           "failures": fail, "by_tier": tiers, "failures_by_tier": tier_fail},
           "wrk": {"bursts": bursts, "requests": wreq, "burst_seconds": wsecs, "non_2xx": wbad, "socket_errors": werr},
           "aws_sdk_js": lam, "aws_cli": {"calls": aws, "failed": awsfail}}, open(f"{out}/clients.json", "w"), indent=2)
# Shed load (429/503 under wrk's unthrottled bursts) is reported, not judged; lost or broken
# answers are.
bad = req == 0 or bad_cycles or fail > 0.01 * req or lam_bad or aws == 0 or awsfail > 0
sys.exit(1 if bad else 0)
PY
# What the platforms' ledgers say: invocations, outcomes and cold starts (instances started).
$PY - "$OUT" <<'PY'
import collections, json, sys
for name, path in (("gateway's function tier", "serve/platform/ledger.jsonl"), ("platform serve", "platform/ledger.jsonl")):
    n, cold, outcomes, inst = 0, 0, collections.Counter(), set()
    try:
        for line in open(f"{sys.argv[1]}/{path}"):
            r = json.loads(line)
            n += 1; cold += bool(r.get("cold_start")); outcomes[r.get("outcome", "?")] += 1; inst.add(r.get("instance_id"))
    except FileNotFoundError:
        pass
    print(f"{name} ledger: {n} invocations, {cold} cold starts, {len(inst)} instances, outcomes {dict(outcomes)}")
PY
for f in serve platform; do echo "$f log: $(grep -c ' [WE] ' "$OUT/$f.err" || true) warning/error lines"; done
echo "servers: gateway exit $RC_GW, platform exit $RC_PF after SIGTERM; processes left behind:${LEFT:- none}"
(( RC_GW == 0 && RC_PF == 0 )) || STATUS=1
[[ -z $LEFT ]] || STATUS=1
echo "machine load average (1/5/15 min) once a minute: $(awk '{print $2}' "$OUT/loadavg.txt" | sort -n | sed -n '1p;$p' | paste -sd- -) (1-min min-max); now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== resources (samples every ${INTERVAL}s: $OUT/samples.csv)"
# shellcheck disable=SC2086  # JUDGE_ARGS is a list of flags
$PY bench/soak/judge.py "$OUT/samples.csv" --json "$OUT/judge.json" $JUDGE_ARGS || STATUS=1
echo "== soak $( ((STATUS == 0)) && echo PASSED || echo FAILED ) ($MINUTES min, $(date -u +%FT%TZ))"
exit $STATUS

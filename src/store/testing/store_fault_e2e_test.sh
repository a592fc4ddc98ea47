#!/bin/bash
# Training and serving through a faulty object store (issue 16): s3rver on loopback behind
# sl-s3-fault-proxy, which injects 500s (before and after the write), 503 SlowDown, slow answers,
# connection resets mid-response or mid-upload and truncated bodies by a seeded schedule (about
# one request in five), and decides put-if-absent itself as AWS S3 does.
#   1. `train --workers 2 --store s3://...` through the proxy finishes with the same test accuracy
#      and byte-identical weights as the same job on the fault-free server, after the proxy injected
#      faults of every kind into its store traffic (coordinator and functions alike);
#   2. `serve --tiers function --model-store s3://...` through the proxy: the model goes into the
#      store and the predict functions load it from there in INIT, through the faults; every
#      request is answered, with the same outputs as the model's local prediction.
# Usage: store_fault_e2e_test.sh STRAIGHTLINE_EXE SOURCE_DIR   (SKIP, 77, without s3rver)
set -u
EXE=$(readlink -f "$1")
SRC=$(readlink -f "$2")
BIN=$(dirname "$EXE")
PROXY=$BIN/sl-s3-fault-proxy
S3RVER=$SRC/.deps/node_modules/s3rver/bin/s3rver.js  # started by start_s3rver
DATA=/usr/share/datasets/fashion-mnist
[ -f "$S3RVER" ] || { echo "SKIP: s3rver is not installed (scripts/install-deps.sh)"; exit 77; }
[ -d "$DATA" ] || { echo "SKIP: $DATA missing (Debian dataset-fashion-mnist)"; exit 77; }
[ -x "$PROXY" ] || { echo "FAIL: $PROXY missing (cmake --build build --target sl-s3-fault-proxy)"; exit 1; }
DIR=$(mktemp -d /tmp/sl-store-fault.XXXXXX)
. "$SRC/scripts/cli-test-lib.sh"

start_s3rver sl
unset AWS_ENDPOINT_URL  # each command names its endpoint: the server, or the proxy in front of it

# About 20 % of requests get a fault; at most 2 in a row per request (the store tries 5 times).
FAULTS=500:0.04,503:0.04,slow:0.04,reset:0.04,truncate:0.04
"$PROXY" --upstream-port "$S3PORT" --seed 16 --faults "$FAULTS" --slow-ms 20-200 --conditional-put \
  --stats-file "$DIR/proxy-stats.json" > "$DIR/proxy.out" 2> "$DIR/proxy.err" &
PROXY_PID=$!
PIDS+=($PROXY_PID)
for _ in $(seq 1 100); do grep -q '^listening: ' "$DIR/proxy.out" 2>/dev/null && break; sleep 0.1; done
PROXY_URL=$(sed -n 's/^listening: //p' "$DIR/proxy.out")
[ -n "$PROXY_URL" ] || fail "the fault proxy did not start"
proxy_stats() { curl -sf "$PROXY_URL/__fault-proxy/stats"; }

# --- 1. training: the same job on the fault-free server and through the faults ---
train() {  # name endpoint
  (cd "$DIR" && AWS_ENDPOINT_URL=$2 "$EXE" train --dataset fashion-mnist --data-dir "$DATA" --model logreg \
     --workers 2 --epochs 1 --rounds-per-epoch 4 --seed 1 --memory 1024 --store "s3://sl/$1" \
     --state-dir "$DIR/$1-state" --out "$DIR/$1-model" --json > "$DIR/$1.json" 2> "$DIR/$1.err") \
    || fail "train $1 failed"
}
T0=$(date +%s.%N)
train clean "http://127.0.0.1:$S3PORT"
T1=$(date +%s.%N)
BEFORE=$(proxy_stats)
train faulty "$PROXY_URL"
T2=$(date +%s.%N)
AFTER=$(proxy_stats)
/usr/bin/python3 - "$DIR" "$BEFORE" "$AFTER" "$T0" "$T1" "$T2" <<'PY' || fail "training through the faults differs"
import json, sys
d, before, after = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
t0, t1, t2 = map(float, sys.argv[4:7])
clean, faulty = json.load(open(f"{d}/clean.json")), json.load(open(f"{d}/faulty.json"))
mc, mf = json.load(open(f"{d}/clean-model/manifest.json")), json.load(open(f"{d}/faulty-model/manifest.json"))
assert faulty["test_accuracy"] > 0.75, faulty["test_accuracy"]
assert faulty["test_accuracy"] == clean["test_accuracy"], (faulty["test_accuracy"], clean["test_accuracy"])
assert mf["weights"]["sha256"] == mc["weights"]["sha256"], "weights differ from the fault-free run"
reqs = after["requests"] - before["requests"]
inj = {k: after["injected"][k] - before["injected"].get(k, 0) for k in after["injected"]}
assert reqs >= 50, reqs
for k in ("500", "503", "reset", "truncate", "slow"):
    assert inj[k] >= 1, f"no '{k}' fault was injected into the training's {reqs} requests: {inj}"
fr = faulty.get("total", {})
sr = faulty.get("store_retries", {})
assert sr.get("functions", 0) + sr.get("coordinator", 0) >= 1, f"the run report shows no store retries: {sr}"
assert clean.get("store_retries", {}) == {"functions": 0, "coordinator": 0}, clean.get("store_retries")
print(f"training: test accuracy {faulty['test_accuracy']:.4f} with and without faults, identical weights "
      f"(sha256 {mf['weights']['sha256'][:12]}); {reqs} store requests through the proxy, "
      f"{sum(inj.values())} faults injected {inj}; the report: {sr['functions']} store retries in the functions, "
      f"{sr['coordinator']} in the coordinator; {fr.get('invocations')} invocations; "
      f"wall {t1 - t0:.1f} s clean vs {t2 - t1:.1f} s faulty")
PY
[ $? = 0 ] || exit 1

# --- 2. serving: the model through the faulty store into the predict functions ---
AWS_ENDPOINT_URL=$PROXY_URL "$EXE" serve --model "fmnist=$DIR/clean-model" --port 0 --tiers function --policy function \
  --model-store s3://sl/models --function-concurrency 3 --auth none --state-dir "$DIR/serve" \
  > "$DIR/serve.log" 2> "$DIR/serve.err" &
SERVE_PID=$!
PIDS+=($SERVE_PID)
for _ in $(seq 1 600); do grep -q '^endpoint: ' "$DIR/serve.log" 2>/dev/null && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' "$DIR/serve.log")
[ -n "$EP" ] || fail "serve printed no endpoint line"
BEFORE=$(proxy_stats)
/usr/bin/python3 - "$DATA" "$EP" "$EXE" "$DIR/clean-model" <<'PY' || fail "serving through the faults lost requests"
import concurrent.futures, gzip, json, subprocess, sys, urllib.request
data, ep, exe, model = sys.argv[1:5]
raw = gzip.open(data + "/t10k-images-idx3-ubyte.gz").read()
def body(i):
    px = raw[16 + 784 * i:16 + 784 * (i + 1)]
    return json.dumps({"inputs": [{"name": "input__0", "shape": [1, 1, 28, 28], "datatype": "FP32",
                                   "data": [b / 255.0 for b in px]}]}).encode()
def infer(i):
    req = urllib.request.Request(f"{ep}/v2/models/fmnist/infer", data=body(i % 4), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        assert r.status == 200, r.status
        assert r.headers.get("X-Straightline-Tier", "").startswith("function"), r.headers.get("X-Straightline-Tier")
        return i % 4, json.loads(r.read())
# 3 at a time, so that several function instances start and each loads the model through the faults.
with concurrent.futures.ThreadPoolExecutor(3) as pool:
    results = list(pool.map(infer, range(30)))
by_input = {}
for i, resp in results:
    out = json.dumps(resp["outputs"], sort_keys=True)
    by_input.setdefault(i, set()).add(out)
assert all(len(v) == 1 for v in by_input.values()), "different answers for the same input"
# The same predictions as the model run locally: class and its probability.
for i in range(4):
    p = subprocess.run([exe, "predict", "--model", model, "--input", data + "/t10k-images-idx3-ubyte.gz", "--index", str(i), "--json"],
                       capture_output=True, text=True, check=True)
    local = json.loads(p.stdout)
    outs = {o["datatype"]: o for o in json.loads(next(iter(by_input[i])))}
    assert outs["BYTES"]["data"][0] == local["class"], (i, outs["BYTES"], local["class"])
    assert abs(max(outs["FP32"]["data"]) - local["probability"]) < 1e-4, (i, max(outs["FP32"]["data"]), local["probability"])
print(f"serving: 30/30 requests answered by the function tier, each input's answer the same every time and "
      f"the same as `predict` (class and probability)")
PY
[ $? = 0 ] || exit 1
AFTER=$(proxy_stats)
INSTANCES=$(cat "$DIR"/serve/platform/logs/*.log 2>/dev/null | grep -c "INIT_START")
/usr/bin/python3 - "$BEFORE" "$AFTER" "$INSTANCES" <<'PY' || fail "serving did not go through the proxy"
import json, sys
b, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"serving: model store traffic since start {a['requests']} requests in all, {a['faults']} faults injected in all "
      f"(conditional puts refused: {a['conditional_refused']}); {sys.argv[3]} predict instances loaded the model from it")
assert a["requests"] > b["requests"] or int(sys.argv[3]) >= 1
PY
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
kill -TERM "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null
echo "proxy: $(cat "$DIR/proxy-stats.json")"
echo "PASS"

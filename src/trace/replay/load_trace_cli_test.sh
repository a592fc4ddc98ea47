#!/bin/bash
# `straightline load --trace` as a user runs it, on the shared Azure trace samples (read in place
# from ../shared/data): a short replay of each format on the embedded platform (a few trace minutes
# at high --speed, a handful of functions touching 1 % of their apps' memory: seconds of wall time,
# and little enough work that cold starts stay well inside the 10 s INIT limit on a busy machine), the JSON report against the
# ledger, and clear errors for bad flags and bad traces. Functions run as real instances of the
# `trace` handler; no network beyond loopback.
# Usage: load_trace_cli_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
PY=/usr/bin/python3
SAMPLES=$(cd "$SRC/../shared/data/azure-functions-trace" 2>/dev/null && pwd) ||
  { echo "FAIL: no trace samples in $SRC/../shared/data/azure-functions-trace"; exit 1; }
DIR=$(mktemp -d /tmp/sl-load-trace-cli.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
. "$SRC/scripts/cli-test-expect.sh"
cd "$DIR" || exit 1
INV="$SAMPLES/sample104_inv.csv"
T21="$SAMPLES/azure2021_sample200.csv"
COMMON=(--function-isolation none --state-dir "$DIR/state")

# --- help ---
run load --trace --help
expect_rc 0 "load --trace --help"
expect_out "--touch-scale" "load --trace --help"
expect_out "--minutes" "load --trace --help"
run load --help
expect_rc 0 "load --help"
expect_out "load --trace PATH --help" "load --help names the trace mode"

# --- 2019: 4 trace minutes of 4 functions at speed 40 (6 s), JSON report vs ledger ---
run load --trace "$INV" --minutes 0-4 --functions 4 --seed 24 --speed 40 --touch-scale 0.01 \
  --keep-alive fixed:1m --json-out "$DIR/r2019.json" "${COMMON[@]}"
expect_rc 0 "2019 replay"
expect_out "sampled 4 of the 37 with invocations in the window (104 in the trace)" "2019 replay"
expect_out "minutes replayed: 0-4 of 0-1440" "2019 replay"
expect_out "speed 40: send times and handler durations divided by 40" "2019 replay"
expect_out "handlers touch 0.01 x their app's memory share" "2019 replay"
expect_out "simulator (fixed(60s)" "2019 replay"
check "2019 report and ledger" '
r = json.load(open(sys.argv[1]))
t = r["total"]
assert r["changes"]["functions_sampled"] == 4 and r["changes"]["speed"] == 40, r["changes"]
assert r["changes"]["minutes"] == [0, 4], r["changes"]["minutes"]
assert t["planned"] == t["sent"] == t["completed"] > 0 and t["failed"] == 0, t
assert t["cold_starts"] >= 4, t
assert sum(f["sent"] for f in r["functions"]) == t["sent"]
assert all(f["cold_starts"] >= 1 for f in r["functions"]), "every function starts cold"
rows = [json.loads(l) for l in open(sys.argv[2])]
rows = [x for x in rows if x.get("stage") == "trace-replay"]
assert len(rows) == t["sent"], (len(rows), t["sent"])
mem = {f["name"]: f["memory_mb"] for f in r["functions"]}
for x in rows:
    assert x["memory_mb"] == mem[x["function"]], x
billed = sum(x["billed_ms"] / 1000 * x["memory_mb"] / 1024 for x in rows)
assert abs(billed - t["billed_gb_s"]) < 1e-6 * max(1, billed), (billed, t["billed_gb_s"])
assert t["wasted_gb_s"] >= 0 and "simulated" in t
' "$DIR/r2019.json" "$DIR/state/ledger.jsonl"

# --- 2021: 2 minutes of 5 functions at speed 20, --json ---
rm -rf "$DIR/state"
run load --trace "$T21" --trace-format 2021 --minutes 0-2 --functions 5 --speed 20 --json "${COMMON[@]}"
expect_rc 0 "2021 replay"
check "2021 report" '
r = json.load(open(sys.argv[1]))
t = r["total"]
assert t["sent"] == t["completed"] == t["planned"] > 0 and t["failed"] == 0, t
assert r["keep_alive"] == "fixed", r["keep_alive"]
assert any("2021 format" in n for n in r["notes"]), r["notes"]
' "$DIR/out"

# --- the same replay on another FunctionHost: --platform lambda against `platform serve` (SigV4) ---
printf '[default]\naws_access_key_id = AKIDTRACEREPLAY\naws_secret_access_key = trace-replay-secret\n' >"$DIR/creds"
"$EXE" platform serve --port 0 --credentials-file "$DIR/creds" --function-isolation none \
  --local-cpus 1000 --state-dir "$DIR/remote" >"$DIR/serve.out" 2>"$DIR/serve.err" &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do grep -q '^endpoint: ' "$DIR/serve.out" && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' "$DIR/serve.out")
[ -n "$EP" ] || fail "platform serve printed no endpoint: $(cat "$DIR/serve.err")"
AWS_ACCESS_KEY_ID=AKIDTRACEREPLAY AWS_SECRET_ACCESS_KEY=trace-replay-secret AWS_REGION=us-east-1 \
  run load --trace "$INV" --minutes 0-4 --functions 4 --seed 24 --speed 20 --touch-scale 0.01 \
  --platform lambda --endpoint-url "$EP" --state-dir "$DIR/caller" --json
expect_rc 0 "--platform lambda replay"
check "--platform lambda report" '
r = json.load(open(sys.argv[1]))
t = r["total"]
assert r["target"] == "lambda", r["target"]
assert t["planned"] == t["sent"] == t["completed"] > 0 and t["failed"] == 0, t
assert t["cold_starts"] >= 4, t
assert "wasted_gb_s" not in t and "simulator" not in r, "no live instance counts from a remote host"
assert any("NOT compressed" in n for n in r["measured_vs_emulated"]), r["measured_vs_emulated"]
rows = [json.loads(l) for l in open(sys.argv[2])]
assert len([x for x in rows if x["function"].startswith("trace-")]) == t["sent"], len(rows)
' "$DIR/out" "$DIR/remote/ledger.jsonl"
kill $SERVE_PID; wait $SERVE_PID 2>/dev/null

# --- --target URL: the 2021 sample as KServe v2 requests to a running `serve` (a small real model) ---
"$EXE" train --dataset fashion-mnist --model logreg --epochs 1 --limit 3000 --quiet --out "$DIR/fmnist" \
  >/dev/null 2>"$DIR/err" || fail "train the gateway's model"
"$EXE" serve --model "$DIR/fmnist" --port 0 --state-dir "$DIR/serve" --tiers local \
  >"$DIR/gw.out" 2>"$DIR/gw.err" &
GW_PID=$!
trap 'kill $GW_PID $SERVE_PID 2>/dev/null; wait $GW_PID $SERVE_PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 300); do grep -q '^endpoint: ' "$DIR/gw.out" && break; sleep 0.1; done
GW=$(sed -n 's/^endpoint: //p' "$DIR/gw.out")
[ -n "$GW" ] || fail "serve printed no endpoint: $(tail -5 "$DIR/gw.err")"
run load --trace "$T21" --speed 120 --target "$GW" --model fmnist --json
expect_rc 2 "gateway without the token"
expect_err "--auth-token-file" "gateway without the token"
run load --trace "$T21" --speed 120 --target "$GW" --model fmnist \
  --auth-token-file "$DIR/serve/token" --json
expect_rc 0 "gateway replay"
check "gateway report" '
r = json.load(open(sys.argv[1]))
t = r["total"]
assert r["target"] == "gateway" and t["planned"] == t["sent"] == 199, t
assert t["completed"] == 199 and t["failed"] == 0, t
assert t["tiers"] == {"local": 199}, t["tiers"]
' "$DIR/out"
kill $GW_PID; wait $GW_PID 2>/dev/null

# --- bad flags and bad traces ---
run load --trace
expect_rc 2 "--trace without a value"
run load --trace "$DIR/missing.csv"
expect_rc 2 "missing trace"
expect_err "missing.csv" "missing trace names the file"
printf 'app,func,end_timestamp,duration\na,f,1.5,x\n' >"$DIR/bad.csv"
run load --trace "$DIR/bad.csv"
expect_rc 2 "malformed 2021 trace"
expect_err "bad.csv:2:" "malformed trace names file:line"
run load --trace "$INV" --trace-format 2021
expect_rc 2 "wrong --trace-format"
expect_err "is a 2019 trace" "wrong --trace-format"
run load --trace "$INV" --speed 0
expect_rc 2 "--speed 0"
expect_err "--speed 0" "--speed 0"
run load --trace "$INV" --minutes 30-10
expect_rc 2 "--minutes backwards"
expect_err "--minutes '30-10'" "--minutes backwards"
run load --trace "$INV" --minutes 1400-1500
expect_rc 2 "--minutes past the end"
expect_err "has minutes 0-1440" "--minutes past the end"
run load --trace "$INV" --memory-percentile 120 --dry-run
expect_rc 2 "--memory-percentile"
expect_err "--memory-percentile 120" "--memory-percentile"
run load --trace "$INV" --minutes 0-4 --functions 4 --seed 24 --memory-percentile 95 --dry-run
expect_rc 0 "--dry-run"
expect_out "app's p95 allocated memory" "--dry-run with --memory-percentile"
expect_out "peak touched memory" "--dry-run"
run load --trace "$T21" --real-durations --speed 10 --default-memory-mb 512 --dry-run
expect_rc 0 "--real-durations --dry-run"
expect_out "not divided by the speed" "--real-durations"
expect_out "512 MB assumed" "--default-memory-mb"
run load --trace "$T21" --default-memory-mb 0
expect_rc 2 "--default-memory-mb 0"
expect_err "--default-memory-mb 0" "--default-memory-mb 0"
run load --trace "$INV" --arrivals bursty
expect_rc 2 "--arrivals"
expect_err "bursty" "--arrivals"
run load --trace "$INV" --keep-alive forever "${COMMON[@]}"
expect_rc 2 "--keep-alive"
expect_err "--keep-alive" "--keep-alive"
run load --trace "$INV" --target gateway
expect_rc 2 "gateway without a model"
expect_err "--model" "gateway without a model"
run load --trace "$INV" --target http://10.1.2.3:8080 --model m
expect_rc 2 "non-loopback gateway"
expect_err "loopback" "non-loopback gateway"
run load --trace "$INV" --target somewhere
expect_rc 2 "--target"
expect_err "want platform, gateway" "--target"
# The whole day of every function cannot be held here with the apps' memory: refused up front.
run load --trace "$INV" --max-memory-gb 1 "${COMMON[@]}"
expect_rc 2 "memory budget"
expect_err "over the 1024 MB" "memory budget"
echo "PASS"

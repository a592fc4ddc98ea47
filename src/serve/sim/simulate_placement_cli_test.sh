#!/bin/bash
# `straightline simulate placement` as a user runs it: a hand-made calibration file and load spec,
# two policies and a fixed one (table, --json, --json-out with load's per-second timeline), the
# queueing of a hand-worked case (2 cores, 10 ms, arrivals every 4 ms: p50 12 ms), the same numbers
# for the same seed, and clear errors. No processes besides the executable, no network.
# Usage: simulate_placement_cli_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
PY=/usr/bin/python3
DIR=$(mktemp -d /tmp/sl-simulate-placement-cli.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
. "$SRC/scripts/cli-test-expect.sh"
cd "$DIR" || exit 1

# A calibration as `straightline calibrate` writes it: local 1 + 0.05 ms/sample, container
# 1.5 + 0.06, function 3 + 0.06; a container start of 800 ms and a function INIT of 300 ms.
cat > cal.json <<'JSON'
{"format": "straightline-thresholds/1", "model": "fmnist-cnn", "frequency_threshold_per_s": 300,
 "size_threshold_bytes": 100000, "window_ms": 1000,
 "measurements": {"sizes": [
   {"samples_per_request": 1, "bytes": 4783,
    "local": {"mean_ms": 1.05, "p50_ms": 1.0, "p99_ms": 1.3, "success": 1},
    "container": {"mean_ms": 1.56, "p50_ms": 1.5, "p99_ms": 2.0, "success": 1},
    "function": {"mean_ms": 3.06, "p50_ms": 3.0, "p99_ms": 4.0, "success": 1}},
   {"samples_per_request": 32, "bytes": 150000,
    "local": {"mean_ms": 2.6, "p50_ms": 2.5, "p99_ms": 3.2, "success": 1},
    "container": {"mean_ms": 3.42, "p50_ms": 3.3, "p99_ms": 4.3, "success": 1},
    "function": {"mean_ms": 4.92, "p50_ms": 4.8, "p99_ms": 6.2, "success": 1}}],
  "tiers": {"container": {"start_ms_ewma": 800}, "function": {"start_ms_ewma": 300}},
  "host_cores": 2}}
JSON
cat > ramp.yaml <<'YAML'
target: http://127.0.0.1:8080
model: fmnist-cnn
phases: [{duration: 10, arrivalRate: 10, rampTo: 400, name: ramp}]
session: {requests: 3}
payloads: [{kind: json, weight: 8}, {kind: pixels, weight: 1}, {kind: batch, weight: 1, batch: 32}]
concurrency: 256
YAML

# --- help and the study list ---
run simulate placement --help
expect_rc 0 "placement --help"
expect_out "--calibration" "placement --help"
expect_out "--shared-cores" "placement --help"
run simulate
expect_rc 2 "simulate without a study"
expect_err "straightline simulate placement --spec LOAD_SPEC --calibration FILE" "simulate without a study"

# --- two policies and a fixed one: a table, and JSON in load's shape ---
run simulate placement --spec ramp.yaml --calibration cal.json --policy straightline,adaptive \
  --policy local --json-out "$DIR/sim.json"
expect_rc 0 "ramp"
expect_out "== policy straightline" "ramp"
expect_out "== policy adaptive" "ramp"
expect_out "== policy local" "ramp"
expect_out "placements:" "ramp"
expect_out "start 800 ms" "ramp (the calibration's container start)"
expect_out "# JSON report with the per-second timelines: $DIR/sim.json" "ramp"
check "ramp json-out" '
r = json.load(open(sys.argv[1]))
assert r["simulate"] == "placement"
assert [p["policy"] for p in r["policies"]] == ["straightline", "adaptive", "local"], r["policies"]
assert r["calibration"]["frequency_threshold_per_s"] == 300
assert abs(r["calibration"]["local"]["per_request_ms"] - 1.0) < 1e-6, r["calibration"]["local"]
sessions = round((10 + 400) / 2 * 10)
for p in r["policies"]:
    g = {(x["phase"], x["tier"]): x for x in p["groups"]}
    a = g[("all", "all")]
    assert a["sessions"] == sessions, (a["sessions"], sessions)
    # Every session sends 3 requests unless one fails (which ends it) or it was dropped.
    assert a["requests"] <= 3 * sessions and a["requests"] >= 3 * (sessions - a["failed_sessions"])
    assert sum(x["requests"] for k, x in g.items() if k[0] == "all" and k[1] != "all") == a["requests"]
    placed = sum(n for rules in p["placements"].values() for n in rules.values())
    assert placed >= a["requests"] - p["dropped_sessions"], (placed, a["requests"])
    t = p["timeline"]
    assert t["bucket_s"] == 1 and len(t["t_s"]) >= 10, len(t["t_s"])
    assert sum(t["sessions_launched"]) == sessions, sum(t["sessions_launched"])
    assert sum(t["requests"]) == a["requests"]
    tt = p["tier_timeline"]
    assert len(tt["t_s"]) == len(tt["local_queued"]) >= 10
    assert p["simulated"]["events"] > 0 and 10 <= p["simulated"]["simulated_s"] < 12
sl, ad, lo = r["policies"]
# Algorithm 1: above F = 300/s the small requests go to functions, the 32-image ones (150 KB > D)
# to containers; the fixed policy keeps everything local.
assert sl["placements"]["function"]["frequent_small"] > 0, sl["placements"]
assert sl["placements"]["container"]["large"] > 0, sl["placements"]
assert list(lo["placements"]) == ["local"], lo["placements"]
assert any(t["tier"] == "function" and t["starts"] > 0 and t["cost_usd"] > 0 for t in sl["tiers"])
' "$DIR/sim.json"

# --- the same seed, the same numbers; --json has no timelines ---
run simulate placement --spec ramp.yaml --calibration cal.json --policy adaptive --json
expect_rc 0 "json"
cp "$DIR/out" "$DIR/a.json"
run simulate placement --spec ramp.yaml --calibration cal.json --policy adaptive --json
check "deterministic" '
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for x in (a, b):
    assert "timeline" not in x["policies"][0]
    x["policies"][0].pop("simulated")
assert a == b
' "$DIR/a.json" "$DIR/out"

# --- a case worked by hand: 2 cores, 10 ms a request, one every 4 ms (queueing 0, 0, 2, 2, 4, 4) ---
cat > fixed.json <<'JSON'
{"frequency_threshold_per_s": 500, "size_threshold_bytes": 65536,
 "measurements": {"sizes": [{"samples_per_request": 1,
   "local": {"mean_ms": 10, "p50_ms": 10, "p99_ms": 10}}]}}
JSON
cat > six.yaml <<'YAML'
model: m
phases: [{duration: 0.024, arrivalRate: 250}]
YAML
run simulate placement --spec six.yaml --calibration fixed.json --policy local --tiers local \
  --local-cores 2 --max-batch 1 --json
expect_rc 0 "hand-worked"
check "hand-worked" '
r = json.load(open(sys.argv[1]))
a = [g for g in r["policies"][0]["groups"] if g["phase"] == "all" and g["tier"] == "all"][0]
assert a["requests"] == 6 and a["failures"] == 0, a
assert abs(a["mean_ms"] - 12) < 1e-6, a["mean_ms"]          # (10+10+12+12+14+14) / 6
assert abs(a["p50_ms"] - 12) <= 12 * 0.016 and abs(a["max_ms"] - 14) < 1e-6, a
' "$DIR/out"

# --- errors name the flag ---
run simulate placement --calibration cal.json
expect_rc 2 "no spec"
expect_err "--spec: required" "no spec"
run simulate placement --spec ramp.yaml --calibration "$DIR/none.json"
expect_rc 2 "missing calibration"
expect_err "none.json not found" "missing calibration"
expect_err "straightline calibrate" "missing calibration"
echo '{"frequency_threshold_per_s": 1, "size_threshold_bytes": 2}' > bad.json
run simulate placement --spec ramp.yaml --calibration bad.json
expect_rc 2 "calibration without measurements"
expect_err "bad.json: no 'measurements'" "calibration without measurements"
run simulate placement --spec ramp.yaml --calibration cal.json --policy fastest
expect_rc 2 "bad policy"
expect_err "unknown policy 'fastest'" "bad policy"
run simulate placement --spec ramp.yaml --calibration cal.json --tiers local,gpu
expect_rc 2 "bad tier"
expect_err "--tiers: 'gpu'" "bad tier"
run simulate placement --spec ramp.yaml --calibration cal.json --function-memory-mb 50
expect_rc 2 "bad memory"
expect_err "aws-lambda" "bad memory"
run simulate placement --spec ramp.yaml --calibration cal.json --provider nowhere
expect_rc 2 "bad provider"
expect_err "--provider" "bad provider"
run simulate placement --spec ramp.yaml --calibration cal.json --cold-start sometimes
expect_rc 2 "bad cold start"
expect_err "--cold-start: 'sometimes'" "bad cold start"
printf 'model: m\nphases: [{duration: 0, arrivalRate: 5}]\n' > zero.yaml
run simulate placement --spec zero.yaml --calibration cal.json
expect_rc 2 "bad spec"
expect_err "--spec:" "bad spec"
echo "PASS"

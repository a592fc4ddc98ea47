#!/bin/bash
# `straightline plan` and `train --provider preprocess=P1,train=P2` as a user runs them (issue 21
# §3), on the embedded platform: clear errors for unknown stages and providers (train and plan);
# two small logreg runs under aws-lambda (1,769 and 512 MB) as the stage profiles; the plan from
# them (text and JSON: every provider per stage, the per-stage plan never dearer than the best
# single provider, a deadline no plan meets, inference under an SLO); then a mixed run
# (preprocessing under gcp-functions, training under aws-lambda) whose ledger, run report, cost
# report and HTML report say which provider ran what, and whose ledger cost is compared with the
# plan's prediction of that assignment (printed; within 40 %; docs/benchmarks.md has the record).
# Usage: plan_cli_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
PY=/usr/bin/python3
DIR=$(mktemp -d /tmp/sl-plan-cli.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
. "$SRC/scripts/cli-test-expect.sh"
cd "$DIR" || exit 1
SMALL=(--dataset fashion-mnist --model logreg --workers 2 --epochs 1 --limit 600 --seed 1 --speculative-after 0 --quiet)

# --- stage syntax: clear errors naming the stage or provider ---
run train "${SMALL[@]}" --provider prep=gcp-functions,train=aws-lambda --store "file://$DIR/bad"
expect_rc 2 "train: unknown stage"
expect_err "--provider: unknown stage 'prep' in 'prep=gcp-functions' (stages: preprocess, train)" "train: unknown stage"
run train "${SMALL[@]}" --provider preprocess=gcp-functions,train=awz --store "file://$DIR/bad"
expect_rc 2 "train: unknown provider"
expect_err "--provider: stage 'train': provider 'awz'" "train: unknown provider"
expect_err "aws-lambda" "train: unknown provider lists the known ones"
run train "${SMALL[@]}" --provider preprocess=gcp-functions --memory preprocess=lots --store "file://$DIR/bad"
expect_rc 2 "train: bad stage memory"
expect_err "--memory: 'lots' is not a number of MB" "train: bad stage memory"
run train "${SMALL[@]}" --provider preprocess=gcp-functions --compare-providers aws,gcp --store "file://$DIR/bad"
expect_rc 2 "train: per-stage providers with --compare-providers"
expect_err "does not combine with --provider preprocess=gcp-functions" "train: --compare-providers"
run plan
expect_rc 2 "plan without inputs"
expect_err "nothing to plan" "plan without inputs"
run plan --stages preprocess,serve --service-ms 5 --rate 1
expect_rc 2 "plan: unknown stage"
expect_err "--stages: unknown stage 'serve'" "plan: unknown stage"

# --- the stage profiles: the same job at 1,769 MB and at 512 MB under aws-lambda ---
run train "${SMALL[@]}" --store "file://$DIR/a" --out "$DIR/model-a" --json
expect_rc 0 "profile run at 1769 MB"
cp "$DIR/out" "$DIR/a.json"
run train "${SMALL[@]}" --memory 512 --store "file://$DIR/a512" --out "$DIR/model-a512" --json
expect_rc 0 "profile run at 512 MB"

run plan --run "file://$DIR/a" --provider preprocess=gcp-functions,train=nope
expect_rc 2 "plan: unknown provider"
expect_err "--provider: stage 'train': provider 'nope'" "plan: unknown provider"
run plan --run "$DIR/a.json" --run "file://$DIR/a512"
expect_rc 0 "plan from two runs"
expect_out "stage preprocess: measured 2 invocations" "plan text"
expect_out "% of its time follows CPU" "plan text: calibration"
expect_out "best single provider:" "plan text"
expect_out "run it: straightline train" "plan text"
run plan --run "$DIR/a.json" --run "file://$DIR/a512" --json
expect_rc 0 "plan --json"
cp "$DIR/out" "$DIR/plan.json"
check "plan JSON: every provider per stage, the plan no dearer than one provider" '
j = json.load(open(sys.argv[1]))
names = {s["stage"]: [p["provider"] for p in s["providers"]] for s in j["stages"]}
assert set(names) == {"preprocess", "train"}, names
assert "aws-lambda" in names["train"] and "gcp-functions" in names["preprocess"], names
assert j["plan"]["found"] and j["best_single"]["found"]
assert j["plan"]["cost_usd"] <= j["best_single"]["cost_usd"] * (1 + 1e-12), (j["plan"]["cost_usd"], j["best_single"]["cost_usd"])
for name, c in j["single"].items():
    if c["found"] and c["meets_deadline"] and c["meets_slo"]:
        assert j["plan"]["cost_usd"] <= c["cost_usd"] * (1 + 1e-12), name
' "$DIR/plan.json"
run plan --run "$DIR/a.json" --deadline 0.001
expect_rc 0 "plan with a deadline nobody meets"
expect_out "MISSES the deadline" "impossible deadline"
run plan --run "$DIR/a.json" --service-ms 20 --service-p99-ms 40 --rate 5 --init-ms 300 --slo-p99-ms 60 --json
expect_rc 0 "plan with inference"
check "inference under the SLO" '
j = json.load(open(sys.argv[1]))
inf = j["plan"]["stages"]["inference"]
assert j["plan"]["meets_slo"] and inf["p99_ms"] <= 60, inf
assert inf["invocations"] == 18000, inf
assert set(j["plan"]["stages"]) == {"preprocess", "train", "inference"}
' "$DIR/out"

# Inference profiles from files: a `load --json-out` report (its function tier's row) and a ledger
# of the function tier's predict function (written here in their formats).
cat >"$DIR/load.json" <<'JSON'
{"target": "http://127.0.0.1:1", "model": "m", "wall_s": 60, "phases": [{"name": "steady"}],
 "groups": [{"phase": "all", "tier": "all", "requests": 600, "failures": 0, "p50_ms": 9, "p99_ms": 30, "throughput_per_s": 10},
            {"phase": "all", "tier": "function", "requests": 600, "failures": 0, "p50_ms": 8, "p99_ms": 25, "throughput_per_s": 10}]}
JSON
run plan --inference "$DIR/load.json" --slo-p99-ms 100 --json
expect_rc 0 "plan --inference LOAD_REPORT"
check "inference from a load report" '
j = json.load(open(sys.argv[1]))
assert [s["stage"] for s in j["stages"]] == ["inference"], j["stages"]
assert "tier(s), p50 8.00 ms and p99 25.00 ms" in j["measured"]["inference"], j["measured"]
assert j["plan"]["stages"]["inference"]["invocations"] == 36000, j["plan"]["stages"]["inference"]
' "$DIR/out"
"$PY" - "$DIR/ledger.jsonl" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(50):
        f.write(json.dumps({"request_id": "r%d" % i, "function": "predict-m", "provider": "aws-lambda", "memory_mb": 1769,
                            "duration_ms": 12.0, "cold_start": i == 0, "init_ms": 350.0 if i == 0 else 0.0,
                            "max_memory_used_mb": 120, "start_time": "2026-12-07T10:00:%02d.000Z" % i}) + "\n")
PYEOF
run plan --inference "$DIR/ledger.jsonl" --rate 2 --json
expect_rc 0 "plan --inference LEDGER"
check "inference from a ledger" '
j = json.load(open(sys.argv[1]))
m = j["measured"]["inference"]
assert "50 successful invocations of predict-m under aws-lambda at 1769 MB (1 cold)" in m, m
assert "2.00 requests/s" in m and "mean 12.00 ms" in m, m
' "$DIR/out"
run plan --inference "$DIR/a.json"
expect_rc 2 "plan --inference with a training run"
expect_err "not a ledger or a load report" "plan --inference with a training run"

# --- a mixed run: preprocessing under gcp-functions, training under aws-lambda ---
MIXED=(--provider preprocess=gcp-functions,train=aws-lambda --memory preprocess=512,train=512)
run plan --run "$DIR/a.json" --run "file://$DIR/a512" "${MIXED[@]}" --json
expect_rc 0 "plan: predict the mixed assignment"
cp "$DIR/out" "$DIR/predicted.json"
run train "${SMALL[@]}" "${MIXED[@]}" --store "file://$DIR/b" --out "$DIR/model-b" --json
expect_rc 0 "mixed run"
cp "$DIR/out" "$DIR/b.json"
check "mixed run: ledger rows, run report and prediction" '
p = json.load(open(sys.argv[1]))["assignment"]
b = json.load(open(sys.argv[2]))
assert b["stage_providers"]["preprocess"] == {"provider": "gcp-functions", "memory_mb": 512}, b["stage_providers"]
assert b["stage_providers"]["train"] == {"provider": "aws-lambda", "memory_mb": 512}, b["stage_providers"]
assert b["preprocessing"]["provider"] == "gcp-functions" and b["training"]["provider"] == "aws-lambda"
rows = [json.loads(l) for l in open(b["ledger"]) if l.strip()]
by = {}
for r in rows:
    by.setdefault(r["stage"].split("-")[0], set()).add((r["provider"], r["memory_mb"]))
assert by["preprocess"] == {("gcp-functions", 512)} and by["round"] == {("aws-lambda", 512)}, by
ledger = sum(r["cost_usd"] for r in rows)
assert abs(ledger - b["total"]["cost_usd"]) < 1e-12, (ledger, b["total"]["cost_usd"])
err = (p["cost_usd"] - ledger) / ledger
print("from the two aws-lambda runs: predicted $%.8f (preprocess $%.8f, train $%.8f), ledger $%.8f, error %+.1f %%" % (
    p["cost_usd"], p["preprocess"]["cost_usd"], p["train"]["cost_usd"], ledger, 100 * err))
# Durations measured on a machine shared with other work move with its load (a 1 vCPU function
# got 0.5 s or 7 s of preprocessing), so across runs only a sanity bound is asserted here; the
# recorded error is in docs/benchmarks.md (bench/stage_plan_validation.sh).
assert 1 / 3 < p["cost_usd"] / ledger < 3, err
' "$DIR/predicted.json" "$DIR/b.json"
cat "$DIR/pyout"
# The run's own profile, predicted at its own assignment: the same durations priced by the plan's
# model must give the ledger's bill (billing rounding, INIT where billed, per-stage profiles).
run plan --run "$DIR/b.json" "${MIXED[@]}" --json
expect_rc 0 "plan: the mixed run's own assignment"
check "prediction of a run's own assignment = its ledger" '
p = json.load(open(sys.argv[1]))["assignment"]
b = json.load(open(sys.argv[2]))
ledger = sum(json.loads(l)["cost_usd"] for l in open(b["ledger"]) if l.strip())
assert abs(p["cost_usd"] - ledger) <= 1e-9 + 0.01 * ledger, (p["cost_usd"], ledger)
for stage, key in (("preprocess", "preprocessing"), ("train", "training")):
    assert abs(p[stage]["cost_usd"] - b[key]["cost_usd"]) <= 1e-9 + 0.01 * b[key]["cost_usd"], (stage, p[stage], b[key]["cost_usd"])
print("own assignment: predicted $%.8f, ledger $%.8f" % (p["cost_usd"], ledger))
' "$DIR/out" "$DIR/b.json"
cat "$DIR/pyout"
run train "${SMALL[@]}" "${MIXED[@]}" --store "file://$DIR/b2" --out "$DIR/model-b2"
expect_rc 0 "mixed run, text"
expect_out "preprocessing 512 MB under gcp-functions, training 512 MB under aws-lambda" "run report header"
LEDGER=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ledger"])' "$DIR/b.json")
run cost --ledger "$LEDGER" --by provider
expect_rc 0 "cost by provider"
expect_out "gcp-functions" "cost by provider"
expect_out "aws-lambda" "cost by provider"
run report "file://$DIR/b" --out "$DIR/report.html"
expect_rc 0 "report of the mixed run"
grep -qF "preprocess=gcp-functions,train=aws-lambda" "$DIR/report.html" || fail "report: the mixed run's label is missing"
echo PASS

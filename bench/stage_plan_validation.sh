#!/bin/bash
# The per-stage plan against the ledger of the actual run (issue 21 §3's validation). Per repeat:
#   1. two profile runs of the same small job under aws-lambda, at 1,769 MB (1 vCPU) and 512 MB
#      (0.29 vCPU): the stage profiles, and how much of each stage follows CPU;
#   2. `straightline plan` from them: the cheapest per-stage plan over every provider, and the
#      prediction of a fixed mixed assignment (MIXED, default preprocessing under gcp-functions at
#      512 MB, training under aws-lambda at 1,024 MB);
#   3. both assignments run on the embedded platform (each profile's CPU quota, limits, billing);
#      their ledgers' cost and measured T_parallel against the prediction.
# Prints one line per run: predicted and ledger cost, error; predicted and measured time (the
# prediction less the providers' emulated cold-start overhead, which no measured time contains).
# The machine's load average is printed with each repeat: durations measured on a shared 2-core
# machine move with it.
#
# Usage: bench/stage_plan_validation.sh [STRAIGHTLINE_EXE]
#   env: REPEATS=3 JOB="--dataset fashion-mnist --model mlp --limit 3000 --workers 2 --epochs 1"
#        MIXED="--provider preprocess=gcp-functions,train=aws-lambda --memory preprocess=512,train=1024"
#        OUT=/tmp/sl-stage-plan-validation
set -euo pipefail
EXE=${1:-$(dirname "$0")/../build/straightline}
REPEATS=${REPEATS:-3}
JOB=${JOB:-"--dataset fashion-mnist --model mlp --limit 3000 --workers 2 --epochs 1"}
MIXED=${MIXED:-"--provider preprocess=gcp-functions,train=aws-lambda --memory preprocess=512,train=1024"}
OUT=${OUT:-/tmp/sl-stage-plan-validation}
rm -rf "$OUT"
mkdir -p "$OUT"
COMMON="$JOB --seed 1 --speculative-after 0 --quiet --json"
echo "job: $JOB"
echo "mixed: $MIXED"

# compare NAME PREDICTION_JSON RUN_JSON: one line of predicted vs ledger.
compare() {
  python3 - "$@" <<'EOF'
import json, sys
name, pred_file, run_file = sys.argv[1:4]
p = json.load(open(pred_file))
p = p.get("assignment", p)
b = json.load(open(run_file))
ledger = sum(json.loads(l)["cost_usd"] for l in open(b["ledger"]) if l.strip())
cold = sum(p[s].get("provider_cold_start_s", 0) for s in ("preprocess", "train") if s in p)
t_pred = p["training_time_s"] - cold
t_meas = b["total"]["t_parallel_s"]
sp = b["stage_providers"]
print("%-8s %-48s predicted $%.8f ledger $%.8f error %+6.1f %% | time predicted %.2f s measured %.2f s (%+.1f %%)" % (
    name, "preprocess=%s@%d train=%s@%d" % (sp["preprocess"]["provider"], sp["preprocess"]["memory_mb"],
                                            sp["train"]["provider"], sp["train"]["memory_mb"]),
    p["cost_usd"], ledger, 100 * (p["cost_usd"] - ledger) / ledger, t_pred, t_meas, 100 * (t_pred - t_meas) / t_meas))
EOF
}

for r in $(seq 1 "$REPEATS"); do
  D="$OUT/r$r"
  mkdir -p "$D"
  echo "--- repeat $r, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  # shellcheck disable=SC2086
  "$EXE" train $COMMON --store "file://$D/a" --out "$D/model" >"$D/a.json"
  # shellcheck disable=SC2086
  "$EXE" train $COMMON --memory 512 --store "file://$D/a512" --out "$D/model" >"$D/a512.json"
  "$EXE" plan --run "$D/a.json" --run "$D/a512.json" --json >"$D/plan.json"
  # shellcheck disable=SC2086
  "$EXE" plan --run "$D/a.json" --run "$D/a512.json" $MIXED --json >"$D/mixed-pred.json"
  read -r PLAN_FLAGS < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["plan"]["stages"]
print("--provider preprocess=%s,train=%s --memory preprocess=%d,train=%d" % (
    s["preprocess"]["provider"], s["train"]["provider"], s["preprocess"]["memory_mb"], s["train"]["memory_mb"]))' "$D/plan.json")
  # shellcheck disable=SC2086
  "$EXE" plan --run "$D/a.json" --run "$D/a512.json" $PLAN_FLAGS --json >"$D/plan-pred.json"
  # shellcheck disable=SC2086
  "$EXE" train $COMMON $MIXED --store "file://$D/mixed" --out "$D/model" >"$D/mixed.json"
  # shellcheck disable=SC2086
  "$EXE" train $COMMON $PLAN_FLAGS --store "file://$D/planned" --out "$D/model" >"$D/planned.json"
  python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print("plan: %s; best single %s $%.8f vs plan $%.8f" % (
    ", ".join("%s=%s@%d" % (k, v["provider"], v["memory_mb"]) for k, v in j["plan"]["stages"].items()),
    j["best_single_provider"], j["best_single"]["cost_usd"], j["plan"]["cost_usd"]))
for k, v in j["measured"].items(): print("  %s: %s" % (k, v))' "$D/plan.json"
  compare mixed "$D/mixed-pred.json" "$D/mixed.json"
  compare planned "$D/plan-pred.json" "$D/planned.json"
done

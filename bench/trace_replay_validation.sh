#!/bin/bash
# The keep-alive simulator against a real replay (issue 21 §2's validation): one window of the
# sample104 Azure 2019 trace replayed on the embedded platform by `straightline load --trace`
# (real `trace` handler instances, keep-alive on a clock SPEED x real time) for each policy, and
# the simulator (trace/keep_alive_sim.h, the platform's own policy objects) run on exactly the same
# invocations, memory sizes and measured cold starts. Prints, per policy, cold starts and wasted
# GB-s of both and their relative difference; the goal is |diff| <= 10 % on both.
#
# Usage: bench/trace_replay_validation.sh [STRAIGHTLINE_EXE]
#   env: TRACE=<sample104_inv.csv> MINUTES=600-630 FUNCTIONS=10 SEED=1 SPEED=10 TOUCH=0.02
#        POLICIES="fixed hybrid" (FUNCTIONS=0: all; TRACE may be a 2021-format file)
#        OUT=/tmp/sl-trace-validation (JSON reports kept there)
# Wall time: about (window minutes x 60 / SPEED) s per policy.
set -euo pipefail
EXE=${1:-$(dirname "$0")/../build/straightline}
SRC=$(cd "$(dirname "$0")/.." && pwd)
INV=${TRACE:-"$SRC/../shared/data/azure-functions-trace/sample104_inv.csv"}
MINUTES=${MINUTES:-600-630}
FUNCTIONS=${FUNCTIONS:-10}
SEED=${SEED:-1}
SPEED=${SPEED:-10}
TOUCH=${TOUCH:-0.02}
POLICIES=${POLICIES:-"fixed hybrid"}
OUT=${OUT:-/tmp/sl-trace-validation}
mkdir -p "$OUT"
echo "trace $INV minutes $MINUTES, $FUNCTIONS functions (seed $SEED), speed $SPEED, touch $TOUCH"
for policy in $POLICIES; do
  rm -rf "$OUT/state-$policy"
  "$EXE" load --trace "$INV" --minutes "$MINUTES" --functions "$FUNCTIONS" --seed "$SEED" \
    --speed "$SPEED" --touch-scale "$TOUCH" --keep-alive "$policy" --function-isolation none \
    --state-dir "$OUT/state-$policy" --json-out "$OUT/$policy.json" >"$OUT/$policy.txt" 2>"$OUT/$policy.err"
  python3 - "$OUT/$policy.json" "$policy" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t, s = r["total"], r["total"]["simulated"]
def rel(a, b): return (a - b) / b * 100 if b else float("nan")
print(f"{sys.argv[2]:>8}: {t['sent']} invocations ({t['failed']} failed), wall {r['wall_s']:.1f} s; "
      f"cold starts replay {t['cold_starts']} sim {s['cold_starts']} ({rel(t['cold_starts'], s['cold_starts']):+.1f} %); "
      f"wasted GB-s replay {t['wasted_gb_s']:.1f} sim {s['wasted_gb_s']:.1f} ({rel(t['wasted_gb_s'], s['wasted_gb_s']):+.1f} %); "
      f"mean cold start {r['simulator']['cold_start_trace_s']:.2f} s trace time; "
      f"sends at most {t['max_send_lag_ms']:.1f} ms late")
PY
done

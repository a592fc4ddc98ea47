#!/bin/bash
# Issue 19: `straightline report` on a 3-minute ramp's `load --json-out` (its per-second timeline):
# how long the report takes to build (goal < 2 s) and how large the load file and the report are
# (goal < 5 MB), and the load generator's peak memory over the ramp (bounded by the run's length,
# not its number of requests). One `serve` of MODEL on the local tier (Algorithm 1, F given so
# that the ramp crosses it) on 127.0.0.1, one ramp, then the report built REPEAT times; with
# SECOND_POLICY=adaptive a second serve and ramp under that policy, and the report of both (the
# side-by-side placements figure).
#
#   bench/report_timeline_bench.sh BUILD_DIR MODEL_DIR
#   env: PHASES (default 180:10:200: 3 minutes ramping 10 → 200 sessions/s), SESSION_REQUESTS (2),
#        MIX (json:8,pixels:1), F (100 requests/s), TIERS (local), REPEAT (5), SECOND_POLICY (unset),
#        OUT (a new temporary folder; kept)
set -euo pipefail
BUILD=${1:?usage: bench/report_timeline_bench.sh BUILD_DIR MODEL_DIR}
MODEL=${2:?usage: bench/report_timeline_bench.sh BUILD_DIR MODEL_DIR}
SL="$BUILD/straightline"
PHASES=${PHASES:-180:10:200}
OUT=${OUT:-$(mktemp -d /tmp/sl-report-bench.XXXXXX)}
NAME=$(basename "$MODEL")
SERVE_PID=
cleanup() { if [ -n "$SERVE_PID" ]; then kill -TERM "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

# One serve + ramp under policy $1, its load report at $OUT/load-$1.json.
ramp() {
  local policy=$1 state="$OUT/serve-$1"
  mkdir -p "$state"
  "$SL" serve --model "$MODEL" --port 0 --state-dir "$state" --tiers "${TIERS:-local}" --policy "$policy" \
    --frequency-threshold "${F:-100}" > "$state/serve.out" 2> "$state/serve.log" &
  SERVE_PID=$!
  local ep=
  for _ in $(seq 1 300); do
    ep=$(sed -n 's/^endpoint: //p' "$state/serve.out" 2>/dev/null || true)  # not there yet: retry
    [ -n "$ep" ] && break
    sleep 0.1
  done
  [ -n "$ep" ] || { echo "serve did not start: $(tail -5 "$state/serve.log")" >&2; exit 1; }
  /usr/bin/time -f "load ($policy): %M KB max RSS, %e s wall, %U s user" \
    "$SL" load --target "$ep" --model "$NAME" --phases "$PHASES" --session-requests "${SESSION_REQUESTS:-2}" \
    --mix "${MIX:-json:8,pixels:1}" --auth-token-file "$(sed -n 's/^token-file: //p' "$state/serve.out")" \
    --json-out "$OUT/load-$policy.json" > "$OUT/load-$policy.txt" 2> "$OUT/load-$policy.time"
  cat "$OUT/load-$policy.txt" "$OUT/load-$policy.time"
  kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || true; SERVE_PID=
}

# The report of the given inputs REPEAT times: each run's wall time, and the sizes.
report() {
  local label=$1; shift
  local times=()
  for _ in $(seq 1 "${REPEAT:-5}"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$SL" report "$@" --out "$OUT/report-$label.html" > /dev/null
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
  done
  echo "report ($label): ${times[*]} s; $(stat -c %s "$OUT/report-$label.html") bytes of HTML; inputs:" \
    "$(for f in "$@"; do [ -f "$f" ] && printf '%s %s bytes; ' "$(basename "$f")" "$(stat -c %s "$f")"; done)"
}

echo "ramp $PHASES, ${SESSION_REQUESTS:-2} requests per session, into $OUT"
ramp straightline
python3 - "$OUT/load-straightline.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
t = j["timeline"]
print(f"timeline: {len(t['t_s'])} seconds, {sum(t['sessions_launched'])} sessions, {sum(t['requests'])} requests, "
      f"{sum(t['sessions_failed'])} failed sessions; f_t max {max(v for v in t['f_t_max'] if v is not None):.0f}/s "
      f"against F {next(v for v in t['F'] if v is not None):.0f}")
PY
report straightline "$OUT/load-straightline.json"
if [ -n "${SECOND_POLICY:-}" ]; then
  ramp "$SECOND_POLICY"
  report both "$OUT/load-straightline.json" "$OUT/load-$SECOND_POLICY.json"
fi

#!/bin/bash
# `make demo`: serverless data-parallel training of a cnn on Fashion-MNIST on the embedded
# defaults (the local function platform under the AWS Lambda profile, the file:// object store),
# then verification (held-out test accuracy, a short k-fold cross-validation, one prediction) and
# the cost of the run as billed by each provider; then the model is deployed three ways (local
# pool, runc containers, functions) behind the KServe v2 gateway with placement thresholds
# calibrated here, and a short ramp of load is sent to it; last, the report of all of it as HTML.
#
#   scripts/demo.sh BUILD_DIR
#   env: DEMO_OUT (default models/fmnist-cnn-sls), DEMO_WORKERS (8), DEMO_EPOCHS (3),
#        DEMO_ROUNDS_PER_EPOCH, DEMO_LR, DEMO_SERVER_MOMENTUM (unset: train's defaults for the
#        number of workers, train/serverless_defaults.h); DEMO_MIN_ACCURACY (0.88),
#        DEMO_KFOLD (3 folds on DEMO_KFOLD_LIMIT=6000 train samples, 1 epoch each; 0 = skip),
#        DEMO_LOCAL_LIMIT (the same cnn trained in one process on 2000 train samples for
#        DEMO_LOCAL_EPOCHS=3 epochs, for the per-epoch loss and accuracy in its manifest; 0 = skip),
#        DEMO_LOAD_PHASES (load on the served model, DURATION_S:FROM:TO sessions/s; default 15:10:150),
#        DEMO_F, DEMO_D (the thresholds the demo serves with; default 100 requests/s, 65536 bytes)
#   It ends with `straightline report`: runs/demo-<time>-report/report.html (and figures/*.png
#   when Chromium is installed).
set -euo pipefail
BUILD=${1:?usage: scripts/demo.sh BUILD_DIR}
SL="$BUILD/straightline"
OUT=${DEMO_OUT:-models/fmnist-cnn-sls}
WORKERS=${DEMO_WORKERS:-8}
EPOCHS=${DEMO_EPOCHS:-3}
TUNING=()  # empty: the serverless defaults chosen from the workers and the data size
[ -n "${DEMO_ROUNDS_PER_EPOCH:-}" ] && TUNING+=(--rounds-per-epoch "$DEMO_ROUNDS_PER_EPOCH")
[ -n "${DEMO_LR:-}" ] && TUNING+=(--lr "$DEMO_LR")
[ -n "${DEMO_SERVER_MOMENTUM:-}" ] && TUNING+=(--server-momentum "$DEMO_SERVER_MOMENTUM")
MIN_ACC=${DEMO_MIN_ACCURACY:-0.88}
KFOLD=${DEMO_KFOLD:-3}
KFOLD_LIMIT=${DEMO_KFOLD_LIMIT:-6000}
DATA=/usr/share/datasets/fashion-mnist
RUN="runs/demo-$(date -u +%Y%m%d-%H%M%S)"
STORE="file://$PWD/$RUN"
[ -x "$SL" ] || { echo "demo: $SL not found; build first (make build)" >&2; exit 1; }
REPORT=$(mktemp)
SERVE_PID=
cleanup() {
  rm -f "$REPORT"
  if [ -n "$SERVE_PID" ]; then kill -TERM "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; fi
}
trap cleanup EXIT

echo "== 1. serverless training: cnn on Fashion-MNIST, $WORKERS functions per round, $EPOCHS epochs"
echo "   (functions under the aws-lambda profile on the local platform; state in $STORE)"
"$SL" train --dataset fashion-mnist --model cnn --workers "$WORKERS" --epochs "$EPOCHS" \
  ${TUNING[@]+"${TUNING[@]}"} --seed 1 --store "$STORE" --out "$OUT"
LEDGER="$PWD/$RUN-platform/ledger.jsonl"

echo
echo "== 2. verify: the artifact reloads, checksum verified, and scores >= $MIN_ACC on the test set"
"$SL" model show "$OUT"
"$SL" eval --model "$OUT" --quiet --json > "$REPORT"
EVAL=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["evaluation"]["accuracy"])' "$REPORT")
"$SL" eval --model "$OUT" --quiet
if ! /usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$EVAL" "$MIN_ACC"; then
  echo "demo: FAILED: test accuracy $EVAL < $MIN_ACC" >&2
  exit 1
fi
echo "test accuracy $EVAL >= $MIN_ACC: OK"

if [ "$KFOLD" -gt 1 ]; then
  echo
  echo "== 3. $KFOLD-fold cross-validation of the same architecture ($KFOLD_LIMIT train samples, 1 epoch per fold)"
  "$SL" eval --model "$OUT" --limit 1000 --kfold "$KFOLD" --kfold-limit "$KFOLD_LIMIT" \
    --kfold-epochs 1 --threads 2 | tail -n $((KFOLD + 1))
fi

LOCAL_LIMIT=${DEMO_LOCAL_LIMIT:-2000}
LOCAL_OUT="$PWD/$RUN-local-model"
if [ "$LOCAL_LIMIT" -gt 0 ]; then
  echo
  echo "== 3b. the same architecture trained in one process ($LOCAL_LIMIT train samples, ${DEMO_LOCAL_EPOCHS:-3} epochs):"
  echo "   its manifest keeps the training loss and the validation loss and accuracy of every epoch"
  "$SL" train --dataset fashion-mnist --model cnn --epochs "${DEMO_LOCAL_EPOCHS:-3}" --limit "$LOCAL_LIMIT" \
    --threads 2 --seed 1 --quiet --out "$LOCAL_OUT" | tail -n 3
fi

echo
echo "== 4. predict: test image 0 of $DATA"
"$SL" predict --model "$OUT" --input "$DATA/t10k-images-idx3-ubyte.gz" --index 0 --top 3

echo
echo "== 5. what the run cost, as recorded and repriced under the other providers"
echo "   (one row per training round is left out here; run the command below to see them)"
echo "   $SL cost --ledger $LEDGER --by provider --reprice gcp-functions,azure-functions,ibm,oracle"
# Into a file first: under pipefail, a reader that stops early would fail the demo with SIGPIPE.
"$SL" cost --ledger "$LEDGER" --by provider --reprice gcp-functions,azure-functions,ibm,oracle > "$REPORT"
grep -v '^  stage round-' "$REPORT"

SERVE_STATE="$PWD/$RUN-serve"
NAME=$(basename "$OUT")
echo
echo "== 6. calibrate the placement thresholds F (requests/s) and D (bytes) on this machine"
"$SL" calibrate --model "$OUT" --state-dir "$SERVE_STATE" --tiers local,container \
  --batches 1,16,64 --rates 100,200,400,800,1600 --phase-s 1

echo
echo "== 7. serve $NAME: KServe v2 on local, container and function tiers, StraightLine placement"
echo "   (the calibrated F and D above keep this short load on the local tier; the demo serves with"
echo "    F=${DEMO_F:-100}/s and D=${DEMO_D:-65536} bytes so that every tier gets requests: frequent small ones go to"
echo "    functions, 64-image requests to containers)"
"$SL" serve --model "$OUT" --port 0 --state-dir "$SERVE_STATE" --tiers local,container,function \
  --policy straightline --frequency-threshold "${DEMO_F:-100}" --size-threshold "${DEMO_D:-65536}" \
  > "$SERVE_STATE/serve.out" 2> "$SERVE_STATE/serve.log" &
SERVE_PID=$!
EP=
for _ in $(seq 1 300); do
  EP=$(sed -n 's/^endpoint: //p' "$SERVE_STATE/serve.out" 2>/dev/null || true)  # under set -e: not there yet
  [ -n "$EP" ] && break
  kill -0 "$SERVE_PID" 2>/dev/null || { tail -20 "$SERVE_STATE/serve.log"; echo "demo: serve failed" >&2; exit 1; }
  sleep 0.1
done
[ -n "$EP" ] || { echo "demo: serve did not start within 30 s" >&2; exit 1; }
# Every request but the health checks needs the token serve generated (mode 0600) at start-up.
TOKEN_FILE=$(sed -n 's/^token-file: //p' "$SERVE_STATE/serve.out")
echo "serving at $EP (log: $SERVE_STATE/serve.log; token in $TOKEN_FILE)"
echo "   curl -H \"Authorization: Bearer \$(cat $TOKEN_FILE)\" $EP/v2/models/$NAME"
curl -s -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "$EP/v2/models/$NAME"; echo
echo
echo "== 8. load: sessions of 2 requests ramping ${DEMO_LOAD_PHASES:-15:10:150}/s, mixed sizes (1-image JSON, raw pixels, 64-image JSON)"
"$SL" load --target "$EP" --model "$NAME" --phases "${DEMO_LOAD_PHASES:-15:10:150}" --session-requests 2 \
  --mix json:8,pixels:1,batch:1:64 --auth-token-file "$TOKEN_FILE" --json-out "$SERVE_STATE/load.json"
echo
echo "placements (policy, tier, rule) and billed cost of the function tier:"
curl -s -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "$EP/metrics" | grep -E '^sl_serve_(placements_total|billed_cost_usd_total|cold_starts_total)' || true
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || true; SERVE_PID=

echo
REPORT_DIR="$PWD/$RUN-report"
echo "== 9. report: the figures of this run (time and cost per task, against always-on VMs, loss and"
echo "   accuracy per round and per epoch, response times, failures and placements per tier, and over the"
echo "   load's seconds: placements, sessions, failure rate and session length against sessions, f_t"
echo "   against F; the platform's functions)"
# The training run (its store), the one-process model (its manifest's epochs), the load (its
# per-second timeline), and every ledger: the training platform's and the function tier's.
mapfile -t LEDGERS < <(find "$PWD/$RUN-platform" "$SERVE_STATE" -name ledger.jsonl -size +0 2>/dev/null | sort)
LOCAL_MODEL=()
[ -f "$LOCAL_OUT/manifest.json" ] && LOCAL_MODEL=("$LOCAL_OUT")
"$SL" report "$STORE" ${LOCAL_MODEL[@]+"${LOCAL_MODEL[@]}"} "$SERVE_STATE/load.json" "${LEDGERS[@]}" \
  --title "straightline demo: $NAME" \
  --out "$REPORT_DIR/report.html" --png "$REPORT_DIR/figures"
# The report checked in a real browser (issue 19 §4): headless Chromium opens it offline; every
# figure must be drawn with data, no request may leave the file, no console error. Skipped (said
# so) where chromium or puppeteer-core is missing.
if [ -x /usr/bin/chromium ] && [ -f .deps/node_modules/puppeteer-core/package.json ]; then
  node scripts/browser-check.cjs report --url "file://$REPORT_DIR/report.html" --out "$REPORT_DIR" \
    > "$REPORT_DIR/browser-check.json"
  echo "demo: report checked in headless Chromium: every figure drawn with data ($REPORT_DIR/browser-check.json)"
else
  echo "demo: no chromium or puppeteer-core here: the report was not checked in a browser"
fi

echo
echo "demo: model artifact at $(cd "$OUT" && pwd)"
echo "demo: store (shards, model versions, updates, report.json) at $STORE"
echo "demo: serving state (thresholds.json, container bundles, function ledger) at $SERVE_STATE"
echo "demo: report (open it in a browser; figures as PNGs in $REPORT_DIR/figures) at $REPORT_DIR/report.html"

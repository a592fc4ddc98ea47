#!/bin/bash
# `make demo`: serverless data-parallel training of a cnn on Fashion-MNIST on the embedded
# defaults (the local function platform under the AWS Lambda profile, the file:// object store),
# then verification (held-out test accuracy, a short k-fold cross-validation, one prediction) and
# the cost of the run as billed by each provider.
#
#   scripts/demo.sh BUILD_DIR
#   env: DEMO_OUT (default models/fmnist-cnn-sls), DEMO_WORKERS (8), DEMO_EPOCHS (5),
#        DEMO_ROUNDS_PER_EPOCH (8), DEMO_LR (0.003), DEMO_MIN_ACCURACY (0.88),
#        DEMO_KFOLD (3 folds on DEMO_KFOLD_LIMIT=6000 train samples, 1 epoch each; 0 = skip)
set -euo pipefail
BUILD=${1:?usage: scripts/demo.sh BUILD_DIR}
SL="$BUILD/straightline"
OUT=${DEMO_OUT:-models/fmnist-cnn-sls}
WORKERS=${DEMO_WORKERS:-8}
EPOCHS=${DEMO_EPOCHS:-5}
RPE=${DEMO_ROUNDS_PER_EPOCH:-8}
LR=${DEMO_LR:-0.003}
MIN_ACC=${DEMO_MIN_ACCURACY:-0.88}
KFOLD=${DEMO_KFOLD:-3}
KFOLD_LIMIT=${DEMO_KFOLD_LIMIT:-6000}
DATA=/usr/share/datasets/fashion-mnist
RUN="runs/demo-$(date -u +%Y%m%d-%H%M%S)"
STORE="file://$PWD/$RUN"
[ -x "$SL" ] || { echo "demo: $SL not found; build first (make build)" >&2; exit 1; }
REPORT=$(mktemp)
trap 'rm -f "$REPORT"' EXIT

echo "== 1. serverless training: cnn on Fashion-MNIST, $WORKERS functions per round, $EPOCHS epochs x $RPE rounds"
echo "   (functions under the aws-lambda profile on the local platform; state in $STORE)"
"$SL" train --dataset fashion-mnist --model cnn --workers "$WORKERS" --epochs "$EPOCHS" \
  --rounds-per-epoch "$RPE" --lr "$LR" --seed 1 --store "$STORE" --out "$OUT"
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

echo
echo "== 4. predict: test image 0 of $DATA"
"$SL" predict --model "$OUT" --input "$DATA/t10k-images-idx3-ubyte.gz" --index 0 --top 3

echo
echo "== 5. what the run cost, as recorded and repriced under the other providers"
"$SL" cost --ledger "$LEDGER" --by provider --reprice gcp-functions,azure-functions,ibm,oracle | head -n 40

echo
echo "demo: model artifact at $(cd "$OUT" && pwd)"
echo "demo: store (shards, model versions, updates, report.json) at $STORE"

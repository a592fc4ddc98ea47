#!/bin/bash
# `make demo`: train a cnn on Fashion-MNIST, verify it (held-out test accuracy >= 0.90, a short
# k-fold cross-validation, one prediction), and print where the model artifact is.
#
#   scripts/demo.sh BUILD_DIR
#   env: DEMO_OUT (default models/fmnist-cnn), DEMO_EPOCHS (7), DEMO_THREADS (2),
#        DEMO_KFOLD (3 folds on DEMO_KFOLD_LIMIT=6000 train samples, 1 epoch each; 0 = skip)
set -euo pipefail
BUILD=${1:?usage: scripts/demo.sh BUILD_DIR}
SL="$BUILD/straightline"
OUT=${DEMO_OUT:-models/fmnist-cnn}
EPOCHS=${DEMO_EPOCHS:-7}
THREADS=${DEMO_THREADS:-2}
KFOLD=${DEMO_KFOLD:-3}
KFOLD_LIMIT=${DEMO_KFOLD_LIMIT:-6000}
DATA=/usr/share/datasets/fashion-mnist
[ -x "$SL" ] || { echo "demo: $SL not found; build first (make build)" >&2; exit 1; }
REPORT=$(mktemp)
trap 'rm -f "$REPORT"' EXIT

echo "== 1. train: cnn on Fashion-MNIST, $EPOCHS epochs, $THREADS threads"
"$SL" train --dataset fashion-mnist --model cnn --epochs "$EPOCHS" --threads "$THREADS" \
  --seed 1 --out "$OUT" --json > "$REPORT"
read -r VAL TEST < <(/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["validation"]["accuracy"], r["test"]["accuracy"])' "$REPORT")
echo "validation accuracy $VAL, test accuracy $TEST"

echo
echo "== 2. verify: the artifact reloads, checksum verified, and scores >= 0.90 on the test set"
"$SL" model show "$OUT"
"$SL" eval --model "$OUT" --quiet --json > "$REPORT"
EVAL=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["evaluation"]["accuracy"])' "$REPORT")
"$SL" eval --model "$OUT" --quiet
if ! /usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.90 else 1)' "$EVAL"; then
  echo "demo: FAILED: test accuracy $EVAL < 0.90" >&2
  exit 1
fi
echo "test accuracy $EVAL >= 0.90: OK"

if [ "$KFOLD" -gt 1 ]; then
  echo
  echo "== 3. $KFOLD-fold cross-validation of the same architecture ($KFOLD_LIMIT train samples, 1 epoch per fold)"
  "$SL" eval --model "$OUT" --limit 1000 --kfold "$KFOLD" --kfold-limit "$KFOLD_LIMIT" \
    --kfold-epochs 1 --threads "$THREADS" | tail -n $((KFOLD + 1))
fi

echo
echo "== 4. predict: test image 0 of $DATA"
"$SL" predict --model "$OUT" --input "$DATA/t10k-images-idx3-ubyte.gz" --index 0 --top 3

echo
echo "demo: model artifact at $(cd "$OUT" && pwd)"

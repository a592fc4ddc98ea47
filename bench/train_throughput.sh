#!/bin/bash
# Training throughput of the cnn on Fashion-MNIST: straightline (bench/train_throughput) vs
# PyTorch (bench/train_throughput_pytorch.py), same architecture / batch / optimizer / threads,
# interleaved in one run so both see the same machine load. Prints samples/s and the ratio per
# thread count, and which thread count is fastest.
#
#   bench/train_throughput.sh BUILD_DIR [THREADS...]   (default threads: 1 2)
#   env: STEPS (400), WARMUP (30), BATCH (64), REPEATS (3; the best of each is reported)
set -euo pipefail
BUILD=${1:?usage: bench/train_throughput.sh BUILD_DIR [THREADS...]}
shift || true
THREADS=("$@")
[ ${#THREADS[@]} -eq 0 ] && THREADS=(1 2)
STEPS=${STEPS:-400} WARMUP=${WARMUP:-30} BATCH=${BATCH:-64} REPEATS=${REPEATS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
SL="$BUILD/bench/train_throughput"
[ -x "$SL" ] || { echo "missing $SL (build target train_throughput)" >&2; exit 1; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "python3-torch missing for /usr/bin/python3" >&2; exit 1; }

best() { /usr/bin/python3 -c 'import json,sys; print(max(json.loads(l)["samples_per_second"] for l in sys.stdin))'; }
printf "%-8s %14s %14s %8s\n" threads straightline pytorch ratio
declare -A SLR
for t in "${THREADS[@]}"; do
  sl_out="" py_out=""
  for _ in $(seq "$REPEATS"); do
    sl_out+=$("$SL" --threads "$t" --batch-size "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --json)$'\n'
    py_out+=$(/usr/bin/python3 "$HERE/train_throughput_pytorch.py" --threads "$t" --batch-size "$BATCH" \
                --steps "$STEPS" --warmup "$WARMUP" --json)$'\n'
  done
  s=$(printf "%s" "$sl_out" | best); p=$(printf "%s" "$py_out" | best)
  SLR[$t]=$s
  printf "%-8s %14.0f %14.0f %7.2fx\n" "$t" "$s" "$p" "$(echo "$s / $p" | bc -l)"
done
fast=""; for t in "${THREADS[@]}"; do
  if [ -z "$fast" ] || (( $(echo "${SLR[$t]} > ${SLR[$fast]}" | bc -l) )); then fast=$t; fi
done
echo "fastest straightline thread count: $fast (${SLR[$fast]%.*} samples/s)"

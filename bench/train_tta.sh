#!/bin/bash
# Issues 5 and 17: time to a test accuracy (TARGET, default 0.89) on Fashion-MNIST `cnn`, in one run, for
#   (a) the serverless trainer on the local function platform (straightline train --workers W),
#   (b) single-process straightline training (straightline train), once per thread count in
#       THREADS (default "1 2") and learning rate in SP_LRS (default "0.001 0.003": the serverless
#       run's rate too), the best of them being the peer,
#   (c) PyTorch DistributedDataParallel, 2 processes, gloo (bench/train_tta_ddp.py).
# (a) and (b) have no per-epoch test evaluation, so each is run with 1, 2, ... epochs until the
# test accuracy reaches the target; its time to accuracy is the wall time (process start to exit,
# data loading included) of the first run that reaches it. (c) evaluates after every epoch and
# reports its time without the evaluations. Also prints the serverless run's overhead share
# (run report: 1 − (Σ gradient compute / local cores) / Σ round wall time).
#
#   bench/train_tta.sh BUILD_DIR        env: TARGET (0.89) WORKERS (8) THREADS ("1 2") SP_LRS MAX_EPOCHS (5)
#                                            START_EPOCH (1: first epoch count tried for (a), (b))
#                                            PROVIDER (aws-lambda) MEMORY (1769 = 1 vCPU) OUT (/tmp/sl-tta)
#                                            SLS_LR SLS_ROUNDS_PER_EPOCH SLS_SERVER_MOMENTUM
#                                            SLS_BATCH: serverless settings; unset = train's
#                                            defaults for WORKERS (train/serverless_defaults.h)
set -euo pipefail
BUILD=${1:?usage: bench/train_tta.sh BUILD_DIR}
TARGET=${TARGET:-0.89} WORKERS=${WORKERS:-8} THREADS=${THREADS:-1 2} MAX_EPOCHS=${MAX_EPOCHS:-5}
START_EPOCH=${START_EPOCH:-1} SP_LRS=${SP_LRS:-0.001 0.003}
PROVIDER=${PROVIDER:-aws-lambda} MEMORY=${MEMORY:-1769} OUT=${OUT:-/tmp/sl-tta}
SLS_FLAGS=()  # empty: the serverless defaults
[ -n "${SLS_LR:-}" ] && SLS_FLAGS+=(--lr "$SLS_LR")
[ -n "${SLS_ROUNDS_PER_EPOCH:-}" ] && SLS_FLAGS+=(--rounds-per-epoch "$SLS_ROUNDS_PER_EPOCH")
[ -n "${SLS_SERVER_MOMENTUM:-}" ] && SLS_FLAGS+=(--server-momentum "$SLS_SERVER_MOMENTUM")
[ -n "${SLS_BATCH:-}" ] && SLS_FLAGS+=(--batch-size "$SLS_BATCH")
HERE=$(cd "$(dirname "$0")" && pwd)
SL="$BUILD/src/cli/straightline"
[ -x "$SL" ] || SL="$BUILD/straightline"
[ -x "$SL" ] || { echo "missing straightline in $BUILD (build targets straightline straightline-worker)" >&2; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT"
now() { date +%s.%N; }
py() { /usr/bin/python3 -c "$1"; }

# (b) single process, per thread count and learning rate
sp_rows=""
for th in $THREADS; do
  for lr in $SP_LRS; do
    for e in $(seq "$START_EPOCH" "$MAX_EPOCHS"); do
      t0=$(now)
      "$SL" train --dataset fashion-mnist --model cnn --epochs "$e" --threads "$th" --lr "$lr" --seed 1 --quiet --json \
        --out "$OUT/single-t$th-lr$lr-$e" > "$OUT/single-t$th-lr$lr-$e.json"
      t1=$(now)
      acc=$(py "import json; print(json.load(open('$OUT/single-t$th-lr$lr-$e.json'))['test']['accuracy'])")
      echo "single-process, $th threads, lr $lr, $e epochs: test accuracy $acc, $(py "print(round($t1-$t0,1))") s" >&2
      if py "import sys; sys.exit(0 if $acc >= $TARGET else 1)"; then
        sp_rows="$sp_rows('straightline single process ($th threads, lr $lr)', '$(py "print($t1-$t0)")', '$e', '$acc'),"
        break
      fi
      [ "$e" = "$MAX_EPOCHS" ] && sp_rows="$sp_rows('straightline single process ($th threads, lr $lr)', '', '', ''),"
    done
  done
done

# (a) serverless
sls_s="" sls_e="" sls_acc="" sls_over=""
for e in $(seq "$START_EPOCH" "$MAX_EPOCHS"); do
  t0=$(now)
  "$SL" train --dataset fashion-mnist --model cnn --epochs "$e" --threads 1 --seed 1 --workers "$WORKERS" \
    --provider "$PROVIDER" --memory "$MEMORY" ${SLS_FLAGS[@]+"${SLS_FLAGS[@]}"} --store "file://$OUT/sls-$e" --quiet --json \
    --out "$OUT/sls-model-$e" > "$OUT/sls-$e.json"
  t1=$(now)
  acc=$(py "import json; print(json.load(open('$OUT/sls-$e.json'))['test_accuracy'])")
  over=$(py "import json; print(json.load(open('$OUT/sls-$e.json'))['overhead_share'])")
  echo "serverless $WORKERS workers, $e epochs: test accuracy $acc, $(py "print(round($t1-$t0,1))") s, overhead share $over" >&2
  if py "import sys; sys.exit(0 if $acc >= $TARGET else 1)"; then sls_s=$(py "print($t1-$t0)"); sls_e=$e; sls_acc=$acc; sls_over=$over; break; fi
done

# (c) PyTorch DDP
ddp=$(/usr/bin/python3 "$HERE/train_tta_ddp.py" --world 2 --target "$TARGET" --max-epochs "$MAX_EPOCHS")
echo "$ddp" > "$OUT/ddp.json"

py "
import json
ddp = json.loads('''$ddp''')
rows = [('serverless (${WORKERS} workers, local platform)', '$sls_s', '$sls_e', '$sls_acc'),
        $sp_rows
        ('PyTorch DDP (2 processes, gloo)', str(ddp['seconds']) if ddp['reached'] else '', str(ddp['epochs']), str(ddp['test_accuracy']))]
print(f\"{'trainer':<48} {'epochs':>6} {'test acc':>8} {'seconds':>8}\")
for name, s, e, a in rows:
    print(f\"{name:<48} {e or '-':>6} {a or '-':>8} {(f'{float(s):.1f}' if s else 'not reached'):>8}\")
best = min(float(r[1]) for r in rows[1:] if r[1]) if any(r[1] for r in rows[1:]) else None
if '$sls_s' and best:
    print(f'serverless / best other: {float(\"$sls_s\") / best:.2f}x (goal <= 1.3x)')
if '$sls_over':
    print(f'serverless overhead share: {100 * float(\"$sls_over\"):.1f} % (goal <= 15 %)')
"

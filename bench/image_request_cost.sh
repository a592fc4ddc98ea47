#!/bin/bash
# What one image request costs (issue 21 §4): ResNet-18 at 224x224 against the 28x28 cnn, as the
# forward pass alone at batch 1 (bench/predict_latency), the JPEG decode + resize alone
# (bench/image_decode_bench), and end to end through `straightline serve --tiers local` over
# loopback HTTP (curl, sequential, one connection per request). The ResNet-18 artifact is trained
# for 2 steps only (the weights do not change the cost) on Fashion-MNIST written as 224x224 RGB
# JPEGs by `straightline dataset write-imagefolder`. Prints load averages before and after: the
# machine is shared.
#   cmake --build build --target straightline straightline-ml predict_latency image_decode_bench
#   bench/image_request_cost.sh [BUILD=build] [N=30]
set -eu
BUILD=${1:-build}
N=${2:-30}
EXE="$BUILD/straightline"
DIR=$(mktemp -d /tmp/sl-image-cost.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT

"$EXE" dataset write-imagefolder --out "$DIR/jpg" --per-class 4 --test-per-class 1 --size 224 --channels 3 >/dev/null
"$EXE" train --dataset imagefolder --data-dir "$DIR/jpg" --model resnet --epochs 1 --max-steps 2 \
  --batch-size 8 --validation-fraction 0 --out "$DIR/resnet18" --quiet >/dev/null
"$EXE" train --dataset fashion-mnist --model cnn --epochs 1 --limit 2000 --out "$DIR/cnn" --quiet >/dev/null
JPG=$(ls "$DIR"/jpg/test/*/00000.jpg | head -1)

# e2e TAG LABEL MODEL_DIR FILE CONTENT_TYPE: N timed requests after 5 warm-up ones.
e2e() {
  local tag=$1 label=$2 model=$3 file=$4 ct=$5
  "$EXE" serve --model "$model" --port 0 --state-dir "$DIR/state-$tag" --tiers local --policy local \
    >"$DIR/out-$tag" 2>"$DIR/err-$tag" &
  PID=$!
  for _ in $(seq 1 300); do grep -q '^endpoint: ' "$DIR/out-$tag" && break; sleep 0.1; done
  local ep auth
  ep=$(sed -n 's/^endpoint: //p' "$DIR/out-$tag")
  auth="Authorization: Bearer $(head -1 "$(sed -n 's/^token-file: //p' "$DIR/out-$tag")")"
  for _ in $(seq 1 $((N + 5))); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "$auth" -H "Content-Type: $ct" \
      --data-binary @"$file" "$ep/v2/models/$(basename "$model")/infer"
  done | tail -n "$N" > "$DIR/times-$tag"
  kill -TERM "$PID"; wait "$PID" || true; PID=
  local bad
  bad=$(awk '$1 != 200' "$DIR/times-$tag" | wc -l)
  awk '{print $2 * 1000}' "$DIR/times-$tag" | sort -n |
    awk -v label="$label" -v bad="$bad" '{a[NR] = $1} END {
      printf "e2e %-28s n=%d non200=%d p50_ms=%.2f p90_ms=%.2f\n", label, NR, bad, a[int(NR / 2) + 1], a[int(NR * 0.9)]}'
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "--- forward pass alone, batch 1, 1 torch thread (predict_latency) ---"
"$BUILD/bench/predict_latency" "$DIR/resnet18" 40 1
"$BUILD/bench/predict_latency" "$DIR/cnn" 2000 1
echo "--- JPEG decode + resize alone (image_decode_bench) ---"
"$BUILD/bench/image_decode_bench" 200
echo "--- end to end over loopback HTTP (serve --tiers local, curl) ---"
e2e resnet18 "resnet18 image/jpeg 224x224" "$DIR/resnet18" "$JPG" image/jpeg
e2e cnn "cnn image/png 28x28" "$DIR/cnn" examples/shirt.png image/png
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/bin/bash
# Functions from a function image on the embedded platform (issue 15 §2): `straightline package
# function` builds the image; `train --function-image oci-archive:...` runs the trainer's
# preprocess and train-shard functions from it under runc (each instance a container over the
# image's read-only root, as the image's non-root user, in the instance's network namespace and
# cgroups), and `serve --tiers function --function-image ...` runs predict from it. Shards,
# models and updates travel through an S3-compatible store (s3rver on loopback), reached from the
# containers through the platform's egress relay. A file:// store is refused with a clear error
# (the image's user cannot write the host's files).
# Usage: image_function_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$(readlink -f "$1")
SRC=$(readlink -f "$2")
S3RVER=$SRC/.deps/node_modules/s3rver/bin/s3rver.js
DATA=/usr/share/datasets/fashion-mnist
[ "$(id -u)" = 0 ] || { echo "SKIP: runc needs root here"; exit 77; }
for tool in runc umoci tar; do
  command -v "$tool" > /dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh)"; exit 77; }
done
[ -f "$S3RVER" ] || { echo "SKIP: s3rver is not installed (scripts/install-deps.sh)"; exit 77; }
[ -d "$DATA" ] || { echo "SKIP: $DATA missing (Debian dataset-fashion-mnist)"; exit 77; }
DIR=$(mktemp -d /tmp/sl-image-fn.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$DIR"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
  exit 1
}

"$EXE" package function --format oci-archive --out "$DIR/fn.tar" > "$DIR/package.out" 2> "$DIR/package.err" \
  || fail "package function failed"
IMAGE="oci-archive:$DIR/fn.tar"

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
node "$S3RVER" -d "$DIR/s3" -a 127.0.0.1 -p "$PORT" -s --configure-bucket sl > "$DIR/s3rver.err" 2>&1 &
PIDS+=($!)
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
for _ in $(seq 1 100); do bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null && break; sleep 0.1; done

# 1. Training: preprocess and train-shard run from the image.
(cd "$DIR" && "$EXE" train --dataset fashion-mnist --data-dir "$DATA" --model logreg --workers 2 --epochs 1 \
   --rounds-per-epoch 2 --seed 1 --memory 1024 --function-image "$IMAGE" --function-isolation sandbox \
   --store s3://sl/run --state-dir "$DIR/caller" --out "$DIR/model" --json > "$DIR/train.json" 2> "$DIR/train.err") \
  || fail "train --function-image failed"
/usr/bin/python3 - "$DIR/train.json" <<'PY' || fail "training result wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["test_accuracy"] > 0.75, r["test_accuracy"]
print(f"training from the image: test accuracy {r['test_accuracy']:.4f}, {r['total']['invocations']} invocations")
PY
LOGS=$(ls "$DIR"/caller/logs/sl-train-*.log "$DIR"/caller/logs/sl-preprocess-*.log 2>/dev/null)
[ -n "$LOGS" ] || fail "no function logs under $DIR/caller/logs"
for log in $LOGS; do
  grep -q "INIT_START Runtime Version: image $IMAGE Spawn: runc" "$log" || fail "$log: not started from the image: $(head -2 "$log")"
  grep -q "Isolation: container (uid 65532" "$log" || fail "$log: not the image's non-root user"
done
# runc's containers are gone with the platform, and so are their cgroups.
[ -z "$(runc --root "$DIR/caller/runc/state" list -q 2>/dev/null)" ] || fail "runc containers left behind"

# 2. A file:// store cannot be given to a function image: a clear error, before any work.
(cd "$DIR" && "$EXE" train --dataset fashion-mnist --data-dir "$DATA" --model logreg --workers 2 --epochs 1 \
   --function-image "$IMAGE" --store "file://$DIR/filestore" --state-dir "$DIR/caller2" > /dev/null 2> "$DIR/file.err") \
  && fail "train with a file:// store and a function image succeeded"
grep -q "use an s3:// store\|give the function an s3:// store" "$DIR/file.err" || fail "no clear error: $(tail -3 "$DIR/file.err")"

# 3. Serving: predict from the image, the model delivered through the store.
"$EXE" serve --model "fmnist=$DIR/model" --port 0 --tiers function --policy function --function-image "$IMAGE" \
  --model-store s3://sl/models --state-dir "$DIR/serve" > "$DIR/serve.log" 2> "$DIR/serve.err" &
PIDS+=($!)
for _ in $(seq 1 300); do grep -q '^endpoint: ' "$DIR/serve.log" 2>/dev/null && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' "$DIR/serve.log")
[ -n "$EP" ] || fail "serve printed no endpoint line"
TOKEN_FILE=$(sed -n "s/^token-file: //p" "$DIR/serve.log")
AUTH=()
[ -n "$TOKEN_FILE" ] && AUTH=(-H "Authorization: Bearer $(cat "$TOKEN_FILE")")
/usr/bin/python3 - "$DATA" > "$DIR/request.json" <<'PY'
import gzip, json, sys
raw = gzip.open(sys.argv[1] + "/t10k-images-idx3-ubyte.gz").read()[16:16 + 784]
print(json.dumps({"inputs": [{"name": "input__0", "shape": [1, 1, 28, 28], "datatype": "FP32",
                              "data": [b / 255.0 for b in raw]}]}))
PY
for i in 1 2; do
  out=$(curl -s -D "$DIR/headers" "${AUTH[@]}" -H 'Content-Type: application/json' \
        --data-binary @"$DIR/request.json" "$EP/v2/models/fmnist/infer") || fail "infer request $i failed"
  grep -qi '^X-Straightline-Tier: function' "$DIR/headers" || fail "request $i not on the function tier: $out"
  grep -q '"outputs"' <<<"$out" || fail "request $i: no outputs: $out"
done
grep -q "Spawn: runc" "$DIR"/serve/platform/logs/*.log || fail "predict did not run from the image"
echo "serving: predict from the image answered 2 requests"
echo "PASS"

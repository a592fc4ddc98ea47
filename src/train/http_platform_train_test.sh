#!/bin/bash
# Serverless training on HTTP-triggered functions (`train --http-functions FILE`, whose provider
# block says `platform: http`, so no --platform flag is needed), as on Knative or Cloud
# Run functions: each function is a long-running `straightline-worker --mode http` process (one
# per function, several requests at once, like a Knative Service), found through a functions file
# with a url per function; shards, models and updates travel through an S3-compatible store
# (s3rver on loopback), since the functions are "elsewhere" and cannot read this host's files.
# Usage: http_platform_train_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$(readlink -f "$1")
SRC=$(readlink -f "$2")
WORKER=$(dirname "$EXE")/straightline-worker
S3RVER=$SRC/.deps/node_modules/s3rver/bin/s3rver.js
[ -f "$S3RVER" ] || { echo "SKIP: s3rver is not installed (scripts/install-deps.sh)"; exit 77; }
[ -x "$WORKER" ] || { echo "FAIL: $WORKER missing"; exit 1; }
DIR=$(mktemp -d /tmp/sl-http-train.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$DIR"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -15 "$f"; }; done
  exit 1
}
wait_line() {  # file pattern → the line
  for _ in $(seq 1 150); do
    line=$(grep -m1 "$2" "$1" 2>/dev/null) && { echo "$line"; return 0; }
    sleep 0.1
  done
  return 1
}

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
node "$S3RVER" -d "$DIR/s3" -a 127.0.0.1 -p "$PORT" -s --configure-bucket sl > "$DIR/s3rver.err" 2>&1 &
PIDS+=($!)
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# The functions' own environment (a Knative Service's env): the store they share with the caller.
for h in train-preprocess train-shard; do
  STRAIGHTLINE_STORE_ENDPOINT=$AWS_ENDPOINT_URL STRAIGHTLINE_STORE_ACCESS_KEY_ID=S3RVER \
  STRAIGHTLINE_STORE_SECRET_ACCESS_KEY=S3RVER STRAIGHTLINE_STORE_REGION=us-east-1 \
    "$WORKER" --mode http --host 127.0.0.1 --port 0 --concurrency 2 "$h" > "$DIR/$h.out" 2> "$DIR/$h.err" &
  PIDS+=($!)
done
PRE=$(wait_line "$DIR/train-preprocess.out" '^listening: ') || fail "train-preprocess worker did not listen"
SHARD=$(wait_line "$DIR/train-shard.out" '^listening: ') || fail "train-shard worker did not listen"
PRE_URL=$(sed 's/^listening: \([^ ]*\).*/\1/' <<<"$PRE")
SHARD_URL=$(sed 's/^listening: \([^ ]*\).*/\1/' <<<"$SHARD")
cat > "$DIR/functions.yaml" <<EOF
provider: {name: gcp-cloud-run-functions, platform: http}
functions:
  preprocess: {handler: train-preprocess, memorySize: 2048, url: "$PRE_URL/"}
  shard: {handler: train-shard, memorySize: 2048, url: "$SHARD_URL/"}
EOF
for _ in $(seq 1 100); do bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null && break; sleep 0.1; done

(cd "$DIR" && "$EXE" train --dataset fashion-mnist --model logreg --workers 2 --epochs 1 --rounds-per-epoch 2 \
   --seed 1 --provider gcp-cloud-run-functions --memory 2048 --http-functions "$DIR/functions.yaml" \
   --store s3://sl/run --state-dir "$DIR/caller" --out "$DIR/model" --json > "$DIR/train.json" 2> "$DIR/train.err") \
  || fail "train --platform http failed"
/usr/bin/python3 - "$DIR/train.json" "$DIR/caller/ledger.jsonl" <<'PY' || fail "report or ledger wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["test_accuracy"] > 0.75, r["test_accuracy"]
assert r["total"]["invocations"] >= 6 and r["total"]["cost_usd"] > 0, r["total"]
rows = [json.loads(l) for l in open(sys.argv[2])]
assert rows and all(x["host"] == "http" and x["billing"] == "measured_by_caller" for x in rows), rows[:2]
# The trainer's per-job names (sl-preprocess-<job>, sl-train-<job>) found the file's functions by handler.
names = {x["function"].rsplit("-", 1)[0] for x in rows}
assert names == {"sl-preprocess", "sl-train"}, names
assert all(x["provider"] == "gcp-cloud-run-functions" and x["memory_mb"] == 2048 for x in rows), rows[:2]
print(f"http platform: test accuracy {r['test_accuracy']:.4f}, {len(rows)} invocations, billed ${r['total']['cost_usd']:.6f}")
PY
grep -q "model" "$DIR/model/manifest.json" || fail "no model artifact"
echo "PASS"

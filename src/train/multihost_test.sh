#!/bin/bash
# The multi-host proof (issue 14): serverless training and serving with their parts on three
# hosts made of network namespaces (scripts/lib/netns-hosts.sh), each with its own scratch folder,
# so shards, models and updates can travel only through the object store and invocations only
# through the Lambda Invoke API:
#   host A (10.77.0.1): the coordinator, `straightline train --platform lambda`, then the gateway,
#                       `straightline serve --tiers local,function --platform lambda`
#   host B (10.77.0.2): `straightline platform serve` with SigV4 on, standing in for Lambda
#   host C (10.77.0.3): s3rver, the S3-compatible store
# Mid-job, host B crashes (every process in it gets SIGKILL) and comes back: the job pays retries,
# not its life. Needs root for the namespaces; without it the test is skipped (CTest shows it as
# skipped, exit 77), never passed.
# Usage: multihost_test.sh STRAIGHTLINE_EXE SOURCE_DIR
# Environment: MULTIHOST_EPOCHS (default 2), MULTIHOST_KEEP=1 keeps the scratch folder.
set -u
EXE=$(readlink -f "$1")
SRC=$(readlink -f "$2")
EPOCHS=${MULTIHOST_EPOCHS:-2}
source "$SRC/scripts/lib/netns-hosts.sh"
if ! why=$(netns_hosts_check); then echo "SKIP: $why"; exit 77; fi
S3RVER="$SRC/.deps/node_modules/s3rver/bin/s3rver.js"
[ -f "$S3RVER" ] || { echo "SKIP: s3rver is not installed (scripts/install-deps.sh)"; exit 77; }
DATA=/usr/share/datasets/fashion-mnist
[ -d "$DATA" ] || { echo "SKIP: $DATA missing (Debian dataset-fashion-mnist)"; exit 77; }

TAG="mh$(( $$ % 100000 ))"
DIR=$(mktemp -d /tmp/sl-multihost.XXXXXX)
mkdir -p "$DIR/hostA" "$DIR/hostB" "$DIR/hostC"
A=10.77.0.1 B=10.77.0.2 C=10.77.0.3
cleanup() {
  netns_hosts_down "$TAG"
  if [ "${MULTIHOST_KEEP:-0}" = 1 ]; then echo "kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$DIR"/*.err "$DIR"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -25 "$f"; }; done
  exit 1
}
netns_hosts_up "$TAG" 3 || fail "could not make the hosts"

# Credentials: the store and the Lambda endpoint accept the same key pair (as one AWS account's
# keys work for S3 and Lambda); host B's credentials file lists it.
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' > "$DIR/hostB/credentials"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

# Host C: the store.
netns_run "$TAG" 3 node "$S3RVER" -d "$DIR/hostC/s3" -a "$C" -p 4568 -s --configure-bucket sl \
  > "$DIR/s3rver.log" 2>&1 &
wait_port() {  # host, address, port
  for _ in $(seq 1 300); do  # 30 s: a server starting on a loaded 2-core machine
    netns_run "$TAG" "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
wait_port 3 "$C" 4568 || fail "s3rver did not listen on $C:4568"

# Host B: the function platform behind the Invoke API, SigV4 required.
start_b() {
  (cd "$DIR/hostB" && netns_run "$TAG" 2 "$EXE" platform serve --host "$B" --port 9000 \
      --credentials-file "$DIR/hostB/credentials" --state-dir "$DIR/hostB/state" \
      > "$DIR/platform.log" 2> "$DIR/platform.err") &
  wait_port 2 "$B" 9000 || fail "platform serve did not listen on $B:9000"
}
start_b

# Host A: the coordinator. Its working folder is its own; the store is the only shared state.
export AWS_ENDPOINT_URL="http://$C:4568"
STORE="s3://sl/run-$TAG"
(cd "$DIR/hostA" && netns_run "$TAG" 1 "$EXE" train --dataset fashion-mnist --data-dir "$DATA" \
    --model cnn --workers 4 --epochs "$EPOCHS" --rounds-per-epoch 32 --lr 0.003 --server-momentum 0.5 \
    --seed 1 --max-retries 6 --platform lambda --endpoint-url "http://$B:9000" --store "$STORE" \
    --out "$DIR/hostA/model" --json > "$DIR/train.json" 2> "$DIR/train.err") &
TRAIN=$!

# Host B crashes in the middle of round 3 and comes back.
for _ in $(seq 1 1800); do
  grep -q 'round   2 (3/' "$DIR/train.err" 2>/dev/null && break
  kill -0 "$TRAIN" 2>/dev/null || break
  sleep 0.1
done
grep -q 'round   2 (3/' "$DIR/train.err" || fail "training did not reach round 3"
sleep 0.3
netns_kill_host "$TAG" 2
echo "host B crashed (SIGKILL to every process in it) after round 3 was reported"
start_b
echo "host B is back"

wait "$TRAIN" || fail "training failed (exit $?)"
ACC=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["test_accuracy"])' "$DIR/train.json") \
  || fail "no test accuracy in the report"
RETRIES=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["failed"])' "$DIR/train.json") \
  || fail "no failed-attempt count in the report"
COST=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["cost_usd"])' "$DIR/train.json") \
  || fail "no cost in the report"
echo "three hosts: test accuracy $ACC, failed attempts (retried) $RETRIES, billed \$$COST"
/usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.88 else 1)' "$ACC" \
  || fail "test accuracy $ACC < 0.88"
[ "$RETRIES" -ge 1 ] || fail "the crash of host B cost no retry: was it really down mid-round?"
/usr/bin/python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "$COST" || fail "the run was not priced"
# Nothing but the store carried the job: host B's scratch holds no model or shard.
if find "$DIR/hostB" -name '*.weights' -o -name 'shard-*' | grep -q .; then fail "host B holds job data"; fi

# Serving: the gateway on host A, its function tier on host B, the model delivered via the store.
(cd "$DIR/hostA" && netns_run "$TAG" 1 "$EXE" serve --model "fmnist=$DIR/hostA/model" --host 127.0.0.1 --port 0 \
    --tiers local,function --policy function --platform lambda --endpoint-url "http://$B:9000" \
    --model-store "s3://sl/models-$TAG" --state-dir "$DIR/hostA/serve" \
    > "$DIR/serve.log" 2> "$DIR/serve.err") &
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
for i in 1 2 3; do
  out=$(netns_run "$TAG" 1 curl -s -D "$DIR/headers" "${AUTH[@]}" -H 'Content-Type: application/json' \
        --data-binary @"$DIR/request.json" "$EP/v2/models/fmnist/infer") || fail "infer request $i failed"
  grep -qi '^X-Straightline-Tier: function' "$DIR/headers" || fail "request $i not on the function tier: $(cat "$DIR/headers") $out"
  grep -q '"outputs"' <<<"$out" || fail "request $i: no outputs: $out"
done
echo "serving: 3 requests placed on the function tier on host B"
echo "PASS"

#!/bin/bash
# `straightline serve --model s3://…|az://… --poll-s 1` as a real process (issue 20), on s3rver and
# on Azurite started here on loopback: a model published with `straightline store put` (weights,
# then manifest) is served with the answers of `straightline predict` on the same artifact and
# the version in X-Straightline-Model-Version; v2 published while a client sends requests is
# swapped in with no failed request; a v3 whose manifest names another SHA-256 is refused (the log
# names the key and both sums) and v2 keeps answering; a restart takes v2 from the cache (the log
# says so and the store served no weights). Then the errors: no manifest, no credentials, an
# endpoint nobody listens on — each names the URI.
# Usage: serve_store_cli_test.sh STRAIGHTLINE_EXE SOURCE_DIR   (SKIP, 77, without s3rver)
set -u
EXE=$(readlink -f "$1")
SRC=$(readlink -f "$2")
S3RVER=$SRC/.deps/node_modules/s3rver/bin/s3rver.js
AZURITE=$SRC/.deps/node_modules/.bin/azurite-blob
SDK=$SRC/src/store/testing/azure_sdk_interop.js
DATA=/usr/share/datasets/fashion-mnist
[ -f "$S3RVER" ] || { echo "SKIP: s3rver is not installed (scripts/install-deps.sh)"; exit 77; }
[ -d "$DATA" ] || { echo "SKIP: $DATA missing (Debian dataset-fashion-mnist)"; exit 77; }
DIR=$(mktemp -d /tmp/sl-serve-store.XXXXXX)
SERVE_PID=
cleanup_extra() { [ -n "$SERVE_PID" ] && kill -KILL "$SERVE_PID" 2>/dev/null; }
. "$SRC/scripts/cli-test-lib.sh"
version_of() { sha256sum "$1/manifest.json" | cut -c1-16; }

# Two small real models (logreg on 3,000 images, one epoch, different seeds) and a request body.
for v in 1 2; do
  "$EXE" train --dataset fashion-mnist --data-dir "$DATA" --model logreg --epochs 1 --limit 3000 \
    --seed "$v" --quiet --out "$DIR/m$v" > /dev/null 2> "$DIR/train$v.err" || fail "train m$v"
done
V1=$(version_of "$DIR/m1")
V2=$(version_of "$DIR/m2")
[ "$V1" != "$V2" ] || fail "two trainings gave one version"
/usr/bin/python3 - "$DIR" <<'PY' || fail "make the request body"
import gzip, json, sys
d = sys.argv[1]
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
img = list(raw[16:16 + 784])
json.dump({"id": "t0", "inputs": [{"name": "input__0", "shape": [1, 1, 28, 28], "datatype": "FP32",
           "data": [v / 255.0 for v in img]}]}, open(f"{d}/req.json", "w"))
PY
for v in 1 2; do
  "$EXE" predict --model "$DIR/m$v" --input "$DATA/t10k-images-idx3-ubyte.gz" --index 0 --top 0 --json \
    > "$DIR/predict$v.json" 2> "$DIR/predict$v.err" || fail "predict m$v"
done

publish() {  # model-dir uri
  "$EXE" store put "$1/weights.pt" "$2/weights.pt" > /dev/null 2>> "$DIR/put.err" || fail "store put weights to $2"
  "$EXE" store put "$1/manifest.json" "$2/manifest.json" > /dev/null 2>> "$DIR/put.err" || fail "store put manifest to $2"
}

start() {  # model-uri state-dir
  : > "$DIR/serve.out"
  "$EXE" serve --model "$1" --tiers local --poll-s 1 --port 0 --auth none --state-dir "$2" \
    > "$DIR/serve.out" 2> "$DIR/serve.err" &
  SERVE_PID=$!
  for _ in $(seq 1 300); do grep -q '^endpoint: ' "$DIR/serve.out" && break; sleep 0.1; done
  EP=$(sed -n 's/^endpoint: //p' "$DIR/serve.out")
  [ -n "$EP" ] || fail "serve --model $1: no endpoint line within 30 s"
}
stop() { kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || fail "serve exited $? after SIGTERM"; SERVE_PID=; }
infer() {  # → status; body in $DIR/body, headers in $DIR/headers
  curl -s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$DIR/req.json" "$EP/v2/models/fmnist/infer"
}
answering() { sed -n 's/^X-Straightline-Model-Version: //Ip' "$DIR/headers" | tr -d '\r'; }
same_as_predict() {  # n: the body's probabilities equal predict's for model n
  /usr/bin/python3 - "$DIR/body" "$DIR/predict$1.json" "$DIR/m$1/manifest.json" <<'PY'
import json, sys
body, pred = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
names = json.load(open(sys.argv[3]))["class_names"]
probs = next(o for o in body["outputs"] if o["name"] == "probabilities")["data"]
want = [pred["probabilities"][n] for n in names]  # predict --json keys them by class name
assert len(probs) == len(want) and all(abs(a - b) < 1e-5 for a, b in zip(probs, want)), (probs, want)
PY
}
wait_log() {  # pattern: up to 30 s for the server log to show it
  for _ in $(seq 1 300); do grep -q "$1" "$DIR/serve.err" && return 0; sleep 0.1; done
  return 1
}

scenario() {  # name base-uri
  local name=$1 uri=$2/fmnist state=$DIR/state-$1
  publish "$DIR/m1" "$uri"
  start "$uri" "$state"
  [ "$(infer)" = 200 ] || fail "$name: infer on v1: $(cat "$DIR/body")"
  [ "$(answering)" = "$V1" ] || fail "$name: version header '$(answering)', want $V1"
  same_as_predict 1 || fail "$name: v1 answers differ from straightline predict"
  grep -q "model fmnist: version $V1 from .* (downloaded and verified)" "$DIR/serve.err" || fail "$name: no download line"

  # v2 under load: a client keeps sending; every answer is 200 and the header switches to v2.
  ( n=0; bad=0; while [ ! -f "$DIR/stop-client" ]; do
      code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "@$DIR/req.json" "$EP/v2/models/fmnist/infer")
      n=$((n + 1)); [ "$code" = 200 ] || bad=$((bad + 1))
    done; echo "$n $bad" > "$DIR/client-counts" ) &
  local client=$!
  sleep 0.5
  publish "$DIR/m2" "$uri"
  wait_log "now serving version $V2" || fail "$name: v2 was not swapped in"
  sleep 0.5
  touch "$DIR/stop-client"; wait "$client"; rm -f "$DIR/stop-client"
  read -r sent failed < "$DIR/client-counts"
  [ "$failed" = 0 ] && [ "$sent" -gt 5 ] || fail "$name: $failed of $sent requests failed during the swap"
  [ "$(infer)" = 200 ] && [ "$(answering)" = "$V2" ] || fail "$name: after the swap the header says '$(answering)'"
  same_as_predict 2 || fail "$name: v2 answers differ from straightline predict"
  curl -s "$EP/v2/models/fmnist" | grep -q "\"versions\":\[\"$V2\"\]" || fail "$name: metadata does not name $V2"

  # v3: the v2 weights under a manifest that names another SHA-256: refused, v2 keeps answering.
  mkdir -p "$DIR/bad" && cp "$DIR/m2/weights.pt" "$DIR/bad/"
  /usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m["weights"]["sha256"]="0"*64; json.dump(m,open(sys.argv[2],"w"))' \
    "$DIR/m2/manifest.json" "$DIR/bad/manifest.json"
  publish "$DIR/bad" "$uri"
  wait_log "refused, still serving version $V2" || fail "$name: the corrupt version was not refused"
  grep "refused" "$DIR/serve.err" | grep -q "$uri/weights.pt: SHA-256 $(sha256sum "$DIR/m2/weights.pt" | cut -c1-64) does not match manifest.json's weights_sha256 0000000000000000" \
    || fail "$name: the refusal does not name the key and both sums: $(grep refused "$DIR/serve.err")"
  [ "$(infer)" = 200 ] && [ "$(answering)" = "$V2" ] || fail "$name: v2 does not answer after the refusal"
  stop

  # Restart with v2 published again: from the cache, no weights downloaded.
  publish "$DIR/m2" "$uri"
  start "$uri" "$state"
  grep -q "model fmnist: version $V2 from .* (from the cache)" "$DIR/serve.err" || fail "$name: restart did not use the cache"
  [ "$(infer)" = 200 ] && [ "$(answering)" = "$V2" ] || fail "$name: restart answers '$(answering)'"
  stop
  echo "ok: $name ($sent requests during the swap, none failed)"
}

# --- s3 on s3rver ---
start_s3rver sl
scenario s3 s3://sl/models

# Errors name the URI: no manifest, no credentials, an endpoint nobody listens on.
serve_fails() {  # expected-text model-uri [env...]
  local want=$1 uri=$2; shift 2
  env "$@" "$EXE" serve --model "$uri" --tiers local --port 0 --auth none --state-dir "$DIR/state-err" \
    > /dev/null 2> "$DIR/err.err" && fail "serve --model $uri started"
  grep -q "$want" "$DIR/err.err" || fail "serve --model $uri: error lacks '$want': $(cat "$DIR/err.err")"
}
serve_fails "s3://sl/models/none/manifest.json" s3://sl/models/none
serve_fails "no S3 credentials" s3://sl/models/fmnist -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY
serve_fails "s3://sl/models/fmnist" s3://sl/models/fmnist AWS_ENDPOINT_URL=http://127.0.0.1:$(free_port)
grep -q "UNAVAILABLE" "$DIR/err.err" || fail "an unreachable endpoint is not UNAVAILABLE: $(cat "$DIR/err.err")"
# --poll-s needs a store model and the local tier alone (exit 2, naming the reason).
"$EXE" serve --model "$DIR/m1" --poll-s 5 --tiers local --port 0 --auth none --state-dir "$DIR/state-err" \
  > /dev/null 2> "$DIR/err.err"
[ $? = 2 ] && grep -q "no model comes from a store" "$DIR/err.err" || fail "--poll-s with a local folder: $(cat "$DIR/err.err")"
"$EXE" serve --model s3://sl/models/fmnist --poll-s 5 --tiers local,function --port 0 --auth none \
  --state-dir "$DIR/state-err" > /dev/null 2> "$DIR/err.err"
[ $? = 2 ] && grep -q "local tier only" "$DIR/err.err" || fail "--poll-s with the function tier: $(cat "$DIR/err.err")"
echo "ok: errors"

# --- az on Azurite (when installed) ---
if [ -x "$AZURITE" ]; then
  start_azurite
  node "$SDK" "$SRC/.deps/node_modules" mkcontainer slmodels > /dev/null 2> "$DIR/mkcontainer.err" \
    || fail "creating the container with the SDK"
  scenario az az://devstoreaccount1/slmodels/models
else
  echo "note: azurite is not installed; the az:// scenario was skipped (scripts/install-deps.sh)"
fi
echo "PASS"

#!/bin/bash
# Serverless training with its store on Azure Blob Storage: `train --workers 4 --store
# az://devstoreaccount1/slrun/run1` against Azurite (the official emulator, on 127.0.0.1 and a free
# port, its workspace in a temp dir, telemetry off), credentials from
# AZURE_STORAGE_CONNECTION_STRING only. The functions (sandboxed instances of the embedded
# platform) reach the store through STRAIGHTLINE_STORE_AZURE_*; the run must reach the usual
# accuracy and the same test accuracy as the identical job on a file:// store, and its shards,
# models and updates must be in the container (listed by `straightline store ls az://...`). Then
# `serve --tiers function --model-store az://...` delivers the model to the predict functions
# through the container, and they answer as `predict` does.
# Usage: azure_train_e2e_test.sh STRAIGHTLINE_EXE SOURCE_DIR   (SKIP, 77, without azurite)
set -u
EXE=$(readlink -f "$1")
SRC=$(readlink -f "$2")
AZURITE=$SRC/.deps/node_modules/.bin/azurite-blob
SDK=$SRC/src/store/testing/azure_sdk_interop.js
DATA=/usr/share/datasets/fashion-mnist
[ -x "$AZURITE" ] || { echo "SKIP: azurite is not installed (scripts/install-deps.sh)"; exit 77; }
[ -d "$DATA" ] || { echo "SKIP: $DATA missing (Debian dataset-fashion-mnist)"; exit 77; }
DIR=$(mktemp -d /tmp/sl-az-train.XXXXXX)
. "$SRC/scripts/cli-test-lib.sh"

start_azurite
unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
node "$SDK" "$SRC/.deps/node_modules" mkcontainer slrun > "$DIR/mkcontainer.out" 2> "$DIR/mkcontainer.err" \
  || fail "creating the container with the SDK"

train() {  # name store-uri
  (cd "$DIR" && "$EXE" train --dataset fashion-mnist --data-dir "$DATA" --model logreg \
     --workers 4 --epochs 1 --rounds-per-epoch 4 --seed 1 --memory 1024 --store "$2" \
     --state-dir "$DIR/$1-state" --out "$DIR/$1-model" --json > "$DIR/$1.json" 2> "$DIR/$1.err") \
    || fail "train $1 ($2) failed"
}
T0=$(date +%s.%N)
train az az://devstoreaccount1/slrun/run1
T1=$(date +%s.%N)
train file "file://$DIR/file-store"
T2=$(date +%s.%N)

"$EXE" store ls --json az://devstoreaccount1/slrun/run1/ > "$DIR/ls.json" 2> "$DIR/ls.err" || fail "store ls az://"
/usr/bin/python3 - "$DIR" "$T0" "$T1" "$T2" <<'PY' || fail "training on az:// differs"
import json, sys
d, t0, t1, t2 = sys.argv[1], *map(float, sys.argv[2:])
az = json.load(open(f"{d}/az.json"))
fi = json.load(open(f"{d}/file.json"))
objs = json.load(open(f"{d}/ls.json"))
assert az["test_accuracy"] > 0.75, az["test_accuracy"]
assert az["test_accuracy"] == fi["test_accuracy"], (az["test_accuracy"], fi["test_accuracy"])
assert len(objs) >= 4, objs
size = sum(o["size"] for o in objs)
print(f"train --workers 4 --store az:// on Azurite: test accuracy {az['test_accuracy']:.4f} "
      f"(file:// {fi['test_accuracy']:.4f}), {len(objs)} objects / {size / 2**20:.1f} MiB in the container; "
      f"{t1 - t0:.1f} s on az://, {t2 - t1:.1f} s on file://")
PY
[ $? = 0 ] || exit 1

# Serving: the trained model delivered to the predict functions through --model-store az://.
"$EXE" serve --model "fmnist=$DIR/az-model" --port 0 --tiers function --policy function \
  --model-store az://devstoreaccount1/slrun/models --function-concurrency 2 --auth none --state-dir "$DIR/serve" \
  > "$DIR/serve.log" 2> "$DIR/serve.err" &
PIDS+=($!)
for _ in $(seq 1 600); do grep -q '^endpoint: ' "$DIR/serve.log" 2>/dev/null && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' "$DIR/serve.log")
[ -n "$EP" ] || fail "serve printed no endpoint line"
/usr/bin/python3 - "$DATA" "$EP" "$EXE" "$DIR/az-model" <<'PY' || fail "serving from the az:// model store"
import gzip, json, subprocess, sys, urllib.request
data, ep, exe, model = sys.argv[1:5]
raw = gzip.open(data + "/t10k-images-idx3-ubyte.gz").read()
for i in range(4):
    px = raw[16 + 784 * i:16 + 784 * (i + 1)]
    body = json.dumps({"inputs": [{"name": "input__0", "shape": [1, 1, 28, 28], "datatype": "FP32",
                                   "data": [b / 255.0 for b in px]}]}).encode()
    req = urllib.request.Request(f"{ep}/v2/models/fmnist/infer", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        assert r.status == 200, r.status
        assert r.headers.get("X-Straightline-Tier", "").startswith("function"), r.headers.get("X-Straightline-Tier")
        outs = {o["datatype"]: o for o in json.loads(r.read())["outputs"]}
    p = subprocess.run([exe, "predict", "--model", model, "--input", data + "/t10k-images-idx3-ubyte.gz", "--index", str(i),
                        "--json"], capture_output=True, text=True, check=True)
    local = json.loads(p.stdout)
    assert outs["BYTES"]["data"][0] == local["class"], (i, outs["BYTES"], local["class"])
print("serving: the function tier loaded the model from az:// and answers as `predict` does (4/4)")
PY
[ $? = 0 ] || exit 1
"$EXE" store ls az://devstoreaccount1/slrun/models/ > "$DIR/models.ls" 2>&1 || fail "store ls models"
grep -q "fmnist/" "$DIR/models.ls" || fail "no model objects under az://devstoreaccount1/slrun/models: $(cat "$DIR/models.ls")"
echo PASS

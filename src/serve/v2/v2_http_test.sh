#!/bin/bash
# The KServe v2 dialect over HTTP, through `straightline serve --tiers local` and curl (issue 17):
# the shipped examples (examples/request.json, examples/shirt.png) give the same answer, the
# model metadata says the input scale, a wrong input name or datatype is 400 in Triton's words,
# and binary outputs (binary_data_output / binary_data) come back as the binary tensor data
# extension: Inference-Header-Content-Length, the JSON header, then little-endian tensors.
# Usage: v2_http_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
PY=/usr/bin/python3
DIR=$(mktemp -d /tmp/sl-v2-http.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- server stderr:"; tail -20 "$DIR/err" 2>/dev/null; exit 1; }
check() {  # WHAT PYTHON [ARGS...]
  local what=$1 code=$2; shift 2
  "$PY" -c "import json, struct, sys
$code" "$@" >"$DIR/pyout" 2>&1 || fail "$what: $(tail -5 "$DIR/pyout")"
}

"$EXE" train --dataset fashion-mnist --model logreg --epochs 1 --limit 3000 --quiet \
  --out "$DIR/fmnist" > /dev/null || fail "train the test model"
"$EXE" serve --model "$DIR/fmnist" --port 0 --state-dir "$DIR/state" --tiers local --policy local \
  >"$DIR/out" 2>"$DIR/err" &
PID=$!
for _ in $(seq 1 300); do grep -q '^endpoint: ' "$DIR/out" && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' "$DIR/out")
[ -n "$EP" ] || fail "serve: no endpoint line within 30 s"
AUTH="Authorization: Bearer $(head -1 "$(sed -n 's/^token-file: //p' "$DIR/out")")"
# post NAME curl-args...: body → $DIR/NAME, headers → $DIR/NAME.h; prints the status code.
post() {
  local name=$1; shift
  curl -s -o "$DIR/$name" -D "$DIR/$name.h" -w '%{http_code}' -H "$AUTH" -X POST "$EP/v2/models/fmnist/infer" "$@"
}
header() { sed -n "s/^$2: //Ip" "$DIR/$1.h" | tr -d '\r'; }

# --- the metadata says what the input values mean ---
[ "$(curl -s -o "$DIR/meta" -w '%{http_code}' -H "$AUTH" "$EP/v2/models/fmnist")" = 200 ] || fail "metadata"
check "metadata input_scale" '
m = json.load(open(sys.argv[1]))
assert m["inputs"][0]["name"] == "input__0" and m["inputs"][0]["datatype"] == "FP32", m["inputs"]
s = m["parameters"]["input_scale"]
assert "pixel values / 255, in [0, 1] (not 0..255)" in s and "normalises them itself" in s, s
' "$DIR/meta"

# --- the shipped examples: a real test image as JSON (pixel/255) and as PNG, same answer ---
[ "$(post json -H 'Content-Type: application/json' -d @"$SRC/examples/request.json")" = 200 ] \
  || fail "examples/request.json: $(cat "$DIR/json")"
[ "$(post png -H 'Content-Type: image/png' --data-binary @"$SRC/examples/shirt.png")" = 200 ] \
  || fail "examples/shirt.png: $(cat "$DIR/png")"
check "examples/request.json and shirt.png agree" '
j = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
out = lambda r, n: [o for o in r["outputs"] if o["name"] == n][0]["data"]
assert j["id"] == "fashion-mnist-test-92", j.get("id")
assert out(j, "label") == out(p, "label"), (out(j, "class_name"), out(p, "class_name"))
for a, b in zip(out(j, "probabilities"), out(p, "probabilities")):
    assert abs(a - b) < 1e-3, (a, b)
# Not saturated: no class at probability 1.
assert max(out(j, "probabilities")) < 0.9999, out(j, "probabilities")
' "$DIR/json" "$DIR/png"

# --- strict inputs: the wrong name, the wrong datatype ---
"$PY" - "$SRC/examples/request.json" "$DIR" <<'PY' || fail "make bad requests"
import json, sys
r = json.load(open(sys.argv[1])); d = sys.argv[2]
bad = json.loads(json.dumps(r)); bad["inputs"][0]["name"] = "image"
json.dump(bad, open(d + "/badname.json", "w"))
bad = json.loads(json.dumps(r)); bad["inputs"][0]["datatype"] = "FP64"
json.dump(bad, open(d + "/fp64.json", "w"))
b = json.loads(json.dumps(r)); b["parameters"] = {"binary_data_output": True}
json.dump(b, open(d + "/binall.json", "w"))
b = json.loads(json.dumps(r)); b["outputs"] = [{"name": "probabilities"}, {"name": "label", "parameters": {"binary_data": True}}]
json.dump(b, open(d + "/binlabel.json", "w"))
PY
[ "$(post e1 -H 'Content-Type: application/json' -d @"$DIR/badname.json")" = 400 ] || fail "wrong input name: $(cat "$DIR/e1")"
grep -qF "unexpected inference input 'image' for model 'fmnist' (its input is 'input__0')" "$DIR/e1" \
  || fail "wrong input name: $(cat "$DIR/e1")"
[ "$(post e2 -H 'Content-Type: application/json' -d @"$DIR/fp64.json")" = 400 ] || fail "FP64: $(cat "$DIR/e2")"
grep -qF "inference input 'input__0' data-type is 'FP64', but model 'fmnist' expects 'FP32'" "$DIR/e2" \
  || fail "FP64: $(cat "$DIR/e2")"

# --- binary outputs ---
[ "$(post b1 -H 'Content-Type: application/json' -d @"$DIR/binall.json")" = 200 ] || fail "binary_data_output: $(cat "$DIR/b1")"
[ "$(header b1 Content-Type)" = application/octet-stream ] || fail "binary output content type: $(header b1 Content-Type)"
H=$(header b1 Inference-Header-Content-Length)
[ -n "$H" ] || fail "binary output: no Inference-Header-Content-Length: $(cat "$DIR/b1.h")"
check "binary_data_output: JSON header, then FP32, INT64, BYTES little-endian" '
body = open(sys.argv[1], "rb").read(); h = int(sys.argv[2]); ref = json.load(open(sys.argv[3]))
head = json.loads(body[:h]); tail = body[h:]
outs = {o["name"]: o for o in head["outputs"]}
want = {o["name"]: o["data"] for o in ref["outputs"]}
assert all("data" not in o for o in outs.values()), head
sizes = [o["parameters"]["binary_data_size"] for o in head["outputs"]]
assert sum(sizes) == len(tail), (sizes, len(tail))
at = 0
for o, size in zip(head["outputs"], sizes):
    chunk = tail[at:at + size]; at += size
    if o["datatype"] == "FP32":
        vals = list(struct.unpack("<%df" % (size // 4), chunk))
        assert all(abs(a - b) < 1e-6 for a, b in zip(vals, want[o["name"]])), (vals, want[o["name"]])
    elif o["datatype"] == "INT64":
        assert list(struct.unpack("<%dq" % (size // 8), chunk)) == want[o["name"]], chunk
    else:
        n = struct.unpack("<I", chunk[:4])[0]
        assert [chunk[4:4 + n].decode()] == want[o["name"]], chunk
' "$DIR/b1" "$H" "$DIR/json"
[ "$(post b2 -H 'Content-Type: application/json' -d @"$DIR/binlabel.json")" = 200 ] || fail "binary_data on label: $(cat "$DIR/b2")"
H2=$(header b2 Inference-Header-Content-Length)
check "binary_data on one output" '
body = open(sys.argv[1], "rb").read(); h = int(sys.argv[2])
head = json.loads(body[:h])
assert [o["name"] for o in head["outputs"]] == ["probabilities", "label"], head
assert "data" in head["outputs"][0] and head["outputs"][1]["parameters"]["binary_data_size"] == 8, head
assert len(body) == h + 8, (len(body), h)
' "$DIR/b2" "$H2"

# --- image/jpeg (issue 21 §4): a 224x224 JPEG (Fashion-MNIST upscaled by `dataset
# write-imagefolder`) is resized to the model's 28x28 and answered; a truncated one is a 400
# naming libjpeg's complaint ---
"$EXE" dataset write-imagefolder --out "$DIR/jpg" --per-class 1 --test-per-class 1 --size 224 \
  > /dev/null || fail "dataset write-imagefolder"
JPG="$DIR/jpg/test/Trouser/00000.jpg"
[ "$(post jpeg -H 'Content-Type: image/jpeg' --data-binary @"$JPG")" = 200 ] || fail "image/jpeg: $(cat "$DIR/jpeg")"
check "image/jpeg answer" '
r = json.load(open(sys.argv[1]))
probs = [o for o in r["outputs"] if o["name"] == "probabilities"][0]["data"]
assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-4, probs
' "$DIR/jpeg"
head -c 1000 "$JPG" > "$DIR/cut.jpg"
[ "$(post jcut -H 'Content-Type: image/jpeg' --data-binary @"$DIR/cut.jpg")" = 400 ] || fail "truncated JPEG: $(cat "$DIR/jcut")"
grep -q "JPEG: Premature end of JPEG file" "$DIR/jcut" || fail "truncated JPEG message: $(cat "$DIR/jcut")"

kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" = 0 ] || fail "serve exited $rc after SIGTERM"
echo "PASS"

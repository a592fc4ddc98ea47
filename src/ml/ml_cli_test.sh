#!/bin/bash
# The ML core through the `straightline` executable, as a user runs it: train (single process)
# a small logreg on Fashion-MNIST, eval it (JSON, text with per-class accuracy and confusion
# matrix, k-fold), predict from an IDX record, a PNG and a PGM, import a TorchScript module made
# by PyTorch and run it, a small text classifier, an image folder of JPEGs with a small resnet,
# and the usage / input errors with their exit codes. Usage: ml_cli_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
PY=/usr/bin/python3
FMNIST=/usr/share/datasets/fashion-mnist
T10K=$FMNIST/t10k-images-idx3-ubyte.gz
DIR=$(mktemp -d /tmp/sl-ml-cli.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
fail() { echo "FAIL: $*"; [ -s "$DIR/err" ] && { echo "--- stderr:"; tail -20 "$DIR/err"; }; exit 1; }
# run CMD...: runs the executable, stdout → $DIR/out, stderr → $DIR/err, sets RC.
run() { "$EXE" "$@" >"$DIR/out" 2>"$DIR/err"; RC=$?; }
# expect_rc WANT WHAT: the last run exited WANT.
expect_rc() { [ "$RC" = "$1" ] || fail "$2: exit code $RC, expected $1; stdout: $(head -c 600 "$DIR/out")"; }
# expect_err TEXT WHAT: the last run's stderr contains TEXT (fixed string).
expect_err() { grep -qF -- "$1" "$DIR/err" || fail "$2: stderr does not mention '$1': $(head -c 600 "$DIR/err")"; }
# check WHAT PYTHON-ASSERTIONS [FILES...]: runs python with sys.argv[1:] = FILES; a failed assert
# (or a parse error) fails the test with WHAT.
check() {
  local what=$1 code=$2; shift 2
  "$PY" -c "import json, math, sys
$code" "$@" >"$DIR/pyout" 2>&1 || fail "$what: $(tail -5 "$DIR/pyout")"
}
cd "$DIR" || exit 1
[ -r "$T10K" ] || fail "Fashion-MNIST is not installed at $FMNIST"

# --- train: logreg on 3,000 Fashion-MNIST images, one epoch, JSON report ---
run train --dataset fashion-mnist --model logreg --epochs 1 --limit 3000 --quiet --json \
  --out "$DIR/fm"
expect_rc 0 "train"
cp "$DIR/out" "$DIR/train.json"
check "train --json report" '
r = json.load(open(sys.argv[1]))
assert r["model"]["name"] == "logreg", r["model"]
# --limit caps the train split; validation keeps its 10 % of the 60,000 training images.
assert r["train_samples"] == 3000, r["train_samples"]
assert r["training"]["epochs_completed"] == 1 and r["training"]["samples"] == 3000, r["training"]
v, t = r["validation"], r["test"]
assert v["samples"] == 6000, v["samples"]
assert t["samples"] == 10000, t["samples"]
for name, e in (("validation", v), ("test", t)):
    # logreg reaches ~0.75 after one epoch on 2,700 images; chance is 0.10.
    assert 0.6 < e["accuracy"] < 0.95, (name, e["accuracy"])
    assert e["correct"] == round(e["accuracy"] * e["samples"]), (name, e)
    assert len(e["per_class"]) == 10 and len(e["confusion"]) == 10, name
    assert sum(map(sum, e["confusion"])) == e["samples"], name
assert r["artifact"] == sys.argv[2], r["artifact"]
' "$DIR/train.json" "$DIR/fm"
[ -f "$DIR/fm/manifest.json" ] || fail "train: no manifest.json in the artifact"
check "artifact manifest" '
import hashlib, os
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
t = json.load(open(sys.argv[2]))
w = os.path.join(d, m["weights"]["file"])
assert os.path.getsize(w) == m["weights"]["bytes"] > 0, (w, m["weights"])
assert hashlib.sha256(open(w, "rb").read()).hexdigest() == m["weights"]["sha256"], "sha256"
assert m["model"]["name"] == "logreg", m["model"]
assert len(m["class_names"]) == 10 and m["class_names"][9] == "Ankle boot", m["class_names"]
assert m["metrics"]["test"]["accuracy"] == t["test"]["accuracy"], (m["metrics"], t["test"])
' "$DIR/fm" "$DIR/train.json"

# --- eval: the same test accuracy as train reported ---
run eval --model "$DIR/fm" --quiet --json
expect_rc 0 "eval --json"
cp "$DIR/out" "$DIR/eval.json"
check "eval --json agrees with train" '
e = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))["test"]
assert e["split"] == "test" and e["dataset"] == "fashion-mnist", e
ev = e["evaluation"]
assert ev["samples"] == t["samples"] and ev["correct"] == t["correct"], (ev["correct"], t["correct"])
assert ev["accuracy"] == t["accuracy"], (ev["accuracy"], t["accuracy"])
assert ev["confusion"] == t["confusion"], "confusion matrices differ"
assert e["kfold"] is None, e["kfold"]
' "$DIR/eval.json" "$DIR/train.json"

run eval --model "$DIR/fm" --quiet
expect_rc 0 "eval (text)"
grep -q '^accuracy 0\.[0-9]\{4\} ([0-9]*/10000)' "$DIR/out" || fail "eval text: no accuracy line: $(head -3 "$DIR/out")"
grep -q '^per class:' "$DIR/out" || fail "eval text: no per-class accuracy"
grep -q '^  Ankle boot *0\.[0-9]\{4\}  (1000 samples)' "$DIR/out" || fail "eval text: no 'Ankle boot' row"
grep -q '^confusion matrix (rows: true class, columns: predicted class):' "$DIR/out" \
  || fail "eval text: no confusion matrix"
rows=$(grep -cE '^  [0-9] [A-Za-z/ -]+( +[0-9]+){10}$' "$DIR/out")
[ "$rows" = 10 ] || fail "eval text: $rows confusion-matrix rows, expected 10"

# k-fold: 3 folds over 600 train samples, one epoch each (evaluated on 500 test samples).
run eval --model "$DIR/fm" --quiet --json --limit 500 --kfold 3 --kfold-limit 600 --kfold-epochs 1
expect_rc 0 "eval --kfold 3 --json"
check "k-fold mean and std" '
e = json.load(open(sys.argv[1]))
assert e["evaluation"]["samples"] == 500, e["evaluation"]["samples"]
k = e["kfold"]
assert k["k"] == 3 and len(k["fold_accuracy"]) == 3, k
assert sum(k["fold_samples"]) == 600, k["fold_samples"]
a = k["fold_accuracy"]
assert all(0.3 < x <= 1 for x in a), a
mean = sum(a) / 3
assert abs(k["mean_accuracy"] - mean) < 1e-12, (k["mean_accuracy"], mean)
std = math.sqrt(sum((x - mean) ** 2 for x in a) / 3)
assert abs(k["std_accuracy"] - std) < 1e-12, (k["std_accuracy"], std)
' "$DIR/out"
run eval --model "$DIR/fm" --quiet --limit 200 --kfold 2 --kfold-limit 300 --kfold-epochs 1
expect_rc 0 "eval --kfold 2 (text)"
grep -q '^2-fold cross-validation: mean accuracy 0\.[0-9]\{4\}, std 0\.[0-9]\{4\}' "$DIR/out" \
  || fail "eval --kfold text: no mean/std line: $(tail -4 "$DIR/out")"
[ "$(grep -c '^  fold  [12]: ' "$DIR/out")" = 2 ] || fail "eval --kfold text: not 2 fold lines"

# --- predict: IDX record, then the same image as PGM and PNG gives the same probabilities ---
run predict --model "$DIR/fm" --input "$T10K" --index 0
expect_rc 0 "predict --index 0"
grep -qE "^$T10K record 0: (T-shirt/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot) \(p=[01]\.[0-9]{4}\)$" \
  "$DIR/out" || fail "predict --index 0: $(head -2 "$DIR/out")"
TEXT_CLASS=$(sed -n '1s/^.* record 0: \(.*\) (p=.*$/\1/p' "$DIR/out")
[ "$(grep -c '^  [A-Za-z]' "$DIR/out")" = 5 ] || fail "predict: not the top 5 classes: $(cat "$DIR/out")"
run predict --model "$DIR/fm" --input "$T10K" --index 0 --top 0 --json
expect_rc 0 "predict --index 0 --json"
cp "$DIR/out" "$DIR/pred-idx.json"
check "predict --json" '
p = json.load(open(sys.argv[1]))
m = json.load(open(sys.argv[3] + "/fm/manifest.json"))
assert p["class"] == sys.argv[2] == m["class_names"][p["label"]], (p["class"], sys.argv[2])
assert p["input"] == sys.argv[4] + " record 0", p["input"]
assert len(p["probabilities"]) == 10, p["probabilities"]
assert abs(sum(p["probabilities"].values()) - 1) < 1e-4, p["probabilities"]
assert p["probability"] == max(p["probabilities"].values()) == p["probabilities"][p["class"]], p
' "$DIR/pred-idx.json" "$TEXT_CLASS" "$DIR" "$T10K"

"$PY" - "$T10K" "$DIR" <<'PY' || fail "write the PGM and PNG of test record 0"
import gzip, struct, sys, zlib
raw = gzip.open(sys.argv[1]).read()
img = raw[16:16 + 784]
open(sys.argv[2] + "/rec0.pgm", "wb").write(b"P5\n# test record 0\n28 28\n255\n" + img)
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
rows = b"".join(b"\0" + img[28 * y:28 * y + 28] for y in range(28))  # filter 0 per row
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open(sys.argv[2] + "/rec0.png", "wb").write(png)
PY
for f in rec0.pgm rec0.png; do
  run predict --model "$DIR/fm" --input "$DIR/$f" --top 0 --json
  expect_rc 0 "predict $f"
  check "predict $f = predict --index 0" '
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a["input"] == sys.argv[3], a["input"]
assert a["class"] == b["class"], (a["class"], b["class"])
assert a["probabilities"] == b["probabilities"], (a["probabilities"], b["probabilities"])
' "$DIR/out" "$DIR/pred-idx.json" "$DIR/$f"
done
# A 28x28 greyscale PNG from the serving layer's corpus (written by another encoder).
run predict --model "$DIR/fm" --input "$SRC/src/serve/v2/fuzz_corpus/png_gray_28x28.png"
expect_rc 0 "predict png_gray_28x28.png"
grep -qE '^.*png_gray_28x28\.png: .+ \(p=[01]\.[0-9]{4}\)$' "$DIR/out" \
  || fail "predict png_gray_28x28.png: $(head -2 "$DIR/out")"

# Input errors: an index outside the file, a missing file, an image of the wrong size.
run predict --model "$DIR/fm" --input "$T10K" --index 99999999
expect_rc 2 "predict --index 99999999"
expect_err "--index 99999999 is outside [0, 10000)" "predict --index 99999999"
run predict --model "$DIR/fm" --input "$DIR/no-such-image.png"
[ "$RC" != 0 ] || fail "predict of a missing input file succeeded"
expect_err "$DIR/no-such-image.png" "predict of a missing input file"
printf 'P5\n4 4\n255\n0123456789abcdef' > "$DIR/small.pgm"
run predict --model "$DIR/fm" --input "$DIR/small.pgm"
expect_rc 2 "predict of a 4x4 image"
expect_err "image is 4x4, the model takes 28x28" "predict of a 4x4 image"
run predict --model "$DIR/no-such-model" --input "$T10K"
expect_rc 1 "predict with a missing model"
expect_err "$DIR/no-such-model: no such model directory" "predict with a missing model"

# --- model import: a TorchScript module scripted by PyTorch ---
# (torch.jit.script reads the module's source, so the script goes to a file, not stdin.)
cat > "$DIR/make_ts.py" <<'PY'
import gzip, json, sys
import torch
d = sys.argv[1]
torch.manual_seed(7)
class Tiny(torch.nn.Module):
    def __init__(self, outputs: int):
        super().__init__()
        self.fc = torch.nn.Linear(28 * 28, outputs)
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(x, 1) * 4.0 - 2.0)
tiny = Tiny(10).eval()
torch.jit.save(torch.jit.script(tiny), d + "/tiny.pt")
torch.jit.save(torch.jit.script(Tiny(5).eval()), d + "/five.pt")
# What the module says about test record 0 (raw [0, 1] scale), for the comparison below.
raw = gzip.open(sys.argv[2]).read()
x = torch.tensor(list(raw[16:16 + 784]), dtype=torch.float32).reshape(1, 1, 28, 28) / 255.0
with torch.no_grad():
    p = torch.softmax(tiny(x), 1)[0]
print(json.dumps({"label": int(p.argmax()), "probabilities": [float(v) for v in p]}))
PY
"$PY" "$DIR/make_ts.py" "$DIR" "$T10K" > "$DIR/ts.json" 2>"$DIR/err" || fail "make the TorchScript modules"
CLASSES=c0,c1,c2,c3,c4,c5,c6,c7,c8,c9
run model import "$DIR/tiny.pt" --input-shape 1,28,28 --classes $CLASSES --out "$DIR/ts"
expect_rc 0 "model import"
grep -qF "imported $DIR/tiny.pt into $DIR/ts (10 classes, input 1x28x28)" "$DIR/out" \
  || fail "model import: $(cat "$DIR/out")"
run model show "$DIR/ts"
expect_rc 0 "model show (imported)"
grep -q '^artifact .*(format version [0-9]*, torchscript, checksum verified)$' "$DIR/out" \
  || fail "model show: not a verified torchscript artifact: $(head -1 "$DIR/out")"
grep -q '^input        1x28x28 ' "$DIR/out" || fail "model show: input shape: $(cat "$DIR/out")"
grep -q '^classes      10: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9$' "$DIR/out" \
  || fail "model show: classes: $(cat "$DIR/out")"
grep -qF "imported     $DIR/tiny.pt" "$DIR/out" || fail "model show: no provenance: $(cat "$DIR/out")"
run predict --model "$DIR/ts" --input "$T10K" --index 0 --top 0 --json
expect_rc 0 "predict with the imported model"
check "imported model predicts what PyTorch computes" '
p = json.load(open(sys.argv[1])); want = json.load(open(sys.argv[2]))
assert p["label"] == want["label"] and p["class"] == "c%d" % want["label"], (p["class"], want)
for i, w in enumerate(want["probabilities"]):
    got = p["probabilities"]["c%d" % i]
    assert abs(got - w) < 1e-5, (i, got, w)
' "$DIR/out" "$DIR/ts.json"
run model show "$DIR/fm"
expect_rc 0 "model show (native)"
grep -q '^artifact .*(format version [0-9]*, native, checksum verified)$' "$DIR/out" \
  || fail "model show native: $(head -1 "$DIR/out")"
grep -q '^test         accuracy 0\.[0-9]\{4\} on 10000 samples$' "$DIR/out" \
  || fail "model show native: no test accuracy: $(cat "$DIR/out")"

# Import refusals: not TorchScript, the wrong number of outputs, a bad shape flag.
echo "this is not a TorchScript archive" > "$DIR/junk.pt"
run model import "$DIR/junk.pt" --input-shape 1,28,28 --classes $CLASSES --out "$DIR/junk"
expect_rc 1 "model import of a non-TorchScript file"
expect_err "$DIR/junk.pt: not a loadable TorchScript file" "model import of a non-TorchScript file"
[ ! -e "$DIR/junk" ] || fail "model import of a non-TorchScript file wrote $DIR/junk"
run model import "$DIR/five.pt" --input-shape 1,28,28 --classes $CLASSES --out "$DIR/five"
expect_rc 2 "model import of a 5-output module with 10 classes"
expect_err "$DIR/five.pt: forward() on one sample of shape" "model import of a 5-output module"
[ ! -e "$DIR/five" ] || fail "model import of a 5-output module wrote $DIR/five"
run model import "$DIR/tiny.pt" --input-shape 1,x,28 --classes $CLASSES --out "$DIR/bad"
expect_rc 2 "model import --input-shape 1,x,28"
expect_err "--input-shape: 'x' is not a positive integer" "model import --input-shape 1,x,28"

# --- model list: the architectures, as text and --json ---
run model list
expect_rc 0 "model list"
grep -q '^cnn ' "$DIR/out" || fail "model list: no cnn: $(cat "$DIR/out")"
run model list --json
expect_rc 0 "model list --json"
check "model list --json" '
models = {m["name"]: m for m in json.load(open(sys.argv[1]))}
assert {"logreg", "mlp", "cnn", "textclf"} <= set(models), sorted(models)
assert models["cnn"]["summary"], models["cnn"]
for m in models.values():
    for h in m["hparams"]:
        assert set(h) == {"name", "default", "help"}, h
assert any(h["name"] == "hidden" for h in models["mlp"]["hparams"]), models["mlp"]
' "$DIR/out"

# --- text: a hashed unigram classifier on 2,000 SpamAssassin e-mails (a few seconds) ---
run train --dataset spamassassin --limit 2000 --vocab-size 4096 --ngram-max 1 --epochs 5 \
  --lr 0.01 --quiet --json --out "$DIR/spam"
if [ "$RC" = 1 ] && grep -q 'SpamAssassin corpus not found' "$DIR/err"; then
  echo "note: SpamAssassin corpus not installed; text model checks skipped"
else
  expect_rc 0 "train textclf on spamassassin"
  check "textclf report" '
r = json.load(open(sys.argv[1]))
assert r["model"]["name"] == "textclf", r["model"]
assert r["model"]["input"]["kind"] == "tokens" and r["model"]["input"]["vocab_size"] == 4096, r["model"]
assert r["test"]["class_names"] == ["ham", "spam"], r["test"]["class_names"]
# Always answering ham scores ~0.69 here; this setting reaches ~0.98.
assert r["test"]["accuracy"] > 0.9, r["test"]["accuracy"]
' "$DIR/out"
  printf 'Subject: FREE money!!! Click here to claim your prize\n\nYou have WON $1,000,000. Act now, limited offer, click http://example.com/win\n' > "$DIR/spam.txt"
  printf 'Subject: Re: patch for the build script\n\nThanks, I applied your patch to the CVS tree and the nightly build works again. Can we talk about the kernel config on Monday?\n' > "$DIR/ham.txt"
  for want in spam ham; do
    run predict --model "$DIR/spam" --input "$DIR/$want.txt" --json
    expect_rc 0 "predict on $want.txt"
    check "text prediction of $want.txt" '
p = json.load(open(sys.argv[1]))
assert p["input"] == sys.argv[3], p["input"]
assert p["class"] == sys.argv[2] and p["probability"] > 0.9, p
assert abs(sum(p["probabilities"].values()) - 1) < 1e-4, p
' "$DIR/out" "$want" "$DIR/$want.txt"
  done
  run model show "$DIR/spam"
  expect_rc 0 "model show (text)"
  grep -q '^input        tokens<vocab 4096> int64$' "$DIR/out" || fail "model show (text): $(cat "$DIR/out")"
fi

# --- usage errors exit 2 and name the flag ---
run train --epochs x
expect_rc 2 "train --epochs x"
expect_err "--epochs: 'x' is not an integer" "train --epochs x"
run train --lr fast
expect_rc 2 "train --lr fast"
expect_err "--lr: 'fast' is not a number" "train --lr fast"
run train --no-such-flag 1
expect_rc 2 "train --no-such-flag"
expect_err "unknown flag --no-such-flag" "train --no-such-flag"
run train --dataset no-such-dataset --quiet --out "$DIR/x"
expect_rc 2 "train --dataset no-such-dataset"
expect_err "unknown dataset 'no-such-dataset'" "train --dataset no-such-dataset"
run train --dataset fashion-mnist --hparam hidden=3
expect_rc 2 "train --hparam without --model"
expect_err "--hparam needs --model" "train --hparam without --model"
run eval --json
expect_rc 2 "eval without --model"
expect_err "--model: required" "eval without --model"
run eval --model "$DIR/fm" --kfold-limit many
expect_rc 2 "eval --kfold-limit many"
expect_err "--kfold-limit: 'many' is not an integer" "eval --kfold-limit many"
run predict --model "$DIR/fm"
expect_rc 2 "predict without --input"
expect_err "--model and --input are required" "predict without --input"
run predict --model "$DIR/fm" --input "$T10K" --index one
expect_rc 2 "predict --index one"
expect_err "--index: 'one' is not an integer" "predict --index one"
run model import "$DIR/tiny.pt" --classes $CLASSES --out "$DIR/y"
expect_rc 2 "model import without --input-shape"
expect_err "--input-shape, --classes and --out are required" "model import without --input-shape"
run model frobnicate
expect_rc 2 "model frobnicate"
expect_err "unknown subcommand 'frobnicate'" "model frobnicate"
# --- image folders of JPEGs (issue 21 §4): Fashion-MNIST written as 40x40 JPEGs, a small resnet
# trained on them at 32x32, eval at the model's own size, predict on a JPEG of another size ---
run dataset write-imagefolder --out "$DIR/imgs" --per-class 6 --test-per-class 2 --size 40
expect_rc 0 "dataset write-imagefolder"
[ "$(ls "$DIR/imgs/train" | wc -l)" = 10 ] && [ -f "$DIR/imgs/train/T-shirt-top/00005.jpg" ] \
  || fail "write-imagefolder layout: $(ls "$DIR/imgs/train")"
run train --dataset imagefolder --data-dir "$DIR/imgs" --image-size 32 --image-channels 1 \
  --model resnet --hparam width=4 --hparam stem=cifar --epochs 1 --batch-size 8 --quiet --json \
  --out "$DIR/rn"
expect_rc 0 "train --dataset imagefolder --model resnet"
check "imagefolder train report" '
r = json.load(open(sys.argv[1]))
assert r["train_samples"] + 0 > 0 and r["test"]["samples"] == 20, r.get("test")
m = json.load(open(sys.argv[2]))
assert m["model"]["input"]["shape"] == [1, 32, 32], m["model"]["input"]
assert m["class_names"][0] == "Ankle boot" and m["class_names"][-1] == "Trouser", m["class_names"]
' "$DIR/out" "$DIR/rn/manifest.json"
run eval --model "$DIR/rn" --data-dir "$DIR/imgs" --json --quiet
expect_rc 0 "eval on the image folder"
run predict --model "$DIR/rn" --input "$DIR/imgs/test/Bag/00000.jpg" --json
expect_rc 0 "predict a 40x40 JPEG on a 32x32 model"
head -c 200 "$DIR/imgs/test/Bag/00000.jpg" > "$DIR/cut.jpg"
run predict --model "$DIR/rn" --input "$DIR/cut.jpg"
expect_rc 2 "predict a truncated JPEG"
expect_err "cut.jpg: JPEG: " "predict a truncated JPEG"
run train --dataset imagefolder --data-dir "$DIR/imgs" --image-size 32x --quiet
expect_rc 2 "train --image-size 32x"
expect_err "--image-size: '32x' is not N or HxW" "train --image-size 32x"

run train --help
expect_rc 0 "train --help"
grep -q -- '--epochs' "$DIR/out" || fail "train --help does not list --epochs"
echo "PASS"

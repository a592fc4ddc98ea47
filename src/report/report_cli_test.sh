#!/bin/bash
# `straightline report` on the outputs of real commands (issue 19): a tiny serverless training run
# (its store, its `--json` output and its platform's ledger), a provider comparison of two
# providers, a short load on the trained model served on the local tier; then the report of all
# of them: every expected figure present, no URL anywhere in the file, each <svg> well-formed XML
# (python3's parser), the same bytes on a second run, clear errors for inputs of no known kind,
# and --png through headless Chromium (or its clear skip when there is none). About 30 s.
# Usage: report_cli_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
DIR=$(mktemp -d /tmp/sl-report-cli.XXXXXX)
SERVE_PID=
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill -TERM "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; fi
  rm -rf "$DIR"
}
trap cleanup EXIT
cd "$DIR" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# 1. The smallest real serverless run: logreg, 2 workers, 1 epoch of 2 rounds on 1,500 images.
SMALL=(--dataset fashion-mnist --model logreg --workers 2 --epochs 1 --rounds-per-epoch 2 --limit 1500 --seed 1)
"$EXE" train "${SMALL[@]}" --store "file://$DIR/store" --state-dir "$DIR/platform" --out "$DIR/model" \
  --json > train.json 2> train.err || fail "train: $(tail -5 train.err)"
[ -s "$DIR/platform/ledger.jsonl" ] || fail "no ledger at $DIR/platform/ledger.jsonl"
"$EXE" train "${SMALL[@]}" --store "file://$DIR/cmp" --state-dir "$DIR/platform-cmp" \
  --compare-providers aws,gcp --json > cmp.json 2> cmp.err || fail "train --compare-providers: $(tail -5 cmp.err)"
# The same data in one process: its manifest keeps loss and accuracy per epoch.
"$EXE" train --dataset fashion-mnist --model logreg --epochs 2 --limit 1500 --seed 1 --out "$DIR/local-model" \
  > local.out 2> local.err || fail "train (one process): $(tail -5 local.err)"

# 2. A short load on the model, served on the local tier (loopback, token).
"$EXE" serve --model "$DIR/model" --port 0 --state-dir "$DIR/serve" --tiers local > serve.out 2> serve.err &
SERVE_PID=$!
for _ in $(seq 1 300); do grep -q '^endpoint: ' serve.out && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' serve.out)
[ -n "$EP" ] || fail "serve printed no endpoint: $(tail -5 serve.err)"
TOKEN_FILE=$(sed -n 's/^token-file: //p' serve.out)
"$EXE" load --target "$EP" --model model --phases 1:10,1:10:30 --mix json:2,pixels:1 --json-out load.json \
  --auth-token-file "$TOKEN_FILE" > load.txt 2>&1 || fail "load: $(cat load.txt)"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; SERVE_PID=

# 3. The report of all of them: the store by URI and by folder, train's JSON, the comparison, the
# load report and the ledger.
INPUTS=("file://$DIR/store" store train.json cmp.json local-model load.json platform/ledger.jsonl)
"$EXE" report "${INPUTS[@]}" --out report.html --title "CLI <test> & co" --json > report.json 2> report.err \
  || fail "report: $(cat report.err)"
/usr/bin/python3 - report.json report.html "$DIR" <<'PY' || fail "report content"
import json, re, sys, xml.etree.ElementTree as ET
summary = json.load(open(sys.argv[1]))
html = open(sys.argv[2], encoding="utf-8").read()
kinds = [i["kind"] for i in summary["inputs"]]
assert kinds == ["training run", "training run", "training run", "provider comparison", "model artifact", "load report",
                 "ledger"], kinds
ids = [f["id"] for f in summary["figures"]]
want = ["train-time", "train-cost", "train-breakdown", "cost-vs-vm", "round-loss", "round-accuracy", "round-time",
        "round-cost", "epoch-loss", "epoch-accuracy", "load-latency-tier", "load-latency-phase", "load-failures", "load-placements",
        "load-placements-time", "load-sessions-time", "load-failure-vs-sessions", "load-length-vs-sessions",
        "load-tier-failures-time", "load-tier-failures-box", "load-latency-time", "load-frequency", "ledger-invocations", "ledger-duration", "ledger-cost", "ledger-vm", "ledger-timeline",
        "ledger-concurrency", "ledger-cost-time"]
assert ids == want, ids
# No URL of any kind outside the text the user gave (here: only file:// paths, no http).
assert not re.search(r"https?://", html), re.search(r".{40}https?://.{40}", html).group(0)
assert "<script" not in html and "<link" not in html and "src=" not in html
assert "<h1>CLI &lt;test&gt; &amp; co</h1>" in html
svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
assert len(svgs) == len(ids), (len(svgs), len(ids))
for fid, svg in zip(ids, svgs):
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    series = root.findall(".//{*}g[@class='series']") or root.findall(".//g[@class='series']")
    assert series, fid
    assert any(int(s.get("data-points")) > 0 for s in series), fid
    assert root.find(".//g[@class='legend']") is not None, fid
for fid in ids:
    m = re.search(r'<figure id="%s">.*?<figcaption>(.*?)</figcaption>' % fid, html, flags=re.S)
    assert m and "easured" in m.group(1), fid
# Data from the inputs: 2 rounds of loss per run; the comparison's two providers; the load's tier.
loss = re.search(r'<figure id="round-loss">.*?</figure>', html, flags=re.S).group(0)
assert loss.count('data-points="2"') == 3, loss.count('data-points="2"')
time = re.search(r'<figure id="train-time">.*?</figure>', html, flags=re.S).group(0)
assert "cmp: aws-lambda" in time and "cmp: gcp-functions" in time
tier = re.search(r'<figure id="load-latency-tier">.*?</figure>', html, flags=re.S).group(0)
assert ">local</text>" in tier, "no local tier in the load figure"
# The one-process model's 2 epochs: training and validation loss, validation accuracy.
epochs = re.search(r'<figure id="epoch-loss">.*?</figure>', html, flags=re.S).group(0)
assert re.findall(r'data-name="([^"]*)" data-points="2"', epochs) == ["training loss", "validation loss"], epochs[:300]
# The load's per-second series (2 s of arrivals): f_t against F (serve's default F=500) and the
# local tier's placements by rule, each a point per second.
freq = re.search(r'<figure id="load-frequency">.*?</figure>', html, flags=re.S).group(0)
names = re.findall(r'data-name="([^"]*)" data-points="(\d+)"', freq)
assert [n for n, _ in names] == ["f_t (mean)", "f_t (max)", "F"], names
assert all(int(p) >= 2 for _, p in names), names
place = re.search(r'<figure id="load-placements-time">.*?</figure>', html, flags=re.S).group(0)
assert 'data-name="local (local_capacity)"' in place, "no local placements by rule over time"
print(f"report: {len(ids)} figures, {len(html)} bytes")
PY

# Deterministic: the same inputs give the same bytes.
"$EXE" report "${INPUTS[@]}" --out report2.html --title "CLI <test> & co" > /dev/null 2>&1 || fail "second report"
cmp -s report.html report2.html || fail "two reports of the same inputs differ"

# 4. Inputs of no known kind: exit 2, naming the file and what was expected; no report written.
echo '{"hello": 1}' > odd.json
"$EXE" report train.json odd.json --out bad.html > out 2> err && fail "an unknown input was accepted"
grep -q "odd.json: a JSON object this command does not know; expected one of: a training run" err \
  || fail "unclear error: $(cat err)"
[ ! -e bad.html ] || fail "a report was written despite the error"
"$EXE" report no-such-file.json > out 2> err && fail "a missing input was accepted"
grep -q "no-such-file.json" err || fail "missing input not named: $(cat err)"
"$EXE" report --out x.html > out 2> err; [ $? = 2 ] || fail "no input: want exit 2"

# 5. PNGs: skipped with a message when there is no Chromium, rendered when there is.
STRAIGHTLINE_CHROMIUM="$DIR/no-chromium" "$EXE" report train.json --out r.html --png pngs > out 2> err \
  || fail "--png without Chromium must still write the report: $(cat err)"
grep -q -- "--png skipped: no Chromium found" err || fail "no clear skip message: $(cat err)"
[ -s r.html ] || fail "no report without Chromium"
if command -v chromium > /dev/null 2>&1; then
  "$EXE" report "${INPUTS[@]}" --out r.html --png pngs --json > png.json 2> png.err || fail "--png: $(cat png.err)"
  /usr/bin/python3 - png.json <<'PY' || fail "PNGs"
import json, struct, sys
s = json.load(open(sys.argv[1]))
assert len(s["pngs"]) == len(s["figures"]), (len(s["pngs"]), len(s["figures"]))
for p in s["pngs"]:
    b = open(p, "rb").read()
    assert b[:8] == b"\x89PNG\r\n\x1a\n", p
    w, h = struct.unpack(">II", b[16:24])
    assert w >= 700 and h >= 300 and len(b) > 5000, (p, w, h, len(b))
print(f"{len(s['pngs'])} PNGs")
PY
  ls pngs/.sl-report-* > /dev/null 2>&1 && fail "scratch folder left in pngs/"
else
  echo "chromium not installed: PNG rendering not tested (scripts/install-deps.sh installs it)"
fi
echo PASS

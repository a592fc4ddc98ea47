#!/bin/bash
# `straightline report` opened in a real browser (issue 19 §4): Debian's headless Chromium, driven
# by scripts/browser-check.cjs (puppeteer-core), loads the report of real inputs — a tiny
# serverless training run (its store and its platform's ledger), a two-provider comparison and a
# short load on the trained model served on the local tier — and checks that nothing outside the
# file is requested, that there is no console error, and that every figure is an SVG with data
# drawn: as many figures as `report --json` lists; the run's loss and cost per round one series of
# 2 points (2 rounds), its validation loss and accuracy one point (scored at the epoch's end). The screenshot goes to ./report_browser_test/ (under build/). About 30 s.
# Usage: report_browser_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
OUT=$PWD/report_browser_test
. "$SRC/scripts/cli-test-lib.sh"
skip_without_browser
DIR=$(mktemp -d /tmp/sl-report-browser.XXXXXX)
cd "$DIR" || exit 1
rm -rf "$OUT" && mkdir -p "$OUT"

SMALL=(--dataset fashion-mnist --model logreg --workers 2 --epochs 1 --rounds-per-epoch 2 --limit 1500 --seed 1)
"$EXE" train "${SMALL[@]}" --store "file://$DIR/store" --state-dir "$DIR/platform" --out "$DIR/model" \
  > train.out 2> train.err || fail "train"
"$EXE" train "${SMALL[@]}" --store "file://$DIR/cmp" --state-dir "$DIR/platform-cmp" \
  --compare-providers aws,gcp --json > cmp.json 2> cmp.err || fail "train --compare-providers"

"$EXE" serve --model "$DIR/model" --port 0 --state-dir "$DIR/serve" --tiers local > serve.out 2> serve.err &
PIDS+=($!)
for _ in $(seq 1 300); do grep -q '^endpoint: ' serve.out && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' serve.out)
[ -n "$EP" ] || fail "serve printed no endpoint"
"$EXE" load --target "$EP" --model model --phases 2:10,2:10:30 --mix json:2,pixels:1 --json-out load.json \
  --auth-token-file "$(sed -n 's/^token-file: //p' serve.out)" > load.txt 2> load.err || fail "load: $(cat load.txt)"

"$EXE" report "file://$DIR/store" cmp.json load.json platform/ledger.jsonl --out "$OUT/report.html" \
  --title "browser test" --json > report.json 2> report.err || fail "report"
/usr/bin/python3 - report.json > expect.json <<'PY' || fail "report --json"
import json, sys
s = json.load(open(sys.argv[1]))
ids = [f["id"] for f in s["figures"]]
assert len(ids) >= 10, ids
# One run of 2 rounds: its loss and cost per round are one series of 2 points; its validation
# loss and accuracy, scored at the end of the epoch only, one point.
want = {"round-loss": [2, 1], "round-cost": [2], "round-accuracy": [1]}
assert all(i in ids for i in want), ids
print(json.dumps({"figures": len(ids), "series": want}))
PY
node "$SRC/scripts/browser-check.cjs" report --url "file://$OUT/report.html" --out "$OUT" \
  --expect expect.json --name report > check.txt 2> check.err || fail "in Chromium: $(cat check.txt check.err)"
[ -s "$OUT/report.png" ] || fail "no screenshot"
echo "$(head -c 600 check.txt)"
echo PASS

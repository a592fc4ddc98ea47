#!/bin/bash
# `straightline simulate keep-alive` as a user runs it, on the shared Azure trace samples (read in
# place from ../shared/data): the 2019 day under three policies (table, --json, --json-out with
# per-app rows that add up to the totals), the 2021 sample, the same numbers for the same seed, and
# clear errors (missing --trace, a bad policy, a malformed trace naming file:line:column, an
# unknown study). No processes besides the executable, no network.
# Usage: simulate_cli_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
PY=/usr/bin/python3
SAMPLES=$(cd "$SRC/../shared/data/azure-functions-trace" 2>/dev/null && pwd) ||
  { echo "FAIL: no trace samples in $SRC/../shared/data/azure-functions-trace"; exit 1; }
DIR=$(mktemp -d /tmp/sl-simulate-cli.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
. "$SRC/scripts/cli-test-expect.sh"
cd "$DIR" || exit 1

# --- help ---
run simulate keep-alive --help
expect_rc 0 "keep-alive --help"
expect_out "--instance-concurrency" "keep-alive --help"
run simulate
expect_rc 2 "simulate without a study"
expect_err "usage: straightline simulate keep-alive" "simulate without a study"

# --- the 2019 day, three policies: a table, and per-app JSON that adds up ---
run simulate keep-alive --trace "$SAMPLES/sample104_inv.csv" --policy fixed:10m,fixed:60m --policy hybrid \
  --json-out "$DIR/study.json"
expect_rc 0 "2019 sample"
expect_out "452556 invocations over 86400 s" "2019 sample"
expect_out "hybrid-histogram" "2019 sample"
expect_out "# JSON report with each app's numbers: $DIR/study.json" "2019 sample"
check "2019 json-out" '
r = json.load(open(sys.argv[1]))
assert [p["spec"] for p in r["policies"]] == ["fixed:10m", "fixed:60m", "hybrid"], r["policies"]
assert r["invocations"] == 452556 and r["horizon_s"] == 86400, r["invocations"]
for p in r["policies"]:
    apps = p["per_app"]
    assert len(apps) == p["apps"] == 104, len(apps)
    assert sum(a["invocations"] for a in apps) == p["invocations"] == 452556
    assert sum(a["cold_starts"] for a in apps) == p["cold_starts"]
    assert math.isclose(sum(a["wasted_gb_s"] for a in apps), p["wasted_gb_s"], rel_tol=1e-9)
    assert all(1 <= a["cold_starts"] <= a["invocations"] for a in apps)
    q = p["cold_start_pct_over_apps"]
    assert q["p25"] <= q["p50"] <= q["p75"] <= q["p90"] <= q["p99"] <= 100, q
f10, f60, h = r["policies"]
assert f10["cold_starts"] > f60["cold_starts"] and f10["wasted_gb_s"] < f60["wasted_gb_s"]
assert h["prewarms"] > 0 and any("histogram" in a["decisions"] for a in h["per_app"])
assert all(set(a["decisions"]) <= {"fixed"} for a in f10["per_app"])
' "$DIR/study.json"

# --- --json on stdout: the same numbers; the same seed gives them again, another seed not ---
run simulate keep-alive --trace "$SAMPLES/sample104_inv.csv" --policy fixed:10m,fixed:60m,hybrid --json
expect_rc 0 "2019 --json"
cp "$DIR/out" "$DIR/a.json"
check "--json = --json-out" '
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for x, y in zip(a["policies"], b["policies"]):
    assert x["cold_starts"] == y["cold_starts"] and x["wasted_gb_s"] == y["wasted_gb_s"], (x, y)
    assert "per_app" not in x
' "$DIR/a.json" "$DIR/study.json"
run simulate keep-alive --trace "$SAMPLES/sample104_inv.csv" --policy hybrid --json --seed 2 --arrivals poisson
expect_rc 0 "seed 2"
check "another seed" '
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a["policies"][2]["cold_starts"] != b["policies"][0]["cold_starts"] or a["policies"][2]["wasted_gb_s"] != b["policies"][0]["wasted_gb_s"]
assert "poisson (seed 2)" in " ".join(b["notes"]), b["notes"]
' "$DIR/a.json" "$DIR/out"

# --- the 2021 sample, per function, one invocation per instance ---
run simulate keep-alive --trace "$SAMPLES/azure2021_sample200.csv" --unit function --instance-concurrency 1 --json
expect_rc 0 "2021 sample"
check "2021 sample" '
r = json.load(open(sys.argv[1]))
assert r["invocations"] == 199 and r["instance_concurrency"] == 1
assert any("256 MB assumed" in n for n in r["notes"]), r["notes"]
for p in r["policies"]:
    assert p["invocations"] == 199 and p["apps"] == 13, p
' "$DIR/out"

# --- errors ---
run simulate keep-alive --policy hybrid
expect_rc 2 "no --trace"
expect_err "--trace: required" "no --trace"
run simulate keep-alive --trace "$SAMPLES/sample104_inv.csv" --policy fixed:10m,lru
expect_rc 2 "bad policy"
expect_err "keep-alive policy 'lru'" "bad policy"
run simulate keep-alive --trace "$SAMPLES/sample104_inv.csv" --arrivals gamma
expect_rc 2 "bad arrivals"
expect_err "arrivals 'gamma'" "bad arrivals"
printf 'app,func,end_timestamp,duration\na,f,1.5,0.5\na,f,oops,1\n' > "$DIR/bad.csv"
run simulate keep-alive --trace "$DIR/bad.csv"
expect_rc 2 "malformed trace"
expect_err "$DIR/bad.csv:3:5: column 'end_timestamp' value 'oops'" "malformed trace"
run simulate keep-alive --trace "$DIR/none.csv"
expect_rc 1 "missing trace"
expect_err "none.csv" "missing trace"
run simulate replay
expect_rc 2 "unknown study"
expect_err "unknown study 'replay'" "unknown study"
echo "PASS"

#!/bin/bash
# Gateway throughput under a ramp with and without the live dashboard open (issue 19 §3, Done
# when: "under 2 % difference"), in one run of one `straightline serve`, arms interleaved
# A B C A B C ... so that the other engineers' compiles on this shared machine fall on every arm:
#   A  nobody watching (the server still samples its metrics once a second, as it always does);
#   B  a headless Chromium keeps /dashboard open (polling /dashboard/state every second) — on this
#      machine's same 2 cores, so B also pays the browser's own CPU;
#   C  curl polls /dashboard/state once a second with the token: the server's work for an open
#      page (sampling, drawing, answering) without a browser on the same cores.
# Each arm is one `straightline load` ramp past the local tier's capacity on this machine
# (single-image JSON requests). Per arm: ok requests per second, p50 / p99, the server's CPU
# seconds (from /proc) per 1,000 ok requests, and the browser's CPU seconds; then B/A and C/A.
#
#   bench/dashboard/dashboard_overhead.sh [ROUNDS] [PHASES]     (defaults: 4, 20:1000:16000)
#   BUILD=build MODEL=DIR (a model folder; default: a logreg trained here in ~5 s)
#
# Needs chromium and .deps/node_modules/puppeteer-core (scripts/install-deps.sh). Loopback only.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$SRC/build}
EXE=$BUILD/straightline
ROUNDS=${1:-4}
PHASES=${2:-20:1000:16000}
DIR=$(mktemp -d /tmp/sl-dashboard-bench.XXXXXX)
SERVE=
cleanup() { [ -n "$SERVE" ] && kill -TERM "$SERVE" 2>/dev/null && wait "$SERVE" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
MODEL=${MODEL:-}
if [ -z "$MODEL" ]; then
  "$EXE" train --dataset fashion-mnist --model logreg --epochs 1 --limit 2000 --quiet --out "$DIR/model" > /dev/null
  MODEL=$DIR/model
fi
"$EXE" serve --model "$MODEL" --port 0 --state-dir "$DIR/serve" --tiers local > "$DIR/serve.out" 2> "$DIR/serve.err" &
SERVE=$!
for _ in $(seq 1 300); do grep -q '^endpoint: ' "$DIR/serve.out" && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' "$DIR/serve.out")
TOKEN_FILE=$(sed -n 's/^token-file: //p' "$DIR/serve.out")
NAME=$(basename "$MODEL")
DURATION=${PHASES%%:*}
echo "serve $EP, model $NAME, phases $PHASES, $ROUNDS rounds; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# CPU seconds (user + system) of the server process (serve execs straightline-ml: same pid).
server_cpu() { awk '{ s = substr($0, index($0, ") ") + 2); split(s, f, " "); print (f[12] + f[13]) / 100 }' "/proc/$SERVE/stat"; }

arm() {  # arm A|B|C ROUND: one load run; B and C with the dashboard open for its whole length
  local watcher= cpu0 cpu1
  case "$1" in
    B) node "$SRC/bench/dashboard/dashboard_poller.cjs" "$EP/dashboard?token=$(cat "$TOKEN_FILE")" $((DURATION + 3)) \
         > "$DIR/watch-$1-$2.json" 2> "$DIR/watch-$1-$2.err" &
       watcher=$!; sleep 2 ;;  # the page is open and polling before the ramp starts
    C) ( n=0; end=$((SECONDS + DURATION + 3))
         while [ $SECONDS -lt $end ]; do
           curl -s -o /dev/null -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "$EP/dashboard/state" && n=$((n + 1))
           sleep 1
         done; echo "{\"polls\": $n, \"browser_cpu_s\": 0}" ) > "$DIR/watch-$1-$2.json" &
       watcher=$!; sleep 1 ;;
  esac
  cpu0=$(server_cpu)
  "$EXE" load --target "$EP" --model "$NAME" --phases "$PHASES" --json-out "$DIR/$1-$2.json" \
    --auth-token-file "$TOKEN_FILE" > /dev/null 2> "$DIR/load.err"
  cpu1=$(server_cpu)
  if [ -n "$watcher" ]; then wait "$watcher"; fi
  /usr/bin/python3 - "$DIR" "$1" "$2" "$cpu0" "$cpu1" <<'PY'
import json, os, sys
d, arm, r, c0, c1 = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
j = json.load(open(f"{d}/{arm}-{r}.json"))
g = next(x for x in j["groups"] if x["phase"] == "all" and x["tier"] == "local")
ok = g["requests"] - g["failures"]
w = f"{d}/watch-{arm}-{r}.json"
watch = json.load(open(w)) if os.path.exists(w) else {"polls": 0, "browser_cpu_s": 0}
row = {"arm": arm, "round": int(r), "ok_per_s": ok / j["wall_s"], "p50_ms": g["p50_ms"], "p99_ms": g["p99_ms"],
       "server_cpu_s_per_1k_ok": (c1 - c0) / ok * 1000, "polls": watch["polls"], "browser_cpu_s": watch["browser_cpu_s"]}
json.dump(row, open(f"{d}/row-{arm}-{r}.json", "w"))
print(f'{arm} round {r}: {ok:>7} ok in {j["wall_s"]:.1f} s = {row["ok_per_s"]:8.1f} ok/s  p50 {g["p50_ms"]:6.2f} ms  '
      f'p99 {g["p99_ms"]:6.2f} ms  server {row["server_cpu_s_per_1k_ok"]:.3f} CPU s/1k ok  '
      f'polls {watch["polls"]}  browser {watch["browser_cpu_s"]:.1f} CPU s')
PY
}
for r in $(seq 1 "$ROUNDS"); do
  arm A "$r"
  arm B "$r"
  arm C "$r"
done
/usr/bin/python3 - "$DIR" "$ROUNDS" <<'PY'
import json, statistics, sys
d, n = sys.argv[1], int(sys.argv[2])
rows = {(a, r): json.load(open(f"{d}/row-{a}-{r}.json")) for a in "ABC" for r in range(1, n + 1)}
for a in "BC":
    ratios = [rows[(a, r)]["ok_per_s"] / rows[(a == "B" and "A" or "A", r)]["ok_per_s"] for r in range(1, n + 1)]
    cpu = [rows[(a, r)]["server_cpu_s_per_1k_ok"] / rows[("A", r)]["server_cpu_s_per_1k_ok"] for r in range(1, n + 1)]
    print(f"{a}/A ok/s per round: " + ", ".join(f"{x:.4f}" for x in ratios) +
          f"  (median {statistics.median(ratios):.4f}); server CPU per ok request {a}/A: " +
          ", ".join(f"{x:.3f}" for x in cpu))
for a in "ABC":
    v = [rows[(a, r)]["ok_per_s"] for r in range(1, n + 1)]
    print(f"{a}: mean {statistics.mean(v):.1f} ok/s, min {min(v):.1f}, max {max(v):.1f}")
PY
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"

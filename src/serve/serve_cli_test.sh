#!/bin/bash
# `straightline serve` as a real process with all three tiers (local pool, runc containers or
# their child-process fallback, functions on the local platform), driven by curl over loopback:
# the KServe v2 endpoints, JSON / octet-stream / PNG bodies, every fixed policy and both
# placement policies (the X-Straightline-Tier header says where each request ran), bad input
# (400/404/405/413/415 with a JSON error), /metrics, `straightline calibrate`, `straightline load`,
# then a clean SIGTERM shutdown that leaves no container behind. Authentication (issue 14): the
# generated token (0600 file, printed path), 401 without it / with a wrong one, Bearer and
# X-API-Key, health open by default and closed on request, a token file of one's own, --auth none,
# and a non-loopback --host with --auth none refused without --insecure; no token in any log.
# Usage: serve_cli_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
DIR=$(mktemp -d /tmp/sl-serve-cli.XXXXXX)
PID=
SERVE_PIDS=
cleanup() { [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- server stderr:"; tail -30 "$DIR/err" 2>/dev/null; exit 1; }

# A small real model: logreg on 3,000 Fashion-MNIST images, one epoch (a few seconds).
"$EXE" train --dataset fashion-mnist --model logreg --epochs 1 --limit 3000 --quiet \
  --out "$DIR/fmnist" > /dev/null || fail "train the test model"

start() {  # extra serve flags...
  : > "$DIR/out"
  "$EXE" serve --model "$DIR/fmnist" --port 0 --state-dir "$DIR/state" --container-mode auto \
    --min-containers 1 --max-containers 1 --timeout-ms 20000 --max-body-mb 1 "$@" \
    >"$DIR/out" 2>"$DIR/err" &
  PID=$!
  SERVE_PIDS="$SERVE_PIDS $PID"
  for _ in $(seq 1 300); do grep -q '^endpoint: ' "$DIR/out" && break; sleep 0.1; done
  EP=$(sed -n 's/^endpoint: //p' "$DIR/out")
  [ -n "$EP" ] || fail "serve $*: no endpoint line within 30 s"
  case "$EP" in http://127.0.0.1:*) ;; *) fail "endpoint $EP is not loopback";; esac
  TOKEN_FILE=$(sed -n 's/^token-file: //p' "$DIR/out")
  AUTH=()
  if [ -n "$TOKEN_FILE" ]; then
    TOKEN=$(head -1 "$TOKEN_FILE")
    AUTH=(-H "Authorization: Bearer $TOKEN")
  fi
}
stop() {
  kill -TERM "$PID"; wait "$PID"; local rc=$?; PID=
  [ "$rc" = 0 ] || fail "serve exited $rc after SIGTERM"
}
# curl → "$DIR/body", "$DIR/headers"; prints the status code. req sends the server's token;
# anon sends no credentials.
anon() { curl -s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' "$@"; }
req() { anon ${AUTH[@]+"${AUTH[@]}"} "$@"; }
header() { sed -n "s/^$1: //Ip" "$DIR/headers" | tr -d '\r'; }

# A JSON request with one real test image (784 floats in [0, 255] raw scale).
/usr/bin/python3 - "$DIR" <<'PY' || fail "make request bodies"
import gzip, json, sys
d = sys.argv[1]
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
img = list(raw[16:16 + 784])
json.dump({"id": "t1", "inputs": [{"name": "input__0", "shape": [1, 1, 28, 28], "datatype": "FP32",
           "data": [float(v) for v in img]}]}, open(f"{d}/one.json", "w"))
open(f"{d}/one.u8", "wb").write(bytes(img))
json.dump({"inputs": [{"name": "input__0", "shape": [1, 1, 28, 28], "datatype": "FP32", "data": [1, 2]}]},
          open(f"{d}/badshape.json", "w"))
open(f"{d}/big.json", "w").write('{"inputs": [' + " " * (2 << 20) + "]}")
PY

infer() {  # tier-expected, then curl args
  local want=$1; shift
  code=$(req -X POST "$EP/v2/models/fmnist/infer" "$@")
  [ "$code" = 200 ] || fail "infer ($want): HTTP $code: $(cat "$DIR/body")"
  tier=$(header X-Straightline-Tier)
  case "$tier" in "$want;"*) ;; *) fail "expected tier $want, got '$tier'";; esac
  grep -q '"outputs"' "$DIR/body" || fail "infer ($want): no outputs: $(cat "$DIR/body")"
}
JSON=(-H 'Content-Type: application/json' --data-binary "@$DIR/one.json")
PIX=(-H 'Content-Type: application/octet-stream' --data-binary "@$DIR/one.u8")
PNG=(-H 'Content-Type: image/png' --data-binary "@$SRC/src/serve/v2/fuzz_corpus/png_gray_28x28.png")

# --- straightline policy over all three tiers: the protocol and bad input.
start --tiers local,container,function --policy straightline
# The generated token: <state-dir>/token, mode 0600, named on stdout; the start-up line says how
# many tokens and which paths are open, never the token.
[ "$TOKEN_FILE" = "$DIR/state/token" ] || fail "token-file line: '$TOKEN_FILE'"
[ "$(stat -c %a "$TOKEN_FILE")" = 600 ] || fail "token file mode $(stat -c %a "$TOKEN_FILE")"
[ "${#TOKEN}" -ge 32 ] || fail "generated token too short"
grep -q "auth: 1 token(s) from $DIR/state/token accepted .*open without a token: /v2/health/live, /v2/health/ready" "$DIR/err" \
  || fail "auth start-up line: $(grep 'auth:' "$DIR/err")"
[ "$(req "$EP/v2/health/live")" = 200 ] || fail "live"
grep -q '"live":true' "$DIR/body" || fail "live body: $(cat "$DIR/body")"
[ "$(req "$EP/v2/health/ready")" = 200 ] || fail "ready"
[ "$(req "$EP/v2")" = 200 ] || fail "server metadata"
grep -q '"name":"straightline"' "$DIR/body" || fail "server metadata body: $(cat "$DIR/body")"
[ "$(req "$EP/v2/models/fmnist")" = 200 ] || fail "model metadata"
grep -q '"shape":\[-1,1,28,28\]' "$DIR/body" || fail "model metadata shape: $(cat "$DIR/body")"
[ "$(req "$EP/v2/models/fmnist/ready")" = 200 ] || fail "model ready"
[ "$(req "$EP/v2/models/fmnist/versions/1/ready")" = 200 ] || fail "model version ready"

infer local "${JSON[@]}"
grep -q '"id":"t1"' "$DIR/body" || fail "response id: $(cat "$DIR/body")"
infer local "${PIX[@]}"
infer local "${PNG[@]}"

code=$(req -X POST "$EP/v2/models/fmnist/infer" -H 'Content-Type: application/json' --data '{"inputs": [')
[ "$code" = 400 ] && grep -q '"error"' "$DIR/body" || fail "malformed JSON: $code $(cat "$DIR/body")"
code=$(req -X POST "$EP/v2/models/fmnist/infer" -H 'Content-Type: application/json' --data-binary "@$DIR/badshape.json")
[ "$code" = 400 ] && grep -qi 'shape' "$DIR/body" || fail "bad shape: $code $(cat "$DIR/body")"
code=$(req -X POST "$EP/v2/models/nope/infer" "${JSON[@]}")
[ "$code" = 404 ] && grep -q "unknown model 'nope'" "$DIR/body" || fail "unknown model: $code $(cat "$DIR/body")"
code=$(req -X POST "$EP/v2/models/fmnist/infer" -H 'Content-Type: text/csv' --data '1,2')
[ "$code" = 415 ] && grep -q '"error"' "$DIR/body" || fail "content type: $code $(cat "$DIR/body")"
code=$(req -X POST "$EP/v2/models/fmnist/infer" -H 'Content-Type: application/json' --data-binary "@$DIR/big.json")
[ "$code" = 413 ] && grep -q '"error"' "$DIR/body" || fail "body over --max-body-mb: $code $(cat "$DIR/body")"
code=$(req -X DELETE "$EP/v2/models/fmnist")
[ "$code" = 405 ] || fail "DELETE model: $code"
[ "$(req "$EP/v2/health/live")" = 200 ] || fail "server stopped serving after bad input"

# /metrics: requests by tier and outcome, placements by rule.
[ "$(req "$EP/metrics")" = 200 ] || fail "metrics"
grep -q '^sl_serve_requests_total{model="fmnist",tier="local",outcome="ok"} 3' "$DIR/body" \
  || fail "metrics requests: $(grep sl_serve_requests_total "$DIR/body")"
grep -q '^sl_serve_placements_total{policy="straightline",tier="local",rule="local_capacity"}' "$DIR/body" \
  || fail "metrics placements: $(grep sl_serve_placements "$DIR/body")"

# Algorithm 1: a request larger than D goes to a container; frequent small ones to functions.
stop
start --tiers local,container,function --policy straightline --size-threshold 2000
infer container "${JSON[@]}"     # 4.7 KB > D = 2000 B
infer local "${PIX[@]}"          # 784 B < D, f_t low → local
stop
start --tiers local,container,function --policy straightline --frequency-threshold 0.5
code=$(req -X POST "$EP/v2/models/fmnist/infer" "${PIX[@]}")   # f_t counts this one already
[ "$code" = 200 ] || fail "first request: $code $(cat "$DIR/body")"
tier1=$(header X-Straightline-Tier)
infer function "${PIX[@]}"       # f_t >= 2/s > F = 0.5/s and 784 B < D → function
grep -q 'reason=f_t=' <<<"$(header X-Straightline-Tier)" || fail "reason: $(header X-Straightline-Tier)"
stop
case "$tier1" in local*|function*) ;; *) fail "first request tier $tier1";; esac

# Every fixed policy runs where it says, through the same gateway.
for t in local container function; do
  start --tiers local,container,function --policy "$t"
  infer "$t" "${JSON[@]}"
  infer "$t" "${PIX[@]}"
  stop
done

# Adaptive over all three tiers answers, with its predictions in the reason.
start --tiers local,container,function --policy adaptive
infer local "${JSON[@]}"
grep -q 'reason=fastest predicted' <<<"$(header X-Straightline-Tier)" || fail "adaptive reason: $(header X-Straightline-Tier)"
# A short load through the load generator: every request answered.
"$EXE" load --target "$EP" --model fmnist --phases 2:20 --mix json:2,pixels:1 --json-out "$DIR/load.json" \
  --auth-token-file "$TOKEN_FILE" > "$DIR/load.txt" || fail "load: $(cat "$DIR/load.txt")"
/usr/bin/python3 - "$DIR/load.json" <<'PY' || fail "load report: $(cat "$DIR/load.txt")"
import json, sys
g = [g for g in json.load(open(sys.argv[1]))["groups"] if g["phase"] == "all" and g["tier"] == "all"][0]
assert g["requests"] >= 30 and g["failures"] == 0, g
PY
stop

# No container left behind: the tier names its containers sl-serve-<serve pid>-N.
if command -v runc >/dev/null; then
  for p in $SERVE_PIDS; do
    left=$(runc list -q 2>/dev/null | grep "^sl-serve-$p-" || true)
    [ -z "$left" ] || fail "containers left after shutdown: $left"
  done
fi

# calibrate writes thresholds that serve then reads.
"$EXE" calibrate --model "$DIR/fmnist" --state-dir "$DIR/cal" --tiers local --batches 1,16 \
  --rates 50,100 --phase-s 1 --probe-rate 20 --json > "$DIR/cal.json" 2> "$DIR/cal.err" \
  || fail "calibrate: $(tail -5 "$DIR/cal.err")"
/usr/bin/python3 - "$DIR/cal.json" "$DIR/cal/thresholds.json" <<'PY' || fail "calibrate output: $(cat "$DIR/cal.json")"
import json, sys
out, f = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert f["format"] == "straightline-thresholds/1", f
assert f["frequency_threshold_per_s"] in (40.0, 80.0), f   # 0.8 x 50 or 100
assert f["size_threshold_bytes"] > 0 and len(f["measurements"]["sizes"]) == 2, f
assert out["frequency_threshold_per_s"] == f["frequency_threshold_per_s"]
PY
: > "$DIR/out"
"$EXE" serve --model "$DIR/fmnist" --port 0 --state-dir "$DIR/cal" --tiers local >"$DIR/out" 2>"$DIR/err" &
PID=$!
for _ in $(seq 1 300); do grep -q '^endpoint: ' "$DIR/out" && break; sleep 0.1; done
grep -q "thresholds from $DIR/cal/thresholds.json" "$DIR/err" || fail "serve did not read the calibrated thresholds"
stop

# --- Authentication (issue 14), on the local tier alone (the container tier's forwarding with
# its replica token was exercised above: every 'infer container' went through an authenticated
# replica).
start --tiers local --policy local
[ "$TOKEN_FILE" = "$DIR/state/token" ] || fail "token not reused from the state dir: '$TOKEN_FILE'"
ONE=(-H 'Content-Type: application/json' --data-binary "@$DIR/one.json")
[ "$(anon "$EP/v2/health/live")" = 200 ] || fail "live needs no token by default"
[ "$(anon "$EP/v2/health/ready")" = 200 ] || fail "ready needs no token by default"
for path in /v2 /v2/models/fmnist /v2/models/fmnist/ready /metrics /v2/no/such/path; do
  code=$(anon "$EP$path")
  [ "$code" = 401 ] || fail "$path without a token: $code"
  grep -q 'authentication required' "$DIR/body" || fail "$path 401 body: $(cat "$DIR/body")"
  header WWW-Authenticate | grep -q '^Bearer' || fail "$path: no WWW-Authenticate: Bearer"
  cat "$DIR/body" >> "$DIR/401s"
  code=$(anon -H "Authorization: Bearer wrong-$TOKEN" "$EP$path")
  [ "$code" = 401 ] && grep -q 'invalid token' "$DIR/body" || fail "$path wrong token: $code $(cat "$DIR/body")"
  cat "$DIR/body" >> "$DIR/401s"
done
code=$(anon -X POST "$EP/v2/models/fmnist/infer" "${ONE[@]}")
[ "$code" = 401 ] || fail "infer without a token: $code"
code=$(anon -H "X-API-Key: nope" -X POST "$EP/v2/models/fmnist/infer" "${ONE[@]}")
[ "$code" = 401 ] || fail "infer with a wrong API key: $code"
code=$(anon -H "Authorization: Bearer $TOKEN" -X POST "$EP/v2/models/fmnist/infer" "${ONE[@]}")
[ "$code" = 200 ] || fail "infer with the bearer token: $code $(cat "$DIR/body")"
code=$(anon -H "X-API-Key: $TOKEN" -X POST "$EP/v2/models/fmnist/infer" "${ONE[@]}")
[ "$code" = 200 ] || fail "infer with the API key: $code $(cat "$DIR/body")"
[ "$(anon -H "X-API-Key: $TOKEN" "$EP/metrics")" = 200 ] || fail "metrics with the API key"
grep -q '^sl_serve_auth_failures_total{reason="missing"}' "$DIR/body" || fail "auth failure metric"
# load without the token says how to give it; with STRAIGHTLINE_TOKEN it runs.
"$EXE" load --target "$EP" --model fmnist --phases 1:5 > "$DIR/load.txt" 2>&1 && fail "load without a token succeeded"
grep -q -- '--auth-token-file' "$DIR/load.txt" || fail "load without a token: $(cat "$DIR/load.txt")"
STRAIGHTLINE_TOKEN=$TOKEN "$EXE" load --target "$EP" --model fmnist --phases 1:5 --json-out "$DIR/load2.json" \
  > "$DIR/load.txt" 2>&1 || fail "load with STRAIGHTLINE_TOKEN: $(cat "$DIR/load.txt")"
stop
# The token never appears in a log, an error body or a report.
for f in "$DIR/err" "$DIR/out" "$DIR/401s" "$DIR/load.json" "$DIR/load2.json" "$DIR/load.txt"; do
  ! grep -qF "$TOKEN" "$f" || fail "the token appears in $f"
done

# A token file of one's own (comments, two tokens) and health closed: the generated token is
# not accepted then.
printf '# team tokens\n\nfirst-token-abc\n  second-token-xyz  \n' > "$DIR/tokens"
chmod 600 "$DIR/tokens"
OLD_TOKEN=$TOKEN
start --tiers local --policy local --auth-token-file "$DIR/tokens" --auth-health required
[ "$TOKEN_FILE" = "$DIR/tokens" ] || fail "token-file line with --auth-token-file: '$TOKEN_FILE'"
grep -q "auth: 2 token(s) from $DIR/tokens accepted .*open without a token: nothing" "$DIR/err" \
  || fail "auth start-up line: $(grep 'auth:' "$DIR/err")"
[ "$(anon "$EP/v2/health/live")" = 401 ] || fail "live open with --auth-health required"
[ "$(anon "$EP/v2/health/ready")" = 401 ] || fail "ready open with --auth-health required"
[ "$(anon -H 'Authorization: Bearer second-token-xyz' "$EP/v2/health/ready")" = 200 ] || fail "ready with token 2"
[ "$(anon -H 'X-API-Key: first-token-abc' "$EP/v2")" = 200 ] || fail "/v2 with token 1"
[ "$(anon -H "Authorization: Bearer $OLD_TOKEN" "$EP/v2")" = 401 ] || fail "generated token accepted with a token file"
stop
! grep -qE 'first-token-abc|second-token-xyz' "$DIR/err" "$DIR/out" || fail "a configured token was logged"

# --auth none: open, and it says so.
start --tiers local --policy local --auth none
[ -z "$TOKEN_FILE" ] || fail "token-file line with --auth none"
grep -q 'auth: NONE' "$DIR/err" || fail "--auth none start-up warning: $(cat "$DIR/err")"
[ "$(anon "$EP/v2")" = 200 ] || fail "/v2 with --auth none"
stop

# Binding: a non-loopback address with auth off is refused before anything starts.
"$EXE" serve --model "$DIR/fmnist" --port 0 --host 0.0.0.0 --auth none --tiers local > /dev/null 2> "$DIR/e"
[ $? = 2 ] && grep -q -- '--insecure' "$DIR/e" && grep -q '0.0.0.0' "$DIR/e" || fail "0.0.0.0 with --auth none: $(cat "$DIR/e")"
"$EXE" serve --model "$DIR/fmnist" --port 0 --auth basic > /dev/null 2> "$DIR/e"
[ $? = 2 ] && grep -q -- "--auth: 'basic'" "$DIR/e" || fail "bad --auth: $(cat "$DIR/e")"
"$EXE" serve --model "$DIR/fmnist" --port 0 --tiers local --auth-token-file "$DIR/no-such-file" > /dev/null 2> "$DIR/e"
[ $? != 0 ] && grep -q "no-such-file" "$DIR/e" || fail "missing token file: $(cat "$DIR/e")"

# Usage errors exit 2 and name the flag.
"$EXE" serve --port 0 > /dev/null 2> "$DIR/e"; [ $? = 2 ] && grep -q -- '--model' "$DIR/e" || fail "no --model: $(cat "$DIR/e")"
"$EXE" serve --model "$DIR/fmnist" --port 0 --tiers local,gpu > /dev/null 2> "$DIR/e"
[ $? = 2 ] && grep -q "unknown tier 'gpu'" "$DIR/e" || fail "bad tier: $(cat "$DIR/e")"
"$EXE" serve --model "$DIR/fmnist" --port 0 --tiers local,function,local > /dev/null 2> "$DIR/e"
[ $? = 2 ] && grep -q "'local' given twice" "$DIR/e" || fail "tier twice: $(cat "$DIR/e")"
"$EXE" serve --model "$DIR/nope" --port 0 > /dev/null 2> "$DIR/e"; [ $? != 0 ] && grep -q "nope" "$DIR/e" || fail "missing model: $(cat "$DIR/e")"
echo "PASS"

#!/bin/bash
# straightline-worker's HTTP modes as real processes on loopback (runtime/http_mode.h):
#   plain (Cloud Run / Knative, $PORT): `straightline invoke --platform http` (faas::HttpHost)
#     → echo, a handled error, a crash (the process exits mid-request: the host sees the connection
#     drop and reports a platform error), INIT failure (exit 1, never listens), 429 past
#     concurrency + queue, SIGTERM during a slow request (it completes with 200, new ones get 503,
#     exit 0), and predict with a freshly trained model (INIT loads it before listening);
#   azure (FUNCTIONS_CUSTOMHANDLER_PORT): requests shaped like the Functions host's — the
#     invocation payload for an HTTP trigger and a queue trigger, the forwarded raw request on
#     /api/{function} (also through HttpHost), a handler's lazy INIT failing, unknown functions;
#   serving: `serve --tiers function --platform http` through a predict worker in HTTP mode that
#     loaded its model from an S3 store (s3rver on loopback; skipped without it).
# Usage: worker_http_mode_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
WORKER=$(dirname "$EXE")/straightline-worker
DIR=$(mktemp -d /tmp/sl-worker-http.XXXXXX)
PIDS=
cleanup() {
  for p in $PIDS; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$DIR"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -15 "$f"; }; done
  exit 1
}
[ -x "$WORKER" ] || fail "no straightline-worker next to $EXE"
cd "$DIR" || exit 1  # invoke writes its ledger under ./.straightline
PASS=0
ok() { PASS=$((PASS + 1)); echo "ok: $*"; }

# start NAME [env...] -- worker args...: starts a worker on a free loopback port; sets PORT_<NAME>
# and PID_<NAME>. Waits (bounded) for its "listening:" line.
start() {
  local name=$1; shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" "$WORKER" "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" &
  local pid=$!
  PIDS="$PIDS $pid"
  eval "PID_$name=$pid"
  for _ in $(seq 1 600); do
    grep -q '^listening: ' "$DIR/$name.out" && break
    kill -0 "$pid" 2>/dev/null || fail "worker $name exited before listening"
    sleep 0.05
  done
  local port
  port=$(sed -n 's/^listening: http:\/\/[0-9.]*:\([0-9]*\).*/\1/p' "$DIR/$name.out")
  [ -n "$port" ] || fail "worker $name: no listening line within 30 s"
  eval "PORT_$name=$port"
}
# wait_exit PID SECONDS: the exit code, or fails when it outlives the bound.
wait_exit() {
  local pid=$1 bound=$2
  for _ in $(seq 1 $((bound * 20))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && fail "pid $pid still running after ${bound} s"
  wait "$pid"
}
code() { curl -s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' "$@"; }
header() { sed -n "s/^$1: //Ip" "$DIR/headers" | tr -d '\r'; }
jget() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# ---------------------------------------------------------------------------------------------
# Plain HTTP mode: $PORT, the handler from CMD (first argument) or _HANDLER.
start echo PORT=0 -- echo --host 127.0.0.1
start fail PORT=0 _HANDLER=fail -- --host 127.0.0.1
start crash PORT=0 -- crash --host 127.0.0.1
cat >"$DIR/fns.yaml" <<EOF
provider:
  name: gcp-cloud-run-functions
functions:
  echo: {handler: echo, url: "http://127.0.0.1:$PORT_echo/"}
  fail: {handler: fail, url: "http://127.0.0.1:$PORT_fail/invoke"}
  crash: {handler: crash, url: "http://127.0.0.1:$PORT_crash/"}
EOF
inv() {  # name payload → $DIR/inv.json, returns invoke's exit code
  "$EXE" invoke "$1" --platform http --http-functions "$DIR/fns.yaml" --payload "$2" --json \
    >"$DIR/inv.json" 2>"$DIR/inv.err"
}
inv echo '{"hello": [1, 2, 3]}' || fail "invoke echo: $(cat "$DIR/inv.json" "$DIR/inv.err")"
[ "$(jget "$DIR/inv.json" 'd["outcome"]')" = success ] || fail "echo outcome: $(cat "$DIR/inv.json")"
[ "$(jget "$DIR/inv.json" 'd["response"]["hello"]')" = "[1, 2, 3]" ] || fail "echo response: $(cat "$DIR/inv.json")"
ok "plain: echo through HttpHost"

inv fail '{"message": "bad shard"}'
[ "$(jget "$DIR/inv.json" 'd["outcome"]')" = handled_error ] || fail "fail outcome: $(cat "$DIR/inv.json")"
[ "$(jget "$DIR/inv.json" 'd["response"]["errorType"]')" = HandlerError ] || fail "fail errorType: $(cat "$DIR/inv.json")"
[ "$(jget "$DIR/inv.json" 'd["response"]["errorMessage"]')" = "bad shard" ] || fail "fail message"
c=$(code -X POST "http://127.0.0.1:$PORT_fail/" --data-binary '{"message":"x"}')
[ "$c" = 200 ] && [ "$(header X-Amz-Function-Error)" = Handled ] || fail "fail wire: HTTP $c, $(cat "$DIR/headers")"
ok "plain: handled error (200 + X-Amz-Function-Error: Handled, typed by errorType)"

c=$(code "http://127.0.0.1:$PORT_echo/healthz")
[ "$c" = 200 ] && grep -q '"status":"ok"' "$DIR/body" || fail "healthz: HTTP $c $(cat "$DIR/body")"
[ "$(code "http://127.0.0.1:$PORT_echo/")" = 405 ] || fail "GET / is not 405"
[ "$(code -X POST "http://127.0.0.1:$PORT_echo/nope" -d '{}')" = 404 ] || fail "POST /nope is not 404"
c=$(code -X POST "http://127.0.0.1:$PORT_echo/" -H 'X-Request-Id: rid-42' -d '{}')
[ "$(header X-Request-Id)" = rid-42 ] || fail "X-Request-Id not echoed"
ok "plain: healthz, 405, 404, X-Request-Id"

# The bind address: loopback unless Cloud Run / Knative (K_SERVICE) or --host says otherwise.
start lo PORT=0 -- echo
grep -q '^listening: http://127.0.0.1:' "$DIR/lo.out" || fail "default bind is not loopback: $(cat "$DIR/lo.out")"
start ks PORT=0 K_SERVICE=echo-svc -- echo
grep -q '^listening: http://0.0.0.0:' "$DIR/ks.out" || fail "K_SERVICE set: not bound to 0.0.0.0: $(cat "$DIR/ks.out")"
[ "$(code -X POST "http://127.0.0.1:$PORT_ks/" -d '{"k":1}')" = 200 ] || fail "0.0.0.0 worker not reachable"
kill -TERM "$PID_lo" "$PID_ks"
ok "plain: binds 127.0.0.1 by default, 0.0.0.0 under Cloud Run/Knative (K_SERVICE)"

# The handler kills its process mid-invocation: the connection drops; HttpHost retries the
# "maybe executed" failure against the dead port and reports a platform error (on Knative the
# queue-proxy would answer 502, which HttpHost types as a crash).
inv crash '{"how": "exit", "code": 3}' && fail "invoke crash succeeded: $(cat "$DIR/inv.json")"
wait_exit "$PID_crash" 10
rc=$?
[ "$rc" = 3 ] || fail "crash worker exit $rc, want 3"
grep -q 'crash' "$DIR/inv.err" || fail "invoke crash: error does not name the function: $(cat "$DIR/inv.err")"
ok "plain: crash mid-request → invoke fails ($(head -c 160 "$DIR/inv.err" | tr '\n' ' '))"

# INIT failure: exit 1 before listening, the error on stderr.
PORT=0 "$WORKER" init-error --host 127.0.0.1 >"$DIR/initerr.out" 2>"$DIR/initerr.err" &
p=$!
PIDS="$PIDS $p"
wait_exit $p 10
rc=$?
[ "$rc" = 1 ] || fail "init-error worker exit $rc, want 1"
grep -q 'listening' "$DIR/initerr.out" && fail "init-error worker listened"
grep -q 'always fails its INIT' "$DIR/initerr.err" || fail "init error not on stderr"
# No handler at all, unknown handler: exit 2.
rc=$(PORT=0 "$WORKER" --host 127.0.0.1 >/dev/null 2>"$DIR/nohandler.err"; echo $?)
[ "$rc" = 2 ] && grep -q '_HANDLER' "$DIR/nohandler.err" || fail "no handler: exit $rc"
rc=$(PORT=0 "$WORKER" nosuch --host 127.0.0.1 >/dev/null 2>"$DIR/unknown.err"; echo $?)
[ "$rc" = 2 ] && grep -q "no built-in handler 'nosuch'" "$DIR/unknown.err" || fail "unknown handler: exit $rc"
rc=$(env -u PORT -u AWS_LAMBDA_RUNTIME_API -u FUNCTIONS_CUSTOMHANDLER_PORT "$WORKER" echo >/dev/null 2>"$DIR/nomode.err"; echo $?)
[ "$rc" = 2 ] && grep -q 'no mode' "$DIR/nomode.err" || fail "no mode: exit $rc"
ok "plain: INIT failure exits 1 before listening; no/unknown handler, no mode exit 2"

# Concurrency 1, queue 0: a second request while one runs is 429 with Retry-After.
start slow PORT=0 -- sleep --host 127.0.0.1 --concurrency 1 --queue 0 --drain-timeout-s 20
U="http://127.0.0.1:$PORT_slow"
curl -s -o "$DIR/slow1.body" -w '%{http_code}' -X POST "$U/" -d '{"ms": 1500}' >"$DIR/slow1.code" &
c1=$!
for _ in $(seq 1 200); do curl -s "$U/healthz" | grep -q '"in_flight":1' && break; sleep 0.02; done
curl -s "$U/healthz" | grep -q '"in_flight":1' || fail "the slow request never showed in flight"
c=$(code -X POST "$U/" -d '{"ms": 1}')
[ "$c" = 429 ] && [ "$(header Retry-After)" = 1 ] || fail "busy instance: HTTP $c, want 429"
wait $c1
[ "$(cat "$DIR/slow1.code")" = 200 ] || fail "first slow request: $(cat "$DIR/slow1.code")"
ok "plain: 429 + Retry-After past concurrency + queue"

# SIGTERM during a slow request: it completes with 200; new requests get 503; exit 0 in the grace.
curl -s -o "$DIR/slow2.body" -w '%{http_code}' -X POST "$U/" -d '{"ms": 2000}' >"$DIR/slow2.code" &
c2=$!
for _ in $(seq 1 200); do curl -s "$U/healthz" | grep -q '"in_flight":1' && break; sleep 0.02; done
t0=$(date +%s%N)
kill -TERM "$PID_slow"
for _ in $(seq 1 100); do [ "$(code "$U/healthz")" = 503 ] && break; sleep 0.02; done
[ "$(code "$U/healthz")" = 503 ] || fail "healthz not 503 while draining"
c=$(code -X POST "$U/" -d '{"ms": 1}')
[ "$c" = 503 ] || [ "$c" = 000 ] || fail "new request while draining: HTTP $c, want 503 or refused"
wait $c2
[ "$(cat "$DIR/slow2.code")" = 200 ] && grep -q '"slept_ms":2000' "$DIR/slow2.body" ||
  fail "in-flight request during drain: $(cat "$DIR/slow2.code") $(cat "$DIR/slow2.body")"
wait_exit "$PID_slow" 20
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] || fail "worker exit $rc after SIGTERM, want 0"
ok "plain: SIGTERM drains the in-flight request (200), refuses new ones (503), exits 0 in ${ms} ms"

# predict: a tiny model trained here; INIT loads it before the worker listens.
"$EXE" train --dataset fashion-mnist --model logreg --epochs 1 --limit 2000 --quiet --out "$DIR/fmnist" \
  >/dev/null 2>"$DIR/train.err" || fail "train the test model"
start predict PORT=0 STRAIGHTLINE_MODEL_DIR="$DIR/fmnist" -- predict --host 127.0.0.1 --concurrency 2
cat >>"$DIR/fns.yaml" <<EOF
  predict: {handler: predict, url: "http://127.0.0.1:$PORT_predict/"}
EOF
"$EXE" invoke predict --platform http --http-functions "$DIR/fns.yaml" --payload "$(cat "$SRC/examples/request.json")" \
  --json >"$DIR/inv.json" 2>"$DIR/inv.err" || fail "invoke predict: $(cat "$DIR/inv.json" "$DIR/inv.err")"
[ "$(jget "$DIR/inv.json" 'd["response"]["model_name"]')" = fmnist ] || fail "predict response: $(head -c 400 "$DIR/inv.json")"
[ "$(jget "$DIR/inv.json" 'len(d["response"]["outputs"][0]["data"])')" = 10 ] || fail "predict outputs"
c=$(code -X POST "http://127.0.0.1:$PORT_predict/" -d '{"inputs": [{"name": "input__0", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}')
[ "$c" = 200 ] && [ "$(header X-Amz-Function-Error)" = Handled ] && grep -q INVALID_ARGUMENT "$DIR/body" ||
  fail "predict bad input: HTTP $c $(cat "$DIR/body")"
ok "plain: predict with a model through HttpHost (10 scores), bad input a typed handled error"

# ---------------------------------------------------------------------------------------------
# Azure Functions custom handler: FUNCTIONS_CUSTOMHANDLER_PORT, binds 127.0.0.1 by default.
start az FUNCTIONS_CUSTOMHANDLER_PORT=0 _HANDLER=echo -- --mode azure
A="http://127.0.0.1:$PORT_az"
grep -q 'azure custom handler mode' "$DIR/az.out" || fail "azure mode not selected: $(cat "$DIR/az.out")"
http_trigger() {  # body-string
  /usr/bin/python3 -c 'import json,sys; print(json.dumps({"Data": {"req": {"Url": "http://localhost:7071/api/x",
    "Method": "POST", "Query": {}, "Headers": {"Content-Type": ["application/json"]}, "Params": {},
    "Body": sys.argv[1]}}, "Metadata": {"sys": {"MethodName": "x", "UtcNow": "2026-12-07T00:00:00Z",
    "RandGuid": "24ad4c06-24ad-4e5b-8294-3da9714877e9"}}}))' "$1"
}
c=$(code -X POST "$A/echo" -H 'Content-Type: application/json' -H 'X-Azure-Functions-InvocationId: inv-1' \
  --data-binary "$(http_trigger '{"a": 1}')")
[ "$c" = 200 ] || fail "azure echo: HTTP $c $(cat "$DIR/body")"
[ "$(jget "$DIR/body" 'd["Outputs"]["res"]["statusCode"]')" = 200 ] || fail "azure res.statusCode: $(cat "$DIR/body")"
[ "$(jget "$DIR/body" 'd["Outputs"]["res"]["body"]')" = '{"a": 1}' ] || fail "azure res.body: $(cat "$DIR/body")"
[ "$(jget "$DIR/body" 'd["ReturnValue"]["body"]')" = '{"a": 1}' ] || fail "azure ReturnValue"
[ "$(jget "$DIR/body" 'd["Outputs"]["res"]["headers"]["X-Request-Id"]')" = inv-1 ] || fail "azure invocation id"
[ "$(jget "$DIR/body" 'len(d["Logs"])')" = 1 ] || fail "azure Logs"
ok "azure: HTTP-trigger invocation payload → Outputs.res {statusCode, status, body, headers}, Logs, ReturnValue"

c=$(code -X POST "$A/fail" --data-binary "$(http_trigger '{"message": "nope"}')")
[ "$c" = 200 ] || fail "azure fail: HTTP $c"
[ "$(jget "$DIR/body" 'd["Outputs"]["res"]["headers"]["X-Amz-Function-Error"]')" = Handled ] || fail "azure fail header: $(cat "$DIR/body")"
[ "$(jget "$DIR/body" 'json.loads(d["Outputs"]["res"]["body"])["errorType"]')" = HandlerError ] || fail "azure fail body"
ok "azure: the function name picks the handler (fail): a handled error in res"

queue='{"Data": {"myQueueItem": "{\"message\": \"queued\"}"}, "Metadata": {"DequeueCount": 1, "Id": "800ae4b3"}}'
c=$(code -X POST "$A/echo" --data-binary "$queue")
[ "$c" = 200 ] && [ "$(jget "$DIR/body" 'd["ReturnValue"]')" = '{"message": "queued"}' ] || fail "azure queue echo: HTTP $c $(cat "$DIR/body")"
c=$(code -X POST "$A/fail" --data-binary "$queue")
[ "$c" = 500 ] && [ "$(jget "$DIR/body" 'd["errorMessage"]')" = queued ] || fail "azure queue fail: HTTP $c $(cat "$DIR/body")"
ok "azure: queue trigger → ReturnValue; a function error → 500 (the host fails the invocation)"

c=$(code -X POST "$A/init-error" --data-binary "$queue")
[ "$c" = 500 ] && [ "$(jget "$DIR/body" 'd["errorType"]')" = Runtime.InitError ] || fail "azure lazy init: HTTP $c $(cat "$DIR/body")"
c=$(code -X POST "$A/some-function" --data-binary "$queue")
[ "$c" = 200 ] && [ "$(jget "$DIR/body" 'd["ReturnValue"]')" = '{"message": "queued"}' ] || fail "azure default handler: HTTP $c"
[ "$(code -X POST "$A/echo" -d 'not json')" = 400 ] || fail "azure bad payload is not 400"
[ "$(code -X POST "$A/a/b" -d '{}')" = 404 ] || fail "azure /a/b is not 404"
ok "azure: lazy INIT failure (500 Runtime.InitError), default handler for other names, 400, 404"

# Forwarding (enableForwardingHttpRequest / enableProxyingHttpRequest): the raw request on its
# original path; HttpHost talks to it exactly as to the plain mode.
cat >"$DIR/az.yaml" <<EOF
provider:
  name: azure-functions
functions:
  echo: {handler: echo, url: "http://127.0.0.1:$PORT_az/api/echo"}
  fail: {handler: fail, url: "http://127.0.0.1:$PORT_az/api/fail"}
EOF
"$EXE" invoke echo --platform http --http-functions "$DIR/az.yaml" --payload '{"fwd": true}' --json \
  >"$DIR/inv.json" 2>"$DIR/inv.err" || fail "invoke forwarded echo: $(cat "$DIR/inv.json" "$DIR/inv.err")"
[ "$(jget "$DIR/inv.json" 'd["response"]["fwd"]')" = True ] || fail "forwarded echo: $(cat "$DIR/inv.json")"
"$EXE" invoke fail --platform http --http-functions "$DIR/az.yaml" --payload '{"message": "fwd"}' --json \
  >"$DIR/inv.json" 2>"$DIR/inv.err"
[ "$(jget "$DIR/inv.json" 'd["outcome"]')" = handled_error ] || fail "forwarded fail: $(cat "$DIR/inv.json")"
ok "azure: forwarded HTTP requests on /api/{function} through HttpHost"

# No default handler: an unknown function name is 404 naming the handlers.
start aznone FUNCTIONS_CUSTOMHANDLER_PORT=0 -- --mode azure
c=$(code -X POST "http://127.0.0.1:$PORT_aznone/unknown-fn" --data-binary "$queue")
[ "$c" = 404 ] && grep -q 'Runtime.HandlerNotFound' "$DIR/body" || fail "azure unknown function: HTTP $c"
kill -TERM "$PID_az" "$PID_aznone"
wait_exit "$PID_az" 15
rc=$?
[ "$rc" = 0 ] || fail "azure worker exit $rc after SIGTERM, want 0"
ok "azure: unknown function without a default handler → 404; SIGTERM exits 0"

# ---------------------------------------------------------------------------------------------
# Serving through HTTP functions: `serve --tiers function --platform http` → HttpHost → a predict
# worker in plain HTTP mode whose INIT loaded the model from an S3 store (s3rver on loopback), as
# a Knative Service or Cloud Run function would.
S3RVER=$SRC/.deps/node_modules/s3rver/bin/s3rver.js
if [ ! -f "$S3RVER" ] || ! command -v node >/dev/null; then
  echo "worker_http_mode_test: $PASS checks passed; SKIP serving through HTTP functions (no s3rver)"
  exit 0
fi
S3PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
node "$S3RVER" -d "$DIR/s3" -a 127.0.0.1 -p "$S3PORT" -s --configure-bucket sl >"$DIR/s3rver.err" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 200); do bash -c "exec 3<>/dev/tcp/127.0.0.1/$S3PORT" 2>/dev/null && break; sleep 0.05; done
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$S3PORT AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
for f in manifest.json weights.pt; do
  "$EXE" store put "$DIR/fmnist/$f" "s3://sl/models/fmnist/$f" >/dev/null 2>"$DIR/put.err" || fail "store put $f"
done
start s3predict PORT=0 STRAIGHTLINE_MODEL_URI=s3://sl/models/fmnist STRAIGHTLINE_STORE_ENDPOINT="$AWS_ENDPOINT_URL" \
  STRAIGHTLINE_STORE_ACCESS_KEY_ID=S3RVER STRAIGHTLINE_STORE_SECRET_ACCESS_KEY=S3RVER STRAIGHTLINE_STORE_REGION=us-east-1 \
  -- predict --host 127.0.0.1 --concurrency 2
cat >"$DIR/serve-fns.yaml" <<FNS
provider:
  name: gcp-cloud-run-functions
functions:
  predict-fmnist: {handler: predict, memorySize: 1024, url: "http://127.0.0.1:$PORT_s3predict/"}
FNS
"$EXE" serve --model "$DIR/fmnist" --tiers function --policy function --platform http \
  --http-functions "$DIR/serve-fns.yaml" --model-store s3://sl/models --port 0 --auth none \
  --state-dir "$DIR/serve-state" >"$DIR/serve.out" 2>"$DIR/serve.err" &
SPID=$!
PIDS="$PIDS $SPID"
for _ in $(seq 1 600); do
  grep -q '^endpoint: ' "$DIR/serve.out" && break
  kill -0 $SPID 2>/dev/null || fail "serve exited before listening"
  sleep 0.05
done
EP=$(sed -n 's/^endpoint: //p' "$DIR/serve.out")
[ -n "$EP" ] || fail "serve: no endpoint line"
c=$(code -X POST "$EP/v2/models/fmnist/infer" -H 'Content-Type: application/json' --data-binary "@$SRC/examples/request.json")
[ "$c" = 200 ] && grep -q '"outputs"' "$DIR/body" || fail "serve over HTTP functions: HTTP $c $(cat "$DIR/body")"
case "$(header X-Straightline-Tier)" in function*) ;; *) fail "not served by the function tier: $(header X-Straightline-Tier)";; esac
kill -TERM $SPID
wait_exit $SPID 30
rc=$?
[ "$rc" = 0 ] || fail "serve exit $rc after SIGTERM"
ok "serve --tiers function --platform http → a predict worker in HTTP mode (model from S3 in its INIT): 200"

echo "worker_http_mode_test: $PASS checks passed"

#!/bin/bash
# `straightline platform serve` (the real platform, real worker processes) driven by Debian's AWS
# CLI over loopback, with SigV4 verification against a credentials file: invoke (plain name, ARN
# with $LATEST, --qualifier), function error, 404, --log-type Tail, Event, list-functions,
# create-function of a built-in handler and get-function; wrong secret and unknown key get
# Lambda's 403 types; /healthz is open and /metrics is not; the start-up refusals (no
# credentials, --auth none beyond loopback); `--auth none` says so; then a clean SIGTERM
# shutdown. Usage: platform_serve_awscli_test.sh STRAIGHTLINE_EXE
set -u
EXE=$1
AWS=/usr/bin/aws
if [ ! -x "$AWS" ]; then echo "SKIP: $AWS not installed"; exit 0; fi
DIR=$(mktemp -d /tmp/sl-serve-awscli.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- server stderr:"; tail -20 "$DIR/err"; exit 1; }
# The server never sees the test runner's AWS_* variables: it must take its keys from the flags.
# (exec: in the background, $! is then the server itself, which stop() signals.)
serve() { exec env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$EXE" platform serve "$@"; }
# start ARGS...: starts the server in the background, waits (bounded) for its endpoint line.
start() {
  (serve --port 0 --state-dir "$DIR/state" "$@") >"$DIR/out" 2>"$DIR/err" &
  PID=$!
  for _ in $(seq 1 100); do grep -q '^endpoint: ' "$DIR/out" && break; sleep 0.1; done
  EP=$(sed -n 's/^endpoint: //p' "$DIR/out")
  [ -n "$EP" ] || fail "no endpoint line within 10 s"
  case "$EP" in http://127.0.0.1:*) ;; *) fail "endpoint $EP is not loopback";; esac
}
stop() {
  kill -TERM "$PID"
  for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$PID" 2>/dev/null && fail "still running 10 s after SIGTERM"
  wait "$PID"; local rc=$?
  PID=
  [ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
  grep -q 'stopped' "$DIR/err" || fail "no clean shutdown line"
}

# --- refusals at start-up: nothing is served ---
if (serve --port 0 --state-dir "$DIR/state") >"$DIR/out" 2>"$DIR/err"; then
  fail "started without credentials and without --auth none"
fi
grep -q -- '--credentials-file' "$DIR/err" && grep -q -- '--auth none' "$DIR/err" \
  || fail "refusal without credentials does not name both ways: $(cat "$DIR/err")"
if (serve --port 0 --host 0.0.0.0 --auth none --state-dir "$DIR/state") >"$DIR/out" 2>"$DIR/err"; then
  fail "--host 0.0.0.0 --auth none started without --insecure"
fi
grep -q -- '--insecure' "$DIR/err" || fail "non-loopback refusal: $(cat "$DIR/err")"

# --- --auth none: serves, says so loudly, accepts unsigned requests ---
printf 'functions:\n  echo:\n    handler: echo\n  fail:\n    handler: fail\n' > "$DIR/fns.yaml"
start --functions "$DIR/fns.yaml" --auth none
grep -q 'AUTHENTICATION IS OFF' "$DIR/err" || fail "--auth none did not say so at start-up"
code=$(curl -s -o "$DIR/o.json" -w '%{http_code}' -d '{"u":1}' "$EP/2015-03-31/functions/echo/invocations")
[ "$code" = 200 ] || fail "--auth none: unsigned invoke answered $code"
stop

# --- SigV4 on, keys from a credentials file with two profiles ---
printf '[default]\naws_access_key_id = AKIDSLTEST\naws_secret_access_key = sl-test-secret\n\n[other]\naws_access_key_id = AKIDSLOTHER\naws_secret_access_key = other/secret+key\n' \
  > "$DIR/server-creds"
start --functions "$DIR/fns.yaml" --credentials-file "$DIR/server-creds"
grep -q 'accepting access key id(s) AKIDSLOTHER, AKIDSLTEST' "$DIR/err" \
  || fail "start-up line does not name the accepted keys"
grep -q 'sl-test-secret' "$DIR/err" && fail "a secret appeared in the server log"

: > "$DIR/config"
# aws [VAR=VALUE...] -- ARGS...: the CLI with the test's keys unless overridden.
aws() {
  local vars=(AWS_ACCESS_KEY_ID=AKIDSLTEST AWS_SECRET_ACCESS_KEY=sl-test-secret)
  while [ "$1" != "--" ]; do vars+=("$1"); shift; done
  shift
  env -i PATH=/usr/bin:/bin HOME="$DIR" AWS_CONFIG_FILE="$DIR/config" \
    AWS_SHARED_CREDENTIALS_FILE="$DIR/config" AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 \
    AWS_PAGER= AWS_EC2_METADATA_DISABLED=true "${vars[@]}" "$AWS" --endpoint-url "$EP" "$@"
}
B=(--cli-binary-format raw-in-base64-out)

out=$(aws -- lambda invoke --function-name echo --payload '{"a":1}' "${B[@]}" "$DIR/o.json") \
  || fail "invoke echo: $out"
grep -q '"StatusCode": 200' <<<"$out" || fail "echo status: $out"
[ "$(cat "$DIR/o.json")" = '{"a":1}' ] || fail "echo payload: $(cat "$DIR/o.json")"

# The second profile's key, a function ARN with $LATEST (signed over the path encoded twice),
# and --qualifier in the query string.
out=$(aws AWS_ACCESS_KEY_ID=AKIDSLOTHER AWS_SECRET_ACCESS_KEY=other/secret+key -- lambda invoke \
  --function-name 'arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST' \
  --payload '{"arn":1}' "${B[@]}" "$DIR/o.json" 2>&1) || fail "invoke by ARN: $out"
[ "$(cat "$DIR/o.json")" = '{"arn":1}' ] || fail "ARN payload: $(cat "$DIR/o.json")"
out=$(aws -- lambda invoke --function-name echo --qualifier '$LATEST' --payload '{}' "${B[@]}" \
  "$DIR/o.json" 2>&1) || fail "invoke --qualifier: $out"

out=$(aws -- lambda invoke --function-name fail --payload '{"message":"boom"}' "${B[@]}" "$DIR/o.json") \
  || fail "invoke fail: $out"
grep -q '"FunctionError": "Handled"' <<<"$out" || fail "function error header: $out"
grep -q '"errorMessage":"boom"' "$DIR/o.json" || fail "error payload: $(cat "$DIR/o.json")"

if out=$(aws -- lambda invoke --function-name nope --payload '{}' "${B[@]}" "$DIR/o.json" 2>&1); then
  fail "invoke of a missing function succeeded: $out"
fi
grep -q 'ResourceNotFoundException' <<<"$out" || fail "404: $out"

log=$(aws -- lambda invoke --function-name echo --log-type Tail --payload '{}' "${B[@]}" \
  "$DIR/o.json" --query LogResult --output text | base64 -d) || fail "tail: $log"
grep -q '^START RequestId: ' <<<"$log" || fail "tail START: $log"
grep -q '^REPORT RequestId: .*Billed Duration' <<<"$log" || fail "tail REPORT: $log"

out=$(aws -- lambda invoke --function-name echo --invocation-type Event --payload '{}' "${B[@]}" \
  "$DIR/o.json") || fail "event: $out"
grep -q '"StatusCode": 202' <<<"$out" || fail "event status: $out"

out=$(aws -- lambda list-functions --query 'Functions[].FunctionName' --output text) \
  || fail "list-functions: $out"
[ "$(tr '\t' ' ' <<<"$out")" = "echo fail" ] || fail "list-functions: $out"

# --- wrong keys: Lambda's 403 error types, as the CLI shows them; nothing runs ---
if out=$(aws AWS_SECRET_ACCESS_KEY=not-the-secret -- lambda invoke --function-name echo \
  --payload '{}' "${B[@]}" "$DIR/o.json" 2>&1); then fail "wrong secret accepted: $out"; fi
grep -q '(InvalidSignatureException) when calling the Invoke operation' <<<"$out" \
  || fail "wrong secret: $out"
grep -q "The request signature we calculated does not match" <<<"$out" || fail "wrong secret text: $out"
if out=$(aws AWS_ACCESS_KEY_ID=AKIDNOBODY -- lambda list-functions 2>&1); then
  fail "unknown key accepted: $out"
fi
grep -q '(UnrecognizedClientException) when calling the ListFunctions operation.*: The security token included in the request is invalid' <<<"$out" \
  || fail "unknown key: $out"

# --- unsigned: /healthz open, /metrics and the API closed ---
[ "$(curl -s -o /dev/null -w '%{http_code}' "$EP/healthz")" = 200 ] || fail "/healthz not open"
code=$(curl -s -D "$DIR/h" -o /dev/null -w '%{http_code}' "$EP/metrics")
[ "$code" = 403 ] || fail "unsigned /metrics answered $code"
grep -qi '^x-amzn-ErrorType: MissingAuthenticationTokenException' "$DIR/h" \
  || fail "unsigned /metrics: $(cat "$DIR/h")"
code=$(curl -s -o /dev/null -w '%{http_code}' -d '{}' "$EP/2015-03-31/functions/echo/invocations")
[ "$code" = 403 ] || fail "unsigned invoke answered $code"
# curl's own SigV4 signer (a third implementation) is accepted on /metrics.
code=$(curl -s -o "$DIR/metrics" -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:lambda \
  --user AKIDSLTEST:sl-test-secret "$EP/metrics")
[ "$code" = 200 ] || fail "curl --aws-sigv4 /metrics answered $code"
grep -q '^sl_front_auth_failures_total{reason="missing-authentication"}' "$DIR/metrics" \
  || fail "no auth failure counter in /metrics"

# --- CreateFunction of a built-in handler, then invoke and get-function ---
out=$(aws -- lambda create-function --function-name made --handler echo \
  --runtime straightline-builtin --role arn:aws:iam::000000000000:role/any --code '{}' \
  --memory-size 256 --timeout 10 --environment 'Variables={MODE=fast,STORE_SECRET=s3cr3t}' 2>&1) \
  || fail "create-function: $out"
grep -q '"FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:made"' <<<"$out" \
  || fail "create-function answer: $out"
grep -q '"State": "Active"' <<<"$out" || fail "create-function state: $out"
out=$(aws -- lambda invoke --function-name made --payload '{"made":1}' "${B[@]}" "$DIR/o.json") \
  || fail "invoke made: $out"
[ "$(cat "$DIR/o.json")" = '{"made":1}' ] || fail "made payload: $(cat "$DIR/o.json")"
out=$(aws -- lambda get-function --function-name made --query 'Configuration.[MemorySize,Timeout,Environment.Variables.MODE]' --output text) \
  || fail "get-function: $out"
[ "$(tr '\t' ' ' <<<"$out")" = "256 10 fast" ] || fail "get-function: $out"
out=$(aws -- lambda get-function-configuration --function-name made) || fail "get-function-configuration: $out"
grep -q 's3cr3t' <<<"$out" && fail "a secret-looking variable was shown: $out"

if out=$(aws -- lambda create-function --function-name made --handler echo --role r --code '{}' 2>&1); then
  fail "second create-function succeeded: $out"
fi
grep -q 'ResourceConflictException' <<<"$out" || fail "conflict: $out"
if out=$(aws -- lambda create-function --function-name other --handler resize --role r --code '{}' 2>&1); then
  fail "create-function of a non-built-in handler succeeded: $out"
fi
grep -q "(InvalidParameterValueException).*Handler 'resize' is not a built-in handler.*train-shard" <<<"$out" \
  || fail "unknown handler: $out"
/usr/bin/python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1],'w').writestr('index.py','')" "$DIR/fn.zip"
if out=$(aws -- lambda create-function --function-name zipped --handler index.handler \
  --runtime python3.12 --role r --zip-file "fileb://$DIR/fn.zip" 2>&1); then
  fail "create-function with a zip succeeded: $out"
fi
grep -q "(InvalidParameterValueException).*Code.ZipFile not supported" <<<"$out" || fail "zip: $out"

stop
echo "PASS"

#!/bin/bash
# `straightline platform serve` (the real platform, real worker processes) driven by Debian's AWS
# CLI over loopback: invoke, function error, 404, --log-type Tail, Event, list-functions, then a
# clean SIGTERM shutdown. Usage: platform_serve_awscli_test.sh STRAIGHTLINE_EXE
set -u
EXE=$1
AWS=/usr/bin/aws
if [ ! -x "$AWS" ]; then echo "SKIP: $AWS not installed"; exit 0; fi
DIR=$(mktemp -d /tmp/sl-serve-awscli.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- server stderr:"; tail -20 "$DIR/err"; exit 1; }

printf 'functions:\n  echo:\n    handler: echo\n  fail:\n    handler: fail\n' > "$DIR/fns.yaml"
"$EXE" platform serve --port 0 --functions "$DIR/fns.yaml" --state-dir "$DIR/state" \
  >"$DIR/out" 2>"$DIR/err" &
PID=$!
for _ in $(seq 1 100); do grep -q '^endpoint: ' "$DIR/out" && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' "$DIR/out")
[ -n "$EP" ] || fail "no endpoint line within 10 s"
case "$EP" in http://127.0.0.1:*) ;; *) fail "endpoint $EP is not loopback";; esac

: > "$DIR/config"
aws() {
  env -i PATH=/usr/bin:/bin HOME="$DIR" AWS_CONFIG_FILE="$DIR/config" \
    AWS_SHARED_CREDENTIALS_FILE="$DIR/config" AWS_ACCESS_KEY_ID=testing \
    AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 AWS_PAGER= \
    AWS_EC2_METADATA_DISABLED=true "$AWS" --endpoint-url "$EP" "$@"
}
B=(--cli-binary-format raw-in-base64-out)

out=$(aws lambda invoke --function-name echo --payload '{"a":1}' "${B[@]}" "$DIR/o.json") \
  || fail "invoke echo: $out"
grep -q '"StatusCode": 200' <<<"$out" || fail "echo status: $out"
[ "$(cat "$DIR/o.json")" = '{"a":1}' ] || fail "echo payload: $(cat "$DIR/o.json")"

out=$(aws lambda invoke --function-name fail --payload '{"message":"boom"}' "${B[@]}" "$DIR/o.json") \
  || fail "invoke fail: $out"
grep -q '"FunctionError": "Handled"' <<<"$out" || fail "function error header: $out"
grep -q '"errorMessage":"boom"' "$DIR/o.json" || fail "error payload: $(cat "$DIR/o.json")"

if out=$(aws lambda invoke --function-name nope --payload '{}' "${B[@]}" "$DIR/o.json" 2>&1); then
  fail "invoke of a missing function succeeded: $out"
fi
grep -q 'ResourceNotFoundException' <<<"$out" || fail "404: $out"

log=$(aws lambda invoke --function-name echo --log-type Tail --payload '{}' "${B[@]}" \
  "$DIR/o.json" --query LogResult --output text | base64 -d) || fail "tail: $log"
grep -q '^START RequestId: ' <<<"$log" || fail "tail START: $log"
grep -q '^REPORT RequestId: .*Billed Duration' <<<"$log" || fail "tail REPORT: $log"

out=$(aws lambda invoke --function-name echo --invocation-type Event --payload '{}' "${B[@]}" \
  "$DIR/o.json") || fail "event: $out"
grep -q '"StatusCode": 202' <<<"$out" || fail "event status: $out"

out=$(aws lambda list-functions --query 'Functions[].FunctionName' --output text) \
  || fail "list-functions: $out"
[ "$(tr '\t' ' ' <<<"$out")" = "echo fail" ] || fail "list-functions: $out"

kill -TERM "$PID"
for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID" 2>/dev/null && fail "still running 10 s after SIGTERM"
wait "$PID"; rc=$?
PID=
[ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
grep -q 'stopped' "$DIR/err" || fail "no clean shutdown line"
echo "PASS"

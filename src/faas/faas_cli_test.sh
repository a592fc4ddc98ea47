#!/bin/bash
# The function platform through the `straightline` executable, as a user runs it: `invoke` of
# built-in handlers on the embedded platform (response, --log-type Tail, function errors, a
# timeout, unknown functions), `functions list` of a functions file resolved against the
# provider profiles, `logs`, and `cost` over the ledger those invocations wrote, checked against
# a hand computation from the ledger lines and the profiles. Every instance is a real process
# talking the Lambda Runtime API over loopback.
# Usage: faas_cli_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
PY=/usr/bin/python3
DIR=$(mktemp -d /tmp/sl-faas-cli.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
ST=$DIR/state
LEDGER=$ST/ledger.jsonl
fail() { echo "FAIL: $*"; [ -s "$DIR/err" ] && { echo "--- stderr:"; tail -20 "$DIR/err"; }; exit 1; }
# run ARGS...: runs the executable, stdout → $DIR/out, stderr → $DIR/err, sets RC.
run() { "$EXE" "$@" >"$DIR/out" 2>"$DIR/err"; RC=$?; }
expect_rc() { [ "$RC" = "$1" ] || fail "$2: exit code $RC, expected $1; stdout: $(head -c 600 "$DIR/out")"; }
expect_out() { grep -qF -- "$1" "$DIR/out" || fail "$2: stdout does not contain '$1': $(head -c 800 "$DIR/out")"; }
expect_err() { grep -qF -- "$1" "$DIR/err" || fail "$2: stderr does not contain '$1': $(head -c 800 "$DIR/err")"; }
# The request id of the last invoke, from its summary line on stderr.
request_id() { sed -n 's/^StatusCode: 200  FunctionError: [^ ]*  RequestId: \([^ ]*\)$/\1/p' "$DIR/err"; }
check() {  # WHAT PYTHON [ARGS...]: a failed assert fails the test
  local what=$1 code=$2; shift 2
  "$PY" -c "import json, math, sys
$code" "$@" >"$DIR/pyout" 2>&1 || fail "$what: $(tail -5 "$DIR/pyout")"
}
# Run from an empty directory: `invoke` reads ./functions.yaml when there is one.
cd "$DIR" || exit 1

# --- invoke echo: the payload comes back; one line of Lambda's summary on stderr ---
run invoke echo --state-dir "$ST" --payload '{"a":1}'
expect_rc 0 "invoke echo"
[ "$(cat "$DIR/out")" = '{"a":1}' ] || fail "invoke echo: payload '$(cat "$DIR/out")'"
ECHO_ID=$(request_id)
[ -n "$ECHO_ID" ] || fail "invoke echo: no 'StatusCode: 200  FunctionError: -  RequestId:' line"
expect_err "FunctionError: -  RequestId: $ECHO_ID" "invoke echo"
grep -qE '^Cold start  Init: [0-9.]+ ms  Duration: [0-9.]+ ms  Billed: [0-9]+ ms  Max Memory Used: [0-9]+ MB .* \(aws-lambda, billing from [a-z]+\)$' \
  "$DIR/err" || fail "invoke echo: summary line: $(cat "$DIR/err")"
if grep -q '^START RequestId' "$DIR/err"; then fail "invoke echo without --log-type Tail printed the log"; fi
[ -s "$LEDGER" ] || fail "invoke echo: no ledger at $LEDGER"
check "ledger line of invoke echo" '
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 1, len(recs)
r = recs[0]
assert r["request_id"] == sys.argv[2] and r["function"] == "echo", r
assert r["provider"] == "aws-lambda" and r["memory_mb"] == 128 and r["outcome"] == "success", r
assert r["cold_start"] is True and r["init_ms"] > 0, r
' "$LEDGER" "$ECHO_ID"

# --- invoke sleep --log-type Tail: the invocation's START / handler output / END / REPORT ---
run invoke sleep --state-dir "$ST" --payload '{"ms":50}' --log-type Tail
expect_rc 0 "invoke sleep --log-type Tail"
expect_out '"slept_ms":50' "invoke sleep"
ID=$(request_id)
[ -n "$ID" ] || fail "invoke sleep: no request id"
check "the Tail log of invoke sleep" '
import re
err = open(sys.argv[1]).read(); rid = sys.argv[2]
s = err.find("START RequestId: " + rid + " Version: $LATEST")
h = err.find(" sleeping 50 ms")
e = err.find("END RequestId: " + rid)
m = re.search(r"REPORT RequestId: " + re.escape(rid) +
              r"\tDuration: ([0-9.]+) ms\tBilled Duration: ([0-9]+) ms\tMemory Size: 128 MB", err)
assert 0 <= s < h < e, (s, h, e, err)
assert m and e < m.start(), err
assert float(m.group(1)) >= 50, ("slept 50 ms but Duration is", m.group(1))
assert int(m.group(2)) >= float(m.group(1)), m.groups()
' "$DIR/err" "$ID"

# --- a function error: the error payload on stdout, FunctionError on stderr, exit 1 ---
run invoke fail --state-dir "$ST" --payload '{"message":"boom"}'
expect_rc 1 "invoke fail"
expect_err "StatusCode: 200  FunctionError: Handled  RequestId: " "invoke fail"
check "invoke fail error payload" '
j = json.load(open(sys.argv[1]))
assert j["errorMessage"] == "boom" and j["errorType"] == "HandlerError", j
' "$DIR/out"
run invoke crash --state-dir "$ST" --payload '{"how":"exit","code":7}'
expect_rc 1 "invoke crash"
expect_err "FunctionError: Unhandled" "invoke crash"
expect_out '"errorType":"Runtime.ExitError"' "invoke crash"
expect_out 'Runtime exited with error: exit status 7' "invoke crash"

# --- functions file: list resolved against the profiles; invoke from it ---
mkdir -p "$DIR/hello"
printf '#!/bin/sh\nexit 0\n' > "$DIR/hello/bootstrap"
chmod +x "$DIR/hello/bootstrap"
cat > "$DIR/functions.yaml" <<'YAML'
provider: {name: aws-lambda, memorySize: 1024, timeout: 10}
functions:
  echo: {handler: echo}
  slow: {handler: sleep, memorySize: 256, timeout: 1}
  gcp-echo: {handler: echo, provider: gcp-functions}
  hello:
    runtime: provided.al2023
    codeUri: ./hello
    handler: function.handler
    reservedConcurrency: 10
    keepAlive: hybrid
YAML
run functions list --functions "$DIR/functions.yaml"
expect_rc 0 "functions list"
check "functions list rows" '
rows = {}
lines = open(sys.argv[1]).read().splitlines()
assert lines[0].split() == ["NAME", "RUNTIME", "HANDLER", "PROVIDER", "MEM_MB", "TIMEOUT", "VCPU",
                            "RESERVED", "KEEP_ALIVE"], lines[0]
for l in lines[1:]:
    f = l.split()
    rows[f[0]] = f
assert sorted(rows) == ["echo", "gcp-echo", "hello", "slow"], sorted(rows)
# name, runtime, handler, provider, memory (provider block default or own), timeout, vCPU
assert rows["echo"][2:7] == ["echo", "aws-lambda", "1024", "10s", "%.3f" % (1024 / 1769)], rows["echo"]
assert rows["slow"][2:7] == ["sleep", "aws-lambda", "256", "1s", "%.3f" % (256 / 1769)], rows["slow"]
assert rows["gcp-echo"][3:6] == ["gcp-functions", "1024", "10s"], rows["gcp-echo"]
assert rows["hello"][3:6] == ["aws-lambda", "1024", "10s"], rows["hello"]
assert rows["hello"][7:] == ["10", "hybrid"], rows["hello"]
assert rows["echo"][7] == "-", rows["echo"]
assert rows["hello"][1] != rows["echo"][1], "custom runtime and built-in show the same RUNTIME"
' "$DIR/out"
# The function file's provider and memory reach the instance and the ledger.
run invoke gcp-echo --state-dir "$ST" --functions "$DIR/functions.yaml" --payload '{"b":2}'
expect_rc 0 "invoke gcp-echo --functions"
[ "$(cat "$DIR/out")" = '{"b":2}' ] || fail "invoke gcp-echo: payload '$(cat "$DIR/out")'"
expect_err "(gcp-functions, billing from " "invoke gcp-echo"
# The file's 1 s timeout kills a 3 s sleep like Lambda does.
run invoke slow --state-dir "$ST" --functions "$DIR/functions.yaml" --payload '{"ms":3000}'
expect_rc 1 "invoke slow (timeout)"
expect_err "FunctionError: Unhandled" "invoke slow (timeout)"
expect_out '"errorType":"Sandbox.Timedout"' "invoke slow (timeout)"
expect_out 'Task timed out after 1.00 seconds' "invoke slow (timeout)"

# --- unknown functions and bad arguments: clear errors, no invocation ---
lines_before=$(wc -l < "$LEDGER")
run invoke nope --state-dir "$ST" --functions "$DIR/functions.yaml"
expect_rc 2 "invoke of a function missing from the file"
expect_err "$DIR/functions.yaml: no function 'nope'" "invoke of a function missing from the file"
# Without a functions file the name is a built-in handler's; there is none called nope.
rm "$DIR/functions.yaml"
run invoke nope --state-dir "$ST"
expect_rc 1 "invoke of an unknown built-in"
expect_err "FunctionError: Unhandled" "invoke of an unknown built-in"
expect_out '"errorType":"Runtime.HandlerNotFound"' "invoke of an unknown built-in"
run invoke echo --state-dir "$ST" --payload '{not json'
expect_rc 1 "invoke with a payload that is not JSON"
expect_err "INVALID_ARGUMENT" "invoke with a payload that is not JSON"
run invoke echo --state-dir "$ST" --provider no-such-cloud
expect_rc 2 "invoke --provider no-such-cloud"
expect_err "no-such-cloud" "invoke --provider no-such-cloud"
run invoke echo --state-dir "$ST" --spawn clone
expect_rc 2 "invoke --spawn clone"
expect_err "--spawn: 'clone' is not fork or exec" "invoke --spawn clone"
run invoke --state-dir "$ST"
expect_rc 2 "invoke without a name"
expect_err "missing argument name" "invoke without a name"
# Only the handler-not-found call reached a function; it is in the ledger, the rest are not.
[ "$(wc -l < "$LEDGER")" = $((lines_before + 1)) ] \
  || fail "rejected invocations reached the ledger: $lines_before -> $(wc -l < "$LEDGER") lines"

printf 'functions:\n  tiny: {handler: echo, memorySize: 100}\n' > "$DIR/bad.yaml"
run functions list --functions "$DIR/bad.yaml"
expect_rc 2 "functions list with 100 MB"
expect_err "function 'tiny': memorySize" "functions list with 100 MB"
run functions list --functions "$DIR/missing.yaml"
expect_rc 2 "functions list of a missing file"
expect_err "$DIR/missing.yaml" "functions list of a missing file"
run functions show
expect_rc 2 "functions show"
expect_err "unknown action 'show'" "functions show"

# --- logs: the log stream the invocations above wrote ---
run logs echo --state-dir "$ST"
expect_rc 0 "logs echo"
expect_out "START RequestId: $ECHO_ID Version: \$LATEST" "logs echo"
expect_out "END RequestId: $ECHO_ID" "logs echo"
expect_out "REPORT RequestId: $ECHO_ID" "logs echo"
[ "$(grep -c '^START RequestId: ' "$DIR/out")" = 1 ] || fail "logs echo: not one START line: $(cat "$DIR/out")"
[ "$(grep -c '^REPORT RequestId: ' "$DIR/out")" = 1 ] || fail "logs echo: not one REPORT line"
run logs fail --state-dir "$ST"
expect_rc 0 "logs fail"
expect_out "fail: boom" "logs fail"
run logs never-invoked --state-dir "$ST"
expect_rc 1 "logs of a function never invoked"
expect_err "function 'never-invoked': no log stream" "logs of a function never invoked"

# --- cost: per function and provider, repriced, measured vs emulated ---
N=$(wc -l < "$LEDGER")
[ "$N" = 7 ] || fail "expected 7 ledger records (echo sleep fail crash gcp-echo slow nope), got $N"
run cost --ledger "$LEDGER" --reprice gcp-functions,azure-functions
expect_rc 0 "cost --reprice"
expect_out "ledger $LEDGER: 7 records" "cost"
expect_out "measured here: handler durations (T_i)" "cost"
expect_out "taken from provider profiles (emulated): prices and free tiers" "cost"
expect_out "== as recorded (each invocation priced under its own provider profile) ==" "cost"
expect_out "== repriced under gcp-functions (" "cost"
expect_out "== repriced under azure-functions (" "cost"
expect_out "== always-on VM comparison" "cost"
check "cost text rows" '
import re
out = open(sys.argv[1]).read()
views = re.split(r"^== ", out, flags=re.M)[1:4]
assert len(views) == 3, len(views)
for v in views:
    names = [l.split()[0] for l in v.splitlines()[2:] if l and not l.startswith(" ")]
    assert names == ["echo", "sleep", "fail", "crash", "gcp-echo", "slow", "nope", "TOTAL"], names
    total = [l for l in v.splitlines() if l.startswith("TOTAL")][0].split()
    assert total[1:4] == ["7", "7", "4"], ("inv, cold, err", total)
' "$DIR/out"
run cost --ledger "$LEDGER" --by provider --reprice gcp-functions,azure-functions --vm none
expect_rc 0 "cost --by provider"
check "cost --by provider rows" '
out = open(sys.argv[1]).read()
rec = out.split("== repriced")[0]
rows = {l.split()[0]: l.split() for l in rec.splitlines() if l.startswith(("aws-lambda", "gcp-functions"))}
assert rows["aws-lambda"][2] == "6" and rows["gcp-functions"][2] == "1", rows
assert "always-on VM" not in out, "--vm none still printed VMs"
' "$DIR/out"

run cost --ledger "$LEDGER" --reprice gcp-functions,azure-functions --json
expect_rc 0 "cost --json"
cp "$DIR/out" "$DIR/cost.json"
check "cost --json against a hand computation from the ledger and the profiles" '
import yaml
led = [json.loads(l) for l in open(sys.argv[1])]
rep = json.load(open(sys.argv[2]))
prof = {n: yaml.safe_load(open("%s/profiles/%s.yaml" % (sys.argv[3], n)))
        for n in ("aws-lambda", "gcp-functions", "azure-functions")}
val = lambda n, sec, key: prof[n][sec][key]["value"]
def ceil_to(x, step):
    q = x / step
    return round(q) * step if abs(q - round(q)) < 1e-9 else math.ceil(q) * step
close = lambda a, b: abs(a - b) <= 1e-12 + 1e-9 * abs(b)

assert rep["records"] == len(led) == 7, rep["records"]
assert rep["measured"] and rep["emulated"], "measured / emulated lists missing"
assert any("prices" in e for e in rep["emulated"]) and any("durations" in m for m in rep["measured"])
# The recorded total is the sum of the ledger lines cost fields.
assert close(rep["recorded_cost_usd"], sum(r["cost_usd"] for r in led)), rep["recorded_cost_usd"]
t = rep["recorded"]["total"]
assert close(t["cost_usd"], rep["recorded_cost_usd"]), (t["cost_usd"], rep["recorded_cost_usd"])
assert t["invocations"] == 7 and t["cold_starts"] == 7, t
assert t["errors"] == sum(r["outcome"] != "success" for r in led) == 4, t["errors"]
assert close(t["t_total_s"], sum(r["duration_ms"] for r in led) / 1000), t["t_total_s"]
assert close(t["t_parallel_s"], max(r["duration_ms"] + r["init_ms"] for r in led) / 1000), t

# AWS Lambda records, by hand: init + duration rounded up to 1 ms, GB-s at the configured
# memory, plus the request fee.
aws = [r for r in led if r["provider"] == "aws-lambda"]
assert len(aws) == 6, len(aws)
for r in aws:
    billed = ceil_to(r["duration_ms"] + r["init_ms"], val("aws-lambda", "billing", "granularity_ms"))
    assert close(r["billed_ms"], billed), (r["request_id"], r["billed_ms"], billed)
    cost = (billed / 1000 * r["memory_mb"] / 1024 * val("aws-lambda", "pricing", "per_gb_s")
            + val("aws-lambda", "pricing", "per_request"))
    assert close(r["cost_usd"], cost), (r["request_id"], r["cost_usd"], cost)
g = {x["key"]: x for x in rep["recorded"]["groups"]}
assert g["gcp-echo"]["provider"] == "gcp-functions" and g["echo"]["provider"] == "aws-lambda", g.keys()
assert close(g["echo"]["totals"]["cost_usd"], sum(r["cost_usd"] for r in led if r["function"] == "echo"))

views = {v["target"]: v for v in rep["repriced"]}
assert sorted(views) == ["azure-functions", "gcp-functions"], sorted(views)
# GCF 1st gen: 100 ms rounding with a 100 ms minimum, init not billed; its request fee.
gv = views["gcp-functions"]["total"]
billed = sum(max(100, ceil_to(r["duration_ms"], 100)) for r in led) / 1000
assert close(gv["billed_s"], billed), (gv["billed_s"], billed)
assert close(gv["request_usd"], 7 * val("gcp-functions", "pricing", "per_request")), gv["request_usd"]
# Azure Consumption: observed memory rounded up to 128 MB (128..1536), 1 ms rounding with a
# 100 ms minimum, GB-s price plus the request fee.
cost = 0
for r in led:
    mem = min(1536, max(128, -(-r["max_memory_used_mb"] // 128) * 128))
    ms = max(100, ceil_to(r["duration_ms"], 1))
    cost += (ms / 1000 * mem / 1024 * val("azure-functions", "pricing", "per_gb_s")
             + val("azure-functions", "pricing", "per_request"))
av = views["azure-functions"]["total"]
assert close(av["cost_usd"], cost), (av["cost_usd"], cost)
assert av["invocations"] == 7 and close(av["t_total_s"], t["t_total_s"]), av
# The VM comparison prices the wall span of the run.
vms = {v["profile"]: v for v in rep["vms"]}
assert "ec2-c5.large" in vms and vms["ec2-c5.large"]["span_s"] == rep["wall_span_s"] > 0, rep["vms"]
' "$LEDGER" "$DIR/cost.json" "$SRC"

run cost --ledger "$DIR/no-such-ledger.jsonl"
expect_rc 1 "cost of a missing ledger"
expect_err "$DIR/no-such-ledger.jsonl" "cost of a missing ledger"
run cost
expect_rc 2 "cost without --ledger"
expect_err "--ledger: required" "cost without --ledger"
run cost --ledger "$LEDGER" --by region
expect_rc 2 "cost --by region"
expect_err "--by: 'region' is not 'function' or 'provider'" "cost --by region"
run cost --ledger "$LEDGER" --reprice ec2-c5.large
expect_rc 2 "cost --reprice of a VM profile"
expect_err "--reprice ec2-c5.large: a VM profile" "cost --reprice of a VM profile"
run cost --ledger "$LEDGER" --reprice no-such-cloud
expect_rc 2 "cost --reprice no-such-cloud"
expect_err "no-such-cloud" "cost --reprice no-such-cloud"
echo '{"request_id":"x","function":"f"}' > "$DIR/broken.jsonl"
run cost --ledger "$DIR/broken.jsonl"
expect_rc 1 "cost of a ledger line without provider"
expect_err "missing field 'provider'" "cost of a ledger line without provider"
# --- a relative codeUri in a functions file given by a relative path (the README's layout):
# the path is resolved when the file is read, not against the directory the instance runs in ---
ST2=$DIR/state2
mkdir -p "$DIR/proj/hello"
cat > "$DIR/proj/hello/bootstrap" <<'PY'
#!/usr/bin/python3
import os, urllib.request
api = "http://%s/2018-06-01/runtime/invocation" % os.environ["AWS_LAMBDA_RUNTIME_API"]
while True:
    with urllib.request.urlopen(api + "/next") as r:
        rid, event = r.headers["Lambda-Runtime-Aws-Request-Id"], r.read()
    urllib.request.urlopen(urllib.request.Request(api + "/" + rid + "/response", data=event)).read()
PY
chmod +x "$DIR/proj/hello/bootstrap"
printf 'functions:\n  hello: {runtime: provided.al2023, codeUri: ./hello, handler: function.handler}\n' \
  > "$DIR/proj/functions.yaml"
run invoke hello --state-dir "$ST2" --functions proj/functions.yaml --payload '{"rel":1}'
expect_rc 0 "invoke of a relative codeUri through a relative --functions"
[ "$(cat "$DIR/out")" = '{"rel":1}' ] || fail "invoke hello (relative codeUri): payload '$(cat "$DIR/out")'"
printf 'functions:\n  hello: {runtime: provided.al2023, codeUri: ./nowhere, handler: h}\n' \
  > "$DIR/proj/missing.yaml"
run functions list --functions proj/missing.yaml
expect_rc 2 "functions list with a missing codeUri directory"
expect_err "proj/missing.yaml: function 'hello': codeUri: directory $DIR/proj/nowhere does not exist" \
  "functions list with a missing codeUri directory"
# --- ./functions.yaml adds functions; it does not hide the built-in handlers (the README's
# order: write a functions file, then `invoke sleep`), and says so ---
printf 'functions:\n  greet: {handler: echo}\n' > "$DIR/functions.yaml"
run invoke sleep --state-dir "$ST2" --payload '{"ms":5}'
expect_rc 0 "invoke of a built-in the ./functions.yaml does not declare"
expect_out '"slept_ms":5' "invoke sleep with ./functions.yaml"
expect_err "functions.yaml declares no function 'sleep': running the built-in handler 'sleep'" \
  "invoke sleep with ./functions.yaml"
run invoke nope --state-dir "$ST2"
expect_rc 2 "invoke of a name neither declared nor built in"
expect_err "functions.yaml: no function 'nope' (declared: greet) and no built-in handler of that name (alloc, crash, echo," \
  "invoke of a name neither declared nor built in"

# --- --json on the report commands: invoke, functions list, logs, version ---
run invoke greet --state-dir "$ST2" --payload '{"j":[1,2]}' --json
expect_rc 0 "invoke --json"
cp "$DIR/out" "$DIR/invoke.json"
[ ! -s "$DIR/err" ] || fail "invoke --json wrote to stderr: $(cat "$DIR/err")"
check "invoke --json" '
r = json.load(open(sys.argv[1]))
assert r["function"] == "greet" and r["source"] == "functions file", r
assert r["functions_file"] == "functions.yaml" and r["provider"] == "aws-lambda", r
assert r["status_code"] == 200 and r["function_error"] is None and r["outcome"] == "success", r
assert r["response"] == {"j": [1, 2]}, r["response"]
assert r["cold_start"] is True and r["init_ms"] > 0 and r["billed_ms"] >= r["duration_ms"] > 0, r
for k in ("request_id", "queued_ms", "max_memory_used_mb", "cost_usd", "billing"):
    assert k in r, k
' "$DIR/invoke.json"
run invoke sleep --state-dir "$ST2" --payload '{"ms":1}' --json
expect_rc 0 "invoke --json of a built-in"
check "invoke --json of a built-in says so" '
r = json.load(open(sys.argv[1]))
assert r["source"] == "built-in handler" and "running the built-in handler" in r["note"], r
' "$DIR/out"
run invoke fail --state-dir "$ST2" --payload '{"message":"boom"}' --json
expect_rc 1 "invoke --json of a failing function"
check "invoke --json function error" '
r = json.load(open(sys.argv[1]))
assert r["function_error"] == "Handled" and r["response"]["errorMessage"] == "boom", r
' "$DIR/out"
run functions list --json
expect_rc 0 "functions list --json"
check "functions list --json" '
rows = json.load(open(sys.argv[1]))
assert [r["name"] for r in rows] == ["greet"], rows
g = rows[0]
assert g["runtime"] == "builtin" and g["handler"] == "echo" and g["provider"] == "aws-lambda", g
assert g["memory_mb"] == 128 and g["timeout_s"] > 0 and 0 < g["vcpu"] < 1 and g["code_dir"] is None, g
' "$DIR/out"
run logs greet --state-dir "$ST2" --json
expect_rc 0 "logs --json"
check "logs --json" '
r = json.load(open(sys.argv[1])); inv = json.load(open(sys.argv[2]))
assert r["function"] == "greet" and r["log_file"].endswith("logs/greet.log"), r
assert any(l.startswith("START RequestId: " + inv["request_id"]) for l in r["lines"]), r["lines"]
rep = [x for x in r["reports"] if x["request_id"] == inv["request_id"]]
assert len(rep) == 1, r["reports"]
assert rep[0]["memory_size_mb"] == 128 and rep[0]["duration_ms"] >= 0, rep
assert rep[0]["billed_duration_ms"] == inv["billed_ms"], (rep, inv["billed_ms"])
' "$DIR/out" "$DIR/invoke.json"
# --- a functions file whose provider block names a remote platform: invoke calls it there ---
# (another process's `platform serve`, reached over the Lambda Invoke API with SigV4)
printf '[default]\naws_access_key_id = AKIDCLI\naws_secret_access_key = cli-secret\n' > "$DIR/creds"
"$EXE" platform serve --port 0 --builtin echo --credentials-file "$DIR/creds" --state-dir "$DIR/remote" \
  > "$DIR/serve.out" 2> "$DIR/serve.err" &
SERVE_PID=$!
for _ in $(seq 1 100); do grep -q '^endpoint: ' "$DIR/serve.out" && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' "$DIR/serve.out")
[ -n "$EP" ] || { kill "$SERVE_PID"; fail "platform serve printed no endpoint"; }
mkdir -p "$DIR/remote-proj"
printf 'provider:\n  name: aws-lambda\n  platform: lambda\n  endpointUrl: %s\nfunctions:\n  echo: {handler: echo}\n' \
  "$EP" > "$DIR/remote-proj/functions.yaml"
(cd "$DIR/remote-proj" && AWS_ACCESS_KEY_ID=AKIDCLI AWS_SECRET_ACCESS_KEY=cli-secret AWS_REGION=us-east-1 \
  "$EXE" invoke echo --payload '{"remote":1}' --state-dir "$DIR/caller" >"$DIR/out" 2>"$DIR/err"); RC=$?
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
expect_rc 0 "invoke through the file's platform: lambda"
[ "$(cat "$DIR/out")" = '{"remote":1}' ] || fail "remote invoke: payload '$(cat "$DIR/out")'"
expect_err "billing from platform_report" "remote invoke billed from Lambda's REPORT line"
grep -q '"host":"lambda"' "$DIR/caller/ledger.jsonl" || fail "remote invoke: no caller-side ledger row with host lambda"

run version --json
expect_rc 0 "version --json"
check "version --json" '
r = json.load(open(sys.argv[1]))
assert r["name"] == "straightline" and r["version"].count(".") == 2, r
' "$DIR/out"
echo "PASS"

#!/bin/bash
# The live dashboards in a real browser (issue 19 §3-4): Debian's headless Chromium, driven by
# scripts/browser-check.cjs (puppeteer-core), opens
#   1. `straightline serve`'s /dashboard (a logreg model trained here, the local tier, loopback,
#      a free port, its token) while `straightline load` runs against it, and
#   2. `straightline platform serve`'s /dashboard (SigV4 on the Invoke API, the dashboard's own
#      token) while `straightline invoke --platform lambda` calls a function on it,
# signing in with `?token=` (exchanged for an HttpOnly session cookie), and checks: no request
# outside the server's origin, no console error, every chart drawn, and the numbers of the
# request, f_t and placement charts (platform: the cost billed so far) change while the load (a
# ramp) runs, and the latency chart (platform: also invocations) gains points (percentiles may
# repeat: on an idle machine every request falls in the first histogram bucket). Without credentials the page and its state are
# 401, and the platform's dashboard token does not open its Invoke API; with --auth none the
# dashboard is open, and --no-dashboard leaves the path to the server. Screenshots go to
# ./dashboard_browser_test/ (under build/). About 30 s.
# Usage: dashboard_browser_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
SRC=$2
OUT=$PWD/dashboard_browser_test
. "$SRC/scripts/cli-test-lib.sh"
skip_without_browser
DIR=$(mktemp -d /tmp/sl-dashboard-browser.XXXXXX)
cd "$DIR" || exit 1
rm -rf "$OUT" && mkdir -p "$OUT"
# code URL [curl args...]: the HTTP status of a GET.
code() { local u=$1; shift; curl -s -o "$DIR/body" -w '%{http_code}' "$@" "$u"; }

# --- 1. serve ---
"$EXE" train --dataset fashion-mnist --model logreg --epochs 1 --limit 2000 --quiet --out "$DIR/model" \
  > /dev/null 2> train.err || fail "train the test model"
"$EXE" serve --model "$DIR/model" --port 0 --state-dir "$DIR/serve" --tiers local > serve.out 2> serve.err &
PIDS+=($!)
for _ in $(seq 1 300); do grep -q '^endpoint: ' serve.out && break; sleep 0.1; done
EP=$(sed -n 's/^endpoint: //p' serve.out)
[ -n "$EP" ] || fail "serve printed no endpoint"
TOKEN_FILE=$(sed -n 's/^token-file: //p' serve.out)
TOKEN=$(cat "$TOKEN_FILE")
[ "$(code "$EP/dashboard")" = 401 ] || fail "serve: /dashboard without a token: not 401"
grep -q '<form method="post" action="/dashboard/login">' body || fail "serve: the 401 page has no sign-in form"
[ "$(code "$EP/dashboard/state")" = 401 ] || fail "serve: /dashboard/state without a token: not 401"
[ "$(code "$EP/dashboard/state" -H 'Authorization: Bearer wrong')" = 401 ] || fail "serve: a wrong token: not 401"
[ "$(code "$EP/dashboard?token=wrong")" = 401 ] || fail "serve: ?token=wrong: not 401"
[ "$(code "$EP/dashboard/state" -H "Authorization: Bearer $TOKEN")" = 200 ] || fail "serve: the state with the token: $(cat body)"
sleep 1.2  # a second sample
[ "$(code "$EP/dashboard/state" -H "Authorization: Bearer $TOKEN")" = 200 ] || fail "serve: the state with the token: $(cat body)"
/usr/bin/python3 - body <<'PY' || fail "serve: the state's charts: $(head -c 600 body)"
import json, sys
s = json.load(open(sys.argv[1]))
charts = {c["id"]: [x["name"] for x in c["series"]] for c in s["charts"]}
assert list(charts) == ["requests", "frequency", "placements", "latency", "queues", "instances", "cost"], charts
# Only the deployed tier (local) is drawn, though the gateway keeps cells for all three kinds.
for cid in ("queues", "instances", "cost"):
    assert charts[cid] and all(n.endswith("local") for n in charts[cid]), (cid, charts[cid])
assert "F" in charts["frequency"] and "f_t" in charts["frequency"], charts["frequency"]
PY

"$EXE" load --target "$EP" --model model --phases 16:20:100 --mix json:2,pixels:1 --json-out load.json \
  --auth-token-file "$TOKEN_FILE" > load.txt 2> load.err &
LOAD=$!
PIDS+=($LOAD)
sleep 1
node "$SRC/scripts/browser-check.cjs" dashboard --url "$EP/dashboard?token=$TOKEN" --out "$OUT" --name serve \
  --charts 7 --changing requests,frequency,placements --growing latency --watch-s 4 > serve-check.txt 2> serve-check.err \
  || fail "serve dashboard in Chromium: $(cat serve-check.txt serve-check.err)"
wait "$LOAD" || fail "load: $(cat load.txt)"
echo "serve: $(head -c 400 serve-check.txt)"
grep -q "$TOKEN" serve.err && fail "serve logged its token"

# --- 2. platform serve ---
printf '[default]\naws_access_key_id = AKIDDASH\naws_secret_access_key = dash-secret\n' > creds
(exec env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$EXE" platform serve --port 0 --state-dir "$DIR/platform" \
  --builtin sleep --credentials-file creds) > platform.out 2> platform.err &
PIDS+=($!)
for _ in $(seq 1 150); do grep -q '^endpoint: ' platform.out && break; sleep 0.1; done
PEP=$(sed -n 's/^endpoint: //p' platform.out)
[ -n "$PEP" ] || fail "platform serve printed no endpoint"
DASH_TOKEN_FILE=$(sed -n 's/^dashboard-token-file: //p' platform.out)
[ -n "$DASH_TOKEN_FILE" ] || fail "platform serve printed no dashboard-token-file line"
[ "$(stat -c %a "$DASH_TOKEN_FILE")" = 600 ] || fail "the dashboard token file is not mode 0600"
DASH_TOKEN=$(cat "$DASH_TOKEN_FILE")
[ "$(code "$PEP/dashboard")" = 401 ] || fail "platform: /dashboard without a token: not 401"
[ "$(code "$PEP/dashboard/state")" = 401 ] || fail "platform: /dashboard/state without a token: not 401"
[ "$(code "$PEP/dashboard/state" -H "Authorization: Bearer $DASH_TOKEN")" = 200 ] || fail "platform: the state with the token"
# The dashboard's token opens nothing else: the Invoke API still wants SigV4.
[ "$(code "$PEP/2015-03-31/functions/" -H "Authorization: Bearer $DASH_TOKEN")" = 403 ] \
  || fail "platform: the dashboard token opened the Invoke API"

(
  export AWS_ACCESS_KEY_ID=AKIDDASH AWS_SECRET_ACCESS_KEY=dash-secret AWS_REGION=us-east-1
  for _ in $(seq 1 400); do  # until stopped below (400: a bound if it is not)
    "$EXE" invoke sleep --platform lambda --endpoint-url "$PEP" --payload '{"ms":30}' > /dev/null 2>> invoke.err || exit 1
  done
) &
INV=$!
PIDS+=($INV)
sleep 1
node "$SRC/scripts/browser-check.cjs" dashboard --url "$PEP/dashboard?token=$DASH_TOKEN" --out "$OUT" --name platform \
  --charts 6 --changing cost --growing invocations,latency --watch-s 4 > platform-check.txt 2> platform-check.err \
  || fail "platform dashboard in Chromium: $(cat platform-check.txt platform-check.err)"
echo "platform: $(head -c 400 platform-check.txt)"
kill "$INV" 2>/dev/null

# --- 3. --auth none: the dashboard is open too; --no-dashboard: the path is the front's again ---
start_platform() {  # start_platform NAME ARGS...: a platform serve on a free port; sets PEP2
  local name=$1; shift
  (exec "$EXE" platform serve --port 0 --state-dir "$DIR/$name" "$@") > "$name.out" 2> "$name.err" &
  PIDS+=($!)
  for _ in $(seq 1 150); do grep -q '^endpoint: ' "$name.out" && break; sleep 0.1; done
  PEP2=$(sed -n 's/^endpoint: //p' "$name.out")
  [ -n "$PEP2" ] || fail "$name: no endpoint"
}
start_platform open --auth none
[ "$(code "$PEP2/dashboard/state")" = 200 ] || fail "--auth none: the dashboard state is not open"
grep -q '^dashboard-token-file:' open.out && fail "--auth none printed a dashboard token file"
start_platform off --auth none --no-dashboard
[ "$(code "$PEP2/dashboard/state")" = 404 ] || fail "--no-dashboard: /dashboard/state is still served"
[ -s "$OUT/serve.png" ] && [ -s "$OUT/platform.png" ] || fail "screenshots missing"
echo PASS

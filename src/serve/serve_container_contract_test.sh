#!/bin/bash
# `straightline serve` meets the Knative / KServe container contract (issue 15):
#   1. $PORT is the port when --port is not given; ready on /v2/health/ready (the server listens
#      only once the models are loaded).
#   2. SIGTERM during a slow in-flight request (a container-tier cold start, min 0 replicas): the
#      request completes with 200, readiness and new requests get 503 (or a refused connection
#      once the server has stopped), and the process exits 0 within the grace period.
#   3. Under runc as uid 65532 with a read-only root filesystem and a tmpfs /tmp (the host's /usr,
#      /lib, /lib64, /etc and the binary bind-mounted read-only, the token from a read-only
#      mounted secret, STRAIGHTLINE_STATE_DIR on /tmp): ready, KServe v2 metadata and infer,
#      401 without the token, and SIGTERM (runc kill) → exit 0. Skipped (77) without root or runc.
# Usage: serve_container_contract_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$(readlink -f "$1")
SRC=$2
DIR=$(mktemp -d /tmp/sl-serve-contract.XXXXXX)
chmod 755 "$DIR"
PIDS=
CID=
cleanup() {
  for p in $PIDS; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  if [ -n "$CID" ]; then
    runc kill "$CID" KILL 2>/dev/null
    runc delete --force "$CID" 2>/dev/null
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$DIR"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
  exit 1
}
PASS=0
ok() { PASS=$((PASS + 1)); echo "ok: $*"; }
code() { curl -s -o "$DIR/body" -D "$DIR/headers" -w '%{http_code}' "$@"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_exit PID SECONDS: returns the exit code; fails when the process outlives the bound.
wait_exit() {
  local pid=$1 bound=$2
  for _ in $(seq 1 $((bound * 20))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && fail "pid $pid still running after ${bound} s"
  wait "$pid"
}
wait_line() {  # file pattern pid
  for _ in $(seq 1 600); do
    grep -q "$2" "$1" && return 0
    kill -0 "$3" 2>/dev/null || fail "process $3 exited before printing '$2'"
    sleep 0.05
  done
  fail "no '$2' in $1 within 30 s"
}
JSON=(-H 'Content-Type: application/json' --data-binary "@$SRC/examples/request.json")

cd "$DIR" || exit 1
"$EXE" train --dataset fashion-mnist --model logreg --epochs 1 --limit 2000 --quiet --out "$DIR/fmnist" \
  >/dev/null 2>"$DIR/train.err" || fail "train the test model"

# --- 1 + 2: $PORT, readiness, drain on SIGTERM -------------------------------------------------
PORT_ENV=$(free_port)
PORT=$PORT_ENV "$EXE" serve --model "$DIR/fmnist" --tiers container --container-mode process \
  --min-containers 0 --max-containers 1 --auth none --state-dir "$DIR/state" --drain-timeout-s 20 \
  >"$DIR/serve.out" 2>"$DIR/serve.err" &
SPID=$!
PIDS="$PIDS $SPID"
wait_line "$DIR/serve.out" '^endpoint: ' $SPID
EP=$(sed -n 's/^endpoint: //p' "$DIR/serve.out")
[ "$EP" = "http://127.0.0.1:$PORT_ENV" ] || fail "endpoint $EP does not use \$PORT=$PORT_ENV"
[ "$(code "$EP/v2/health/ready")" = 200 ] || fail "not ready: $(cat "$DIR/body")"
ok "\$PORT=$PORT_ENV honoured without --port; ready once listening"

# The first request starts a replica (min 0): it is in flight in the gateway for the cold start.
curl -s -o "$DIR/slow.body" -w '%{http_code}' -X POST "$EP/v2/models/fmnist/infer" "${JSON[@]}" >"$DIR/slow.code" &
CURL=$!
for _ in $(seq 1 500); do
  curl -s "$EP/metrics" | grep -q '^sl_serve_tier_queue_depth{tier="container"} 1' && break
  [ -s "$DIR/slow.code" ] && break
  sleep 0.02
done
[ -s "$DIR/slow.code" ] && fail "the cold-start request finished before SIGTERM could be sent ($(cat "$DIR/slow.code"))"
t0=$(date +%s%N)
kill -TERM $SPID
for _ in $(seq 1 100); do
  c=$(code "$EP/v2/health/ready")
  [ "$c" = 503 ] || [ "$c" = 000 ] && break
  sleep 0.01
done
c=$(code "$EP/v2/health/ready")
[ "$c" = 503 ] || [ "$c" = 000 ] || fail "ready after SIGTERM: HTTP $c, want 503 or refused"
C_READY=$c
c=$(code -X POST "$EP/v2/models/fmnist/infer" "${JSON[@]}")
# curl opens a new connection, which a draining server no longer accepts (HttpServer::StopAccepting).
[ "$c" = 000 ] || fail "new connection after SIGTERM: HTTP $c, want a refused connection"
C_NEW=$c
wait $CURL
[ "$(cat "$DIR/slow.code")" = 200 ] && grep -q '"outputs"' "$DIR/slow.body" ||
  fail "in-flight request across SIGTERM: HTTP $(cat "$DIR/slow.code") $(cat "$DIR/slow.body")"
wait_exit $SPID 25
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] || fail "serve exited $rc after SIGTERM, want 0"
grep -q 'draining 1 request' "$DIR/serve.err" || fail "no drain line in the log"
c=$(code "$EP/v2/health/ready")
[ "$c" = 000 ] || fail "still answering after exit: HTTP $c"
ok "SIGTERM: in-flight request 200, ready $C_READY / new request $C_NEW while draining, exit 0 in ${ms} ms (grace 20 s)"

# --- 3: runc, uid 65532, read-only root, tmpfs /tmp -------------------------------------------
if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null; then
  echo "serve_container_contract_test: $PASS checks passed; SKIP runc part (needs root and runc)"
  exit 77
fi
mkdir -p "$DIR/bundle/rootfs" "$DIR/secrets"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/secrets/token"
chmod 644 "$DIR/secrets/token"
chmod -R a+rX "$DIR/fmnist"
PORT_C=$(free_port)
CID="sl-contract-$$"
# The program images ship as straightline: straightline-ml, which runs every command in-process
# (the torch-free front beside $EXE would exec a straightline-ml the container does not have).
/usr/bin/python3 - "$DIR/bundle/config.json" "$(dirname "$EXE")/straightline-ml" "$DIR" "$PORT_C" <<'PY' || fail "write config.json"
import json, os, sys
path, exe, d, port = sys.argv[1:]
binds = [(p, p) for p in ("/usr", "/lib", "/lib64", "/bin", "/etc") if os.path.exists(p)]
binds += [(exe, "/opt/straightline/straightline"), (d + "/fmnist", "/models/fmnist"), (d + "/secrets", "/secrets")]
mounts = [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777", "size=262144k"]},
]
for src, dst in binds:
    mounts.append({"destination": dst, "type": "bind", "source": src, "options": ["rbind", "ro", "nosuid", "nodev"]})
config = {
    "ociVersion": "1.0.2-dev",
    "process": {
        "terminal": False,
        "user": {"uid": 65532, "gid": 65532},
        "args": ["/opt/straightline/straightline", "serve", "--model", "/models/fmnist", "--tiers", "local",
                 "--auth-token-file", "/secrets/token", "--drain-timeout-s", "10"],
        "env": ["PATH=/usr/bin:/bin", f"PORT={port}", "STRAIGHTLINE_STATE_DIR=/tmp/straightline", "HOME=/tmp"],
        "cwd": "/",
        "capabilities": {k: [] for k in ("bounding", "effective", "permitted", "ambient")},
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "serve-contract",
    "mounts": mounts,
    "linux": {
        # The host network namespace: the container's 127.0.0.1:$PORT is ours (as in oci_bundle.h).
        "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
        "maskedPaths": ["/proc/kcore", "/proc/keys", "/sys/firmware"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
}
json.dump(config, open(path, "w"), indent=1)
PY
runc run --bundle "$DIR/bundle" "$CID" >"$DIR/runc.out" 2>"$DIR/runc.err" </dev/null &
RPID=$!
PIDS="$PIDS $RPID"
wait_line "$DIR/runc.out" '^endpoint: ' $RPID
EP="http://127.0.0.1:$PORT_C"
[ "$(sed -n 's/^endpoint: //p' "$DIR/runc.out")" = "$EP" ] || fail "container endpoint: $(cat "$DIR/runc.out")"
[ "$(code "$EP/v2/health/ready")" = 200 ] || fail "container not ready: $(cat "$DIR/body")"
TOKEN=$(cat "$DIR/secrets/token")
[ "$(code "$EP/v2/models/fmnist")" = 401 ] || fail "container: metadata without a token is not 401"
[ "$(code -H "Authorization: Bearer $TOKEN" "$EP/v2/models/fmnist")" = 200 ] || fail "container metadata: $(cat "$DIR/body")"
c=$(code -H "Authorization: Bearer $TOKEN" -X POST "$EP/v2/models/fmnist/infer" "${JSON[@]}")
[ "$c" = 200 ] && grep -q '"outputs"' "$DIR/body" || fail "container infer: HTTP $c $(cat "$DIR/body")"
# What the process is, seen from the host: uid 65532, and its root really is read-only.
SERVE_PID=$(runc state "$CID" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
[ "$(awk '/^Uid:/ {print $2}' /proc/$SERVE_PID/status)" = 65532 ] || fail "container process uid is not 65532"
ROOT_OPTS=$(awk '$5 == "/" {print $6}' /proc/$SERVE_PID/mountinfo | tail -1)
case "$ROOT_OPTS" in ro|ro,*) ;; *) fail "container root is not mounted read-only: '$ROOT_OPTS'";; esac
ok "runc as uid 65532, read-only root, tmpfs /tmp: ready, 401 without the token, v2 metadata and infer 200"

t0=$(date +%s%N)
runc kill "$CID" TERM
wait_exit $RPID 15
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] || fail "container exited $rc after SIGTERM, want 0"
runc delete --force "$CID" 2>/dev/null
CID=
ok "runc kill TERM → the container exits 0 in ${ms} ms"

echo "serve_container_contract_test: $PASS checks passed"

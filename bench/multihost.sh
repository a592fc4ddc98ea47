#!/bin/bash
# What running on several hosts costs (issue 14), in one run on one machine:
#   1. invocation round trip and map throughput through the FunctionHost seam: the embedded
#      platform in the caller's process vs the Lambda Invoke API (SigV4) to `platform serve` on
#      another host (bench/function_host_rtt.cc);
#   2. the same serverless training job on one host (embedded platform, s3rver on loopback) and on
#      three (coordinator on A, `platform serve` on B, s3rver on C), wall time of each.
# Hosts are network namespaces joined by a bridge (scripts/lib/netns-hosts.sh); needs root.
#
#   sudo bench/multihost.sh [BUILD_DIR]      # default build/
# Environment: MH_EPOCHS (1), MH_WORKERS (4), MH_REQUESTS (2000), MH_MAPS (20), MH_MAP_SIZE (64),
# MH_SKIP_TRAIN=1 (round trips only), MH_TRAIN_FLAGS (more `train` flags for both jobs).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(readlink -f "${1:-$ROOT/build}")
SL=$BUILD/straightline
RTT=$BUILD/bench/function_host_rtt
EPOCHS=${MH_EPOCHS:-1}
WORKERS=${MH_WORKERS:-4}
REQUESTS=${MH_REQUESTS:-2000}
MAPS=${MH_MAPS:-20}
MAP_SIZE=${MH_MAP_SIZE:-64}
S3RVER=$ROOT/.deps/node_modules/s3rver/bin/s3rver.js
DATA=/usr/share/datasets/fashion-mnist
source "$ROOT/scripts/lib/netns-hosts.sh"
why=$(netns_hosts_check) || { echo "multihost: cannot make hosts here: $why" >&2; exit 2; }
for f in "$SL" "$RTT" "$S3RVER"; do [ -e "$f" ] || { echo "multihost: $f missing (make build; make deps)" >&2; exit 2; }; done

TAG="bm$(( $$ % 100000 ))"
DIR=$(mktemp -d /tmp/sl-multihost-bench.XXXXXX)
mkdir -p "$DIR/hostA" "$DIR/hostB" "$DIR/hostC"
A=10.77.0.1 B=10.77.0.2 C=10.77.0.3
trap 'netns_hosts_down "$TAG"; rm -rf "$DIR"' EXIT
netns_hosts_up "$TAG" 3

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' > "$DIR/hostB/credentials"
wait_port() {
  for _ in $(seq 1 300); do  # 30 s: a server starting on a loaded 2-core machine
    netns_run "$TAG" "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "multihost: nothing listens on $2:$3 in host $1" >&2
  return 1
}
netns_run "$TAG" 2 "$SL" platform serve --host "$B" --port 9000 --credentials-file "$DIR/hostB/credentials" \
  --state-dir "$DIR/hostB/state" > "$DIR/platform.log" 2>&1 &
wait_port 2 "$B" 9000

echo "== 1. invocation round trip (echo, ${REQUESTS} sequential calls) and map throughput (${MAPS} maps of ${MAP_SIZE})"
echo "   $(date -u +%FT%TZ), $(nproc) cores"
netns_run "$TAG" 1 "$RTT" --host embedded --state-dir "$DIR/hostA/rtt" --requests "$REQUESTS" --maps "$MAPS" \
  --map-size "$MAP_SIZE" 2> "$DIR/rtt-embedded.err" | tail -2 | sed 's/^/   /'
netns_run "$TAG" 1 "$RTT" --host lambda --endpoint-url "http://$B:9000" --state-dir "$DIR/hostA/rtt-remote" \
  --requests "$REQUESTS" --maps "$MAPS" --map-size "$MAP_SIZE" 2> "$DIR/rtt-lambda.err" | tail -1 | sed 's/^/   /'
[ "${MH_SKIP_TRAIN:-0}" = 1 ] && exit 0

TRAIN_FLAGS=(--dataset fashion-mnist --data-dir "$DATA" --model cnn --workers "$WORKERS" --epochs "$EPOCHS"
             --rounds-per-epoch 32 --lr 0.003 --server-momentum 0.5 --seed 1 --quiet --json ${MH_TRAIN_FLAGS:-})
accuracy_and_wall() {  # report.json, seconds
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["total"]
print(f"test accuracy {r['test_accuracy']:.4f}, {sys.argv[2]} s wall, T_parallel {t['t_parallel_s']:.1f} s, "
      f"{t['invocations']} invocations ({t['failed']} failed), billed ${t['cost_usd']:.5f}")
PY
}

echo "== 2a. one host: coordinator, embedded platform and s3rver all in host A"
netns_run "$TAG" 1 node "$S3RVER" -d "$DIR/hostA/s3" -a 127.0.0.1 -p 4568 -s --configure-bucket sl > /dev/null 2>&1 &
wait_port 1 127.0.0.1 4568
t0=$(date +%s.%N)
(cd "$DIR/hostA" && AWS_ENDPOINT_URL=http://127.0.0.1:4568 netns_run "$TAG" 1 "$SL" train "${TRAIN_FLAGS[@]}" \
   --store s3://sl/one --out "$DIR/hostA/m1" > "$DIR/one.json" 2> "$DIR/one.err")
one=$(echo "$(date +%s.%N) - $t0" | bc)
echo "   $(accuracy_and_wall "$DIR/one.json" "$one")"

echo "== 2b. three hosts: coordinator on A, platform serve (SigV4) on B, s3rver on C"
netns_run "$TAG" 3 node "$S3RVER" -d "$DIR/hostC/s3" -a "$C" -p 4568 -s --configure-bucket sl > /dev/null 2>&1 &
wait_port 3 "$C" 4568
t0=$(date +%s.%N)
(cd "$DIR/hostA" && AWS_ENDPOINT_URL="http://$C:4568" netns_run "$TAG" 1 "$SL" train "${TRAIN_FLAGS[@]}" \
   --platform lambda --endpoint-url "http://$B:9000" --store s3://sl/three --out "$DIR/hostA/m3" > "$DIR/three.json" \
   2> "$DIR/three.err")
three=$(echo "$(date +%s.%N) - $t0" | bc)
echo "   $(accuracy_and_wall "$DIR/three.json" "$three")"
echo "   three hosts / one host: $(echo "scale=3; $three / $one" | bc)x"

#!/usr/bin/env bash
# Object store benchmark: put/get throughput and per-op latency for 1 KiB, 1 MiB and 64 MiB
# objects on both backends, with their peers measured in the same run on the same bytes:
#   file backend  vs  plain `cp` (source file -> a directory tree, and back); the file backend
#                     runs twice per pass: recording crc32c (its default) and sha256
#   s3 backend    vs  the AWS CLI (/usr/bin/aws s3 cp) on the same s3rver
#
#   bench/store_bench.sh [BUILD_DIR]          (default BUILD_DIR: build)
#   SIZES=1024,1048576 OPS=100,20 bench/store_bench.sh build   (smaller run)
#
# Starts s3rver on 127.0.0.1 and a free port in a temp dir and stops it at the end.
# Peers (bench/store_peers.py): `cp` runs once per object (one process per copy);
# the AWS CLI copies the N objects of a size with one `aws s3 cp --recursive` (its own 10-way
# concurrency, one Python start-up), and its per-op latency is a single-object `aws s3 cp`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
BIN="$BUILD/bench/store_throughput"
AWS=/usr/bin/aws   # the Debian awscli; a different `aws` may be first on PATH
SIZES=${SIZES:-1024,1048576,67108864}
OPS=${OPS:-200,50,4}
THREADS=${THREADS:-8}
[[ -x "$BIN" ]] || { echo "store_bench: $BIN not built (cmake --build $BUILD --target store_throughput)" >&2; exit 2; }
[[ -x "$ROOT/.deps/node_modules/.bin/s3rver" ]] || "$ROOT/scripts/install-deps.sh"

WORK=$(mktemp -d /tmp/sl-store-bench-XXXXXX)
S3PID=""
cleanup() {
  if [[ -n "$S3PID" ]]; then kill "$S3PID" 2>/dev/null || true; wait "$S3PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# s3rver's ListObjectsV2 continuation tokens use DES: needs OpenSSL's legacy provider on Node >= 17.
NODE_OPTIONS=--openssl-legacy-provider "$ROOT/.deps/node_modules/.bin/s3rver" \
  --directory "$WORK/s3rver" --address 127.0.0.1 --port "$PORT" --silent --configure-bucket bench \
  >"$WORK/s3rver.log" 2>&1 &
S3PID=$!
for _ in $(seq 1 300); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; then break; fi
  sleep 0.1
done

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_PAGER=""
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
printf '[default]\nregion = us-east-1\n' >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
unset AWS_PROFILE

echo "# store benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# sizes=$SIZES ops=$OPS; s3rver at $AWS_ENDPOINT_URL; $($AWS --version 2>&1)"
echo
# The file backend and cp run in alternation, twice: on these VMs the cost of a big copy depends
# on whether the kernel hands out recycled or never-touched pages, so the first pass mostly
# measures the VM; both passes are printed.
# Each pass runs the file backend with its default checksum (crc32c), then recording SHA-256
# (file_checksum=sha256, the only checksum before 2026-11-23), then cp.
for pass in 1 2; do
  echo "## pass $pass: straightline file backend (1 thread; crc32c, then sha256), then cp (one process per object)"
  "$BIN" --uri "file://$WORK/store" --sizes "$SIZES" --ops "$OPS" --workdir "$WORK" --label file
  "$BIN" --uri "file://$WORK/store-sha" --sizes "$SIZES" --ops "$OPS" --workdir "$WORK" --label file-sha --file-checksum sha256
  python3 "$ROOT/bench/store_peers.py" cp "$WORK" "$SIZES" "$OPS"
  echo
done
echo "## straightline s3 backend (1 thread)"
"$BIN" --uri "s3://bench/sl1" --sizes "$SIZES" --ops "$OPS" --workdir "$WORK" --label s3
echo
echo "## straightline s3 backend ($THREADS threads)"
"$BIN" --uri "s3://bench/sl$THREADS" --sizes "$SIZES" --ops "$OPS" --threads "$THREADS" --workdir "$WORK" --label s3
echo
echo "## peer: aws s3 cp (N objects per size in one --recursive invocation; latency = single-object cp)"
python3 "$ROOT/bench/store_peers.py" aws "$WORK" "$SIZES" "$OPS"

#!/usr/bin/env bash
# az:// benchmark: put/get throughput and per-op latency of 1 MiB and 64 MiB objects with
# straightline's az:// backend (bench/store_throughput: PutFile / GetToFile) and, in the same run
# on the same Azurite, the official Azure Blob SDK for JavaScript (bench/azure_sdk_peer.js:
# uploadFile / downloadToFile with its defaults), 1 and THREADS at a time.
#
#   bench/azure_store_bench.sh [BUILD_DIR]     (default BUILD_DIR: build)
#   SIZES=1048576 OPS=20 bench/azure_store_bench.sh build   (smaller run)
#
# Starts Azurite (blob service, 127.0.0.1, a free port, its workspace in a temp dir, telemetry
# off) and stops it at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
BIN="$BUILD/bench/store_throughput"
SIZES=${SIZES:-1048576,67108864}
OPS=${OPS:-50,4}
THREADS=${THREADS:-8}
[[ -x "$BIN" ]] || { echo "azure_store_bench: $BIN not built (cmake --build $BUILD --target store_throughput)" >&2; exit 2; }
[[ -x "$ROOT/.deps/node_modules/.bin/azurite-blob" ]] || "$ROOT/scripts/install-deps.sh"

WORK=$(mktemp -d /tmp/sl-az-bench-XXXXXX)
AZPID=""
cleanup() {
  if [[ -n "$AZPID" ]]; then kill "$AZPID" 2>/dev/null || true; wait "$AZPID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ROOT/.deps/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$PORT" --location "$WORK/azurite" \
  --silent --skipApiVersionCheck --disableTelemetry >"$WORK/azurite.log" 2>&1 &
AZPID=$!
for _ in $(seq 1 300); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; then break; fi
  sleep 0.1
done
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$PORT/devstoreaccount1;"
MODULES="$ROOT/.deps/node_modules"
node "$ROOT/src/store/testing/azure_sdk_interop.js" "$MODULES" mkcontainer bench

echo "# az:// benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# sizes=$SIZES ops=$OPS; azurite $(node -p "require('$MODULES/azurite/package.json').version") at 127.0.0.1:$PORT;" \
  "@azure/storage-blob $(node -p "require('$MODULES/@azure/storage-blob/package.json').version"); node $(node --version)"
for threads in 1 "$THREADS"; do
  echo
  echo "## $threads at a time: straightline az://, then the SDK"
  "$BIN" --uri "az://devstoreaccount1/bench/sl$threads" --sizes "$SIZES" --ops "$OPS" --threads "$threads" \
    --workdir "$WORK" --label az
  node "$ROOT/bench/azure_sdk_peer.js" "$MODULES" "$WORK" bench "$SIZES" "$OPS" "$threads" | tail -n +2
done

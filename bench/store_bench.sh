#!/usr/bin/env bash
# Object store benchmark: put/get throughput and per-op latency for 1 KiB, 1 MiB and 64 MiB
# objects on both backends, with their peers measured in the same run on the same bytes:
#   file backend  vs  plain `cp` (source file -> a directory tree, and back)
#   s3 backend    vs  the AWS CLI (/usr/bin/aws s3 cp) on the same s3rver
#
#   bench/store_bench.sh [BUILD_DIR]          (default BUILD_DIR: build)
#   SIZES=1024,1048576 OPS=100,20 bench/store_bench.sh build   (smaller run)
#
# Starts s3rver on 127.0.0.1 and a free port in a temp dir and stops it at the end.
# Peers: `cp` runs once per object (one process per copy, as a user or script would);
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
echo "## straightline file backend (1 thread)"
"$BIN" --uri "file://$WORK/store" --sizes "$SIZES" --ops "$OPS" --workdir "$WORK" --label file
echo
echo "## straightline s3 backend (1 thread)"
"$BIN" --uri "s3://bench/sl1" --sizes "$SIZES" --ops "$OPS" --workdir "$WORK" --label s3
echo
echo "## straightline s3 backend ($THREADS threads)"
"$BIN" --uri "s3://bench/sl$THREADS" --sizes "$SIZES" --ops "$OPS" --threads "$THREADS" --workdir "$WORK" --label s3
echo
echo "## peers: cp (one process per object) and aws s3 cp"
python3 - "$WORK" "$SIZES" "$OPS" "$AWS" <<'PY'
import os, random, shutil, subprocess, sys, time
work, sizes, ops, aws = sys.argv[1], [int(x) for x in sys.argv[2].split(",")], [int(x) for x in sys.argv[3].split(",")], sys.argv[4]
ep = os.environ["AWS_ENDPOINT_URL"]

def name(n):
    if n >= 1 << 20 and n % (1 << 20) == 0: return f"{n >> 20} MiB"
    if n >= 1024 and n % 1024 == 0: return f"{n >> 10} KiB"
    return f"{n} B"

def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]

def row(peer, op, size, n, wall, lat):
    print(f"{peer:<10} {op:<4} {name(size):>8} {n:>5} {'':>4} {size * n / wall / 1e6:>10.1f} "
          f"{pct(lat, .5) * 1e3:>10.3f} {pct(lat, .95) * 1e3:>10.3f} {max(lat) * 1e3:>10.3f}", flush=True)

def run(cmd):
    t0 = time.perf_counter(); subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL); return time.perf_counter() - t0

print(f"{'peer':<10} {'op':<4} {'size':>8} {'ops':>5} {'':>4} {'MB/s':>10} {'p50 ms':>10} {'p95 ms':>10} {'max ms':>10}")
for size, n in zip(sizes, ops):
    src = os.path.join(work, f"peer-src-{size}")
    with open(src, "wb") as f: f.write(random.randbytes(size))
    # cp: put = source -> store-like tree, get = back out
    tree = os.path.join(work, "cp-store", str(size)); os.makedirs(tree, exist_ok=True)
    t0 = time.perf_counter(); lat = [run(["cp", src, os.path.join(tree, f"{i:05}")]) for i in range(n)]
    row("cp", "put", size, n, time.perf_counter() - t0, lat)
    t0 = time.perf_counter(); lat = [run(["cp", os.path.join(tree, f"{i:05}"), os.path.join(work, f"cp-dst-{i % 64}")]) for i in range(n)]
    row("cp", "get", size, n, time.perf_counter() - t0, lat)
    shutil.rmtree(tree)
    # aws s3 cp: N objects in one invocation (--recursive), latency from single-object copies
    d = os.path.join(work, f"aws-up-{size}"); os.makedirs(d, exist_ok=True)
    for i in range(n): os.link(src, os.path.join(d, f"{i:05}"))
    wall = run([aws, "--endpoint-url", ep, "s3", "cp", "--recursive", "--quiet", d, f"s3://bench/awscli/{size}/"])
    lat = [run([aws, "--endpoint-url", ep, "s3", "cp", "--quiet", src, f"s3://bench/awscli-one/{size}/{i}"]) for i in range(3)]
    row("aws-cli", "put", size, n, wall, lat)
    d2 = os.path.join(work, f"aws-down-{size}")
    wall = run([aws, "--endpoint-url", ep, "s3", "cp", "--recursive", "--quiet", f"s3://bench/awscli/{size}/", d2])
    lat = [run([aws, "--endpoint-url", ep, "s3", "cp", "--quiet", f"s3://bench/awscli-one/{size}/{i}", os.path.join(work, "aws-dst")]) for i in range(3)]
    row("aws-cli", "get", size, n, wall, lat)
    for p in (d, d2): shutil.rmtree(p)
    subprocess.run([aws, "--endpoint-url", ep, "s3", "rm", "--recursive", "--quiet", "s3://bench/awscli/"], check=True)
PY

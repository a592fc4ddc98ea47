# Shared by the shell tests that drive `straightline` and the store emulators (sourced, not run):
#   DIR=$(mktemp -d /tmp/sl-NAME.XXXXXX)   # the scratch folder this test owns
#   . "$SRC/scripts/cli-test-lib.sh"
# It gives:
#   PIDS                 background processes the test started (PIDS+=($!)); at exit each gets
#                        SIGTERM and is reaped, after the test's own cleanup_extra (if defined),
#                        then $DIR is removed
#   fail MESSAGE         prints FAIL: MESSAGE and the tail of every $DIR/*.err, exits 1
#   free_port            a free TCP port on 127.0.0.1
#   wait_port PORT       up to 15 s for 127.0.0.1:PORT to accept; 1 when it never does
#   start_s3rver BUCKET  s3rver (from .deps, scripts/install-deps.sh) on a free loopback port with
#                        BUCKET, its data in $DIR/s3, log $DIR/s3rver.err; sets S3PORT and exports
#                        the AWS_* variables that point the S3 backend and the AWS CLI at it
#   start_azurite        Azurite's blob service likewise ($DIR/azurite, $DIR/azurite.err); sets
#                        AZPORT and exports AZURE_STORAGE_CONNECTION_STRING (the emulator's
#                        documented well-known account), unsetting the other AZURE_STORAGE_* names
#   skip_without_browser exits 77 (CTest: skipped), saying so, unless Debian's chromium and
#                        puppeteer-core (.deps) are there for scripts/browser-check.cjs
# Only loopback addresses are used. Needs $SRC (the source tree) for the emulators' paths.
PIDS=()
_sl_cleanup() {
  declare -F cleanup_extra >/dev/null && cleanup_extra
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  [ -n "${DIR:-}" ] && rm -rf "$DIR"
}
trap _sl_cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "${DIR:-/nonexistent}"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
  exit 1
}
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 150); do
    bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
start_s3rver() {
  S3PORT=$(free_port)
  NODE_OPTIONS=--openssl-legacy-provider node "$SRC/.deps/node_modules/s3rver/bin/s3rver.js" -d "$DIR/s3" \
    -a 127.0.0.1 -p "$S3PORT" -s --configure-bucket "$1" > "$DIR/s3rver.err" 2>&1 &
  PIDS+=($!)
  wait_port "$S3PORT" || fail "s3rver did not listen on 127.0.0.1:$S3PORT"
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  export AWS_ENDPOINT_URL=http://127.0.0.1:$S3PORT AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
}
start_azurite() {
  AZPORT=$(free_port)
  "$SRC/.deps/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZPORT" --location "$DIR/azurite" \
    --silent --skipApiVersionCheck --disableTelemetry > "$DIR/azurite.err" 2>&1 &
  PIDS+=($!)
  wait_port "$AZPORT" || fail "azurite did not listen on 127.0.0.1:$AZPORT"
  # Azurite's documented development account and key (not a secret).
  local key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
  export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$AZPORT/devstoreaccount1;"
  unset AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_BLOB_ENDPOINT
}
skip_without_browser() {
  if ! command -v chromium > /dev/null 2>&1 || [ ! -f "$SRC/.deps/node_modules/puppeteer-core/package.json" ]; then
    echo "SKIP: chromium or puppeteer-core missing (scripts/install-deps.sh installs both)"
    exit 77
  fi
}

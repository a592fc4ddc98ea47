#!/usr/bin/env bash
# Builds the libFuzzer target of the KServe v2 codec (src/serve/v2/v2_fuzz.cc) with clang++
# (-fsanitize=fuzzer,address,undefined) and runs it for N seconds (default 20) on a fresh copy of
# the seed corpus. Exits non-zero on any crash, leak, UB, timeout or broken invariant, and says
# where libFuzzer wrote the input that triggered it.
#
#   scripts/fuzz-v2.sh [seconds]        BUILD=<dir> (default build): output in <dir>/fuzz/
#   FUZZ_ARGS="-jobs=2" scripts/fuzz-v2.sh 600   extra libFuzzer flags
#   scripts/fuzz-v2.sh --repro <file>   runs the fuzzer on one input (reproduce a crash)
#   scripts/fuzz-v2.sh --coverage [dir] line/branch coverage of v2_codec.cc by a corpus (default:
#                                       the last run's, <dir>/fuzz/corpus), with llvm-cov
#
# The main build is g++; this script compiles only what the target needs (v2_fuzz.cc,
# v2_codec.cc, common/status.cc) and recompiles an object only when a file it depends on (the
# compiler's own dependency list) or this script is newer. Without clang++ it prints SKIP and
# exits 0. Registered as the CTest test serve_v2_fuzz (src/serve/v2/CMakeLists.txt).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRIPT="$ROOT/scripts/fuzz-v2.sh"
BUILD="${BUILD:-build}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
OUT="$BUILD/fuzz"
CXX="${FUZZ_CXX:-clang++}"

REPRO=""
COVERAGE=""
SECONDS_TO_RUN=20
if [[ "${1:-}" == "--repro" ]]; then
  REPRO="${2:?usage: fuzz-v2.sh --repro <file>}"
elif [[ "${1:-}" == "--coverage" ]]; then
  COVERAGE="${2:-$OUT/corpus}"
elif [[ -n "${1:-}" ]]; then
  [[ "$1" =~ ^[0-9]+$ ]] || {
    echo "usage: fuzz-v2.sh [seconds] | --repro <file> | --coverage [corpus]" >&2; exit 2; }
  SECONDS_TO_RUN="$1"
fi

if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "SKIP: $CXX not found (install Debian package clang: scripts/install-deps.sh)"
  exit 0
fi

if [[ -n "$COVERAGE" ]]; then
  # A separate, uninstrumented-by-sanitizers build with clang's source-based coverage.
  COV="$OUT/cov"
  mkdir -p "$COV"
  SOURCES_ABS=()
  for src in src/serve/v2/v2_fuzz.cc src/serve/v2/v2_codec.cc src/serve/v2/json_reader.cc \
             src/serve/api/tier.cc src/common/status.cc src/ml/image/jpeg_codec.cc src/ml/image/decode_image.cc src/ml/image/resize.cc; do
    SOURCES_ABS+=("$ROOT/$src")
  done
  "$CXX" -std=c++20 -O1 -I"$ROOT/src" -fprofile-instr-generate -fcoverage-mapping \
    -fsanitize=fuzzer "${SOURCES_ABS[@]}" -lfmt -lpng -ljpeg -o "$COV/v2_fuzz_cov"
  rm -f "$COV"/*.profraw
  LLVM_PROFILE_FILE="$COV/run.profraw" "$COV/v2_fuzz_cov" -runs=0 "$COVERAGE" 2>"$COV/run.log" ||
    { tail -20 "$COV/run.log"; exit 1; }
  grep -E '^#[0-9]+[[:space:]]+INITED' "$COV/run.log" || true
  llvm-profdata merge -sparse "$COV/run.profraw" -o "$COV/v2.profdata"
  llvm-cov report "$COV/v2_fuzz_cov" -instr-profile="$COV/v2.profdata" \
    "$ROOT/src/serve/v2/v2_codec.cc"
  echo "fuzz-v2: uncovered lines: llvm-cov show $COV/v2_fuzz_cov -instr-profile=$COV/v2.profdata" \
    "$ROOT/src/serve/v2/v2_codec.cc"
  exit 0
fi

mkdir -p "$OUT/obj"
CCACHE=""
if command -v ccache >/dev/null 2>&1; then CCACHE=ccache; fi
# shellcheck disable=SC2054  # commas inside one flag
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
CXXFLAGS=(-std=c++20 -gline-tables-only -O1 -Wall -Wextra -Werror -I"$ROOT/src" "${SAN[@]}"
          -fsanitize=fuzzer-no-link)
SOURCES=(src/serve/v2/v2_fuzz.cc src/serve/v2/v2_codec.cc src/serve/v2/json_reader.cc
         src/serve/api/tier.cc src/common/status.cc
         src/ml/image/jpeg_codec.cc src/ml/image/decode_image.cc src/ml/image/resize.cc)

# True when $1 (an object) is missing or older than this script or any file of its .d list.
stale() {
  local obj="$1" dep="$1.d"
  [[ -f "$obj" && -f "$dep" ]] || return 0
  [[ "$SCRIPT" -nt "$obj" ]] && return 0
  local f
  # The .d file: "obj: src hdr hdr \" lines; every word after the colon is a dependency.
  # shellcheck disable=SC2013  # words, not lines: several dependencies per line
  for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
    [[ -e "$f" && ! "$f" -nt "$obj" ]] || return 0
  done
  return 1
}

objects=()
pids=()
relinked=0
for src in "${SOURCES[@]}"; do
  obj="$OUT/obj/$(basename "${src%.cc}").o"
  objects+=("$obj")
  if stale "$obj"; then
    echo "fuzz-v2: compiling $src"
    $CCACHE "$CXX" "${CXXFLAGS[@]}" -MMD -MF "$obj.d" -c "$ROOT/$src" -o "$obj" &
    pids+=($!)
    relinked=1
  fi
done
for p in "${pids[@]}"; do wait "$p" || { echo "fuzz-v2: compile failed" >&2; exit 1; }; done
BIN="$OUT/v2_fuzz"
if [[ $relinked == 1 || ! -x "$BIN" ]]; then
  echo "fuzz-v2: linking $BIN"
  "$CXX" "${SAN[@]}" -fsanitize=fuzzer "${objects[@]}" -lfmt -lpng -ljpeg -o "$BIN"
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if [[ -n "$REPRO" ]]; then
  exec "$BIN" "$REPRO"
fi

CORPUS="$OUT/corpus"
ARTIFACTS="$OUT/artifacts"
rm -rf "$CORPUS"
mkdir -p "$CORPUS" "$ARTIFACTS"
cp "$ROOT"/src/serve/v2/fuzz_corpus/* "$CORPUS/"
stamp="$OUT/.run-start"
: > "$stamp"
echo "fuzz-v2: running $BIN for ${SECONDS_TO_RUN}s on a copy of src/serve/v2/fuzz_corpus ($CORPUS)"
set +e
# shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
"$BIN" "$CORPUS" -dict="$ROOT/src/serve/v2/v2_fuzz.dict" -max_total_time="$SECONDS_TO_RUN" \
  -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$ARTIFACTS/" ${FUZZ_ARGS:-} 2>"$OUT/fuzz.log"
rc=$?
set -e
grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|INFO: Seed|stat::number_of_executed_units|stat::peak_rss_mb|INFO: Running with)' \
  "$OUT/fuzz.log" || true
if [[ $rc -ne 0 ]]; then
  tail -n 60 "$OUT/fuzz.log"
  echo "fuzz-v2: FAILED (libFuzzer exit $rc); full log: $OUT/fuzz.log"
  found=$(find "$ARTIFACTS" -type f -newer "$stamp" 2>/dev/null || true)
  if [[ -n "$found" ]]; then
    for f in $found; do
      echo "fuzz-v2: crash input written to $f (reproduce: scripts/fuzz-v2.sh --repro $f)"
    done
  else
    echo "fuzz-v2: no crash input was written (see the log)"
  fi
  exit 1
fi
echo "fuzz-v2: OK, no crash in ${SECONDS_TO_RUN}s"

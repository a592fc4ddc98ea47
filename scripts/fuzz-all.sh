#!/usr/bin/env bash
# Builds the libFuzzer targets of every parser that takes outside input (issue 16) with clang++
# (-fsanitize=fuzzer,address,undefined) and runs each for N seconds (default 20) on a fresh copy
# of its seed corpus. Exits non-zero when any target crashes, leaks, hits UB, times out or breaks
# an invariant of its parser, and says where libFuzzer wrote the input that did it.
#
#   scripts/fuzz-all.sh [seconds] [target...]   BUILD=<dir> (default build): output in <dir>/fuzz/
#   scripts/fuzz-all.sh --list                  the targets, their fuzz files and seed corpora
#   scripts/fuzz-all.sh --build [target...]     compile and link only
#   scripts/fuzz-all.sh --repro TARGET FILE     runs TARGET on one input (reproduce a crash)
#   scripts/fuzz-all.sh --coverage TARGET [dir] line/branch coverage of the target's parser files
#                                               by a corpus (default: its last run's), llvm-cov
#   FUZZ_ARGS="-jobs=2" ...                     extra libFuzzer flags for the runs
#   FUZZ_COVERAGE=1 scripts/fuzz-all.sh 60      after each run, the coverage of its final corpus
#                                               (a second, coverage-instrumented build)
#   FUZZ_OPT=-O0 ...                            optimization (default -O1); other than -O1, the
#                                               objects, binaries and runs go to <dir>/fuzz/O0/ etc.
#                                               (CTest uses -O0: 36 % less compile time)
#   FUZZ_JOBS=1 ...                             compilers at a time (default 2)
#
# Each target is a *_fuzz.cc next to its parser; seeds are in fuzz/corpus/<target>/ (the v2
# codec's in src/serve/v2/fuzz_corpus/). The main build is g++; this script compiles only what
# each target needs and recompiles an object only when a file it depends on (the compiler's own
# dependency list) or this script is newer; objects are shared between targets and written
# atomically, so several runs (ctest -j) may build at once. Without clang++ it prints SKIP and
# exits 0. Registered in CTest as fuzz_<target> (fuzz/CMakeLists.txt) and serve_v2_fuzz
# (src/serve/v2/CMakeLists.txt, through scripts/fuzz-v2.sh), label "fuzz". Results of longer
# runs: docs/fuzzing.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRIPT="$ROOT/scripts/fuzz-all.sh"
BUILD="${BUILD:-build}"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
OUT="$BUILD/fuzz"
OPT="${FUZZ_OPT:--O1}"
[[ "$OPT" =~ ^-O[0-3gs]$ ]] || { echo "fuzz-all: FUZZ_OPT must be -O0..-O3, -Og or -Os" >&2; exit 2; }
[[ "$OPT" == -O1 ]] || OUT="$OUT/${OPT#-}"
JOBS="${FUZZ_JOBS:-2}"
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz-all: FUZZ_JOBS must be a positive number" >&2; exit 2; }
CXX="${FUZZ_CXX:-clang++}"
LLVM_SUFFIX=""
[[ "$CXX" =~ clang\+\+(-[0-9]+)$ ]] && LLVM_SUFFIX="${BASH_REMATCH[1]}"

ALL_TARGETS=(v2 http_request lambda_invoke runtime_api_server runtime_api_client s3_xml
             functions_yaml provider_profile image_io jpeg idx cifar10 framed_blob shard_codec
             update_codec azure_trace)

# Sets, for target $1: FUZZ (its _fuzz.cc), SOURCES (what it links, repository paths), LIBS,
# SEEDS (seed corpus directory), DICT (dictionary or ""), MAXLEN, COVER (the parser files whose
# coverage --coverage reports), BIN_NAME.
define_target() {
  local t="$1"
  SEEDS="fuzz/corpus/$t"
  DICT=""
  MAXLEN=4096
  LIBS=(-lfmt)
  BIN_NAME="${t}_fuzz"
  case "$t" in
    v2)
      FUZZ=src/serve/v2/v2_fuzz.cc
      SOURCES=(src/serve/v2/v2_codec.cc src/serve/v2/json_reader.cc src/serve/api/tier.cc src/common/status.cc
               src/ml/image/jpeg_codec.cc src/ml/image/decode_image.cc src/ml/image/resize.cc)
      LIBS=(-lfmt -lpng -ljpeg)
      SEEDS=src/serve/v2/fuzz_corpus
      DICT=src/serve/v2/v2_fuzz.dict
      MAXLEN=16384
      COVER=(src/serve/v2/v2_codec.cc src/serve/v2/json_reader.cc)
      BIN_NAME=v2_fuzz ;;
    http_request)
      FUZZ=src/common/http_request_fuzz.cc
      SOURCES=(src/common/http_server.cc src/common/http_message.cc src/common/log.cc
               src/common/clock.cc src/common/status.cc)
      LIBS=(-lfmt -lpthread)
      DICT=fuzz/http.dict
      COVER=(src/common/http_server.cc src/common/http_message.cc) ;;
    lambda_invoke)
      FUZZ=src/faas/front/lambda_front_fuzz.cc
      SOURCES=(src/faas/front/lambda_front.cc src/faas/front/lambda_errors.cc
               src/faas/front/event_queue.cc src/faas/front/function_configuration.cc
               src/faas/front/create_function.cc src/faas/front/future_waiter.cc
               src/faas/front/scripted_invoker.cc src/faas/invoker.cc src/faas/function_host.cc
               src/faas/economics/provider_profile.cc src/common/file_util.cc
               src/common/http_server.cc src/common/http_message.cc src/common/metrics.cc
               src/common/log.cc src/common/status.cc src/common/clock.cc src/common/base64.cc
               src/common/sigv4_verifier.cc src/common/sigv4.cc src/common/sha256.cc)
      LIBS=(-lfmt -lcrypto -lyaml-cpp -lpthread)
      DICT=fuzz/lambda_invoke.dict
      COVER=(src/faas/front/lambda_front.cc src/faas/front/create_function.cc
             src/faas/front/lambda_errors.cc src/common/sigv4_verifier.cc) ;;
    runtime_api_server)
      FUZZ=src/faas/runtime_api_server_fuzz.cc
      SOURCES=(src/faas/runtime_api_server.cc src/common/http_server.cc
               src/common/http_message.cc src/common/log.cc src/common/status.cc
               src/common/clock.cc)
      LIBS=(-lfmt -lpthread)
      DICT=fuzz/http.dict
      COVER=(src/faas/runtime_api_server.cc src/common/http_server.cc) ;;
    runtime_api_client)
      FUZZ=src/runtime/runtime_api_client_fuzz.cc
      SOURCES=(src/runtime/runtime_api_client.cc src/common/http_connection.cc src/common/status.cc)
      LIBS=(-lfmt -lpthread)
      DICT=fuzz/http.dict
      COVER=(src/runtime/runtime_api_client.cc src/common/http_connection.cc) ;;
    s3_xml)
      FUZZ=src/store/s3_xml_fuzz.cc
      SOURCES=(src/store/s3_xml.cc src/common/status.cc src/common/clock.cc)
      DICT=fuzz/s3_xml.dict
      COVER=(src/store/s3_xml.cc) ;;
    functions_yaml)
      FUZZ=src/faas/functions_file_fuzz.cc
      SOURCES=(src/faas/functions_file.cc src/faas/function_spec.cc
               src/faas/economics/provider_profile.cc src/common/file_util.cc
               src/common/status.cc)
      LIBS=(-lfmt -lyaml-cpp)
      DICT=fuzz/yaml.dict
      COVER=(src/faas/functions_file.cc src/faas/function_spec.cc) ;;
    provider_profile)
      FUZZ=src/faas/economics/provider_profile_fuzz.cc
      SOURCES=(src/faas/economics/provider_profile.cc src/common/file_util.cc
               src/common/status.cc)
      LIBS=(-lfmt -lyaml-cpp)
      DICT=fuzz/yaml.dict
      COVER=(src/faas/economics/provider_profile.cc) ;;
    image_io)
      FUZZ=src/ml/image_io_fuzz.cc
      SOURCES=(src/ml/image_io.cc src/common/file_util.cc src/common/status.cc
               src/ml/image/jpeg_codec.cc src/ml/image/decode_image.cc src/ml/image/resize.cc)
      LIBS=(-lfmt -lpng -ljpeg)
      COVER=(src/ml/image_io.cc) ;;
    jpeg)
      FUZZ=src/ml/image/jpeg_fuzz.cc
      SOURCES=(src/ml/image/jpeg_codec.cc src/ml/image/decode_image.cc src/ml/image/resize.cc src/common/status.cc)
      LIBS=(-lfmt -lpng -ljpeg)
      MAXLEN=16384
      COVER=(src/ml/image/jpeg_codec.cc src/ml/image/decode_image.cc src/ml/image/resize.cc) ;;
    idx)
      FUZZ=src/ml/data/idx_fuzz.cc
      SOURCES=(src/ml/data/idx.cc src/ml/data/compressed_file.cc src/ml/data/dataset.cc
               src/common/file_util.cc src/common/status.cc src/common/big_buffer_allocator.cc)
      LIBS=(-lfmt -lz)
      COVER=(src/ml/data/idx.cc src/ml/data/compressed_file.cc) ;;
    cifar10)
      FUZZ=src/ml/data/cifar10_fuzz.cc
      SOURCES=(src/ml/data/cifar10.cc src/ml/data/compressed_file.cc src/ml/data/dataset.cc
               src/common/file_util.cc src/common/status.cc src/common/big_buffer_allocator.cc)
      LIBS=(-lfmt -lz)
      MAXLEN=16384
      COVER=(src/ml/data/cifar10.cc src/ml/data/compressed_file.cc) ;;
    framed_blob)
      FUZZ=src/train/framed_blob_fuzz.cc
      SOURCES=(src/train/framed_blob.cc src/store/checksum.cc src/common/sha256.cc
               src/common/status.cc)
      LIBS=(-lfmt -lcrypto)
      DICT=fuzz/train_blob.dict
      COVER=(src/train/framed_blob.cc) ;;
    shard_codec)
      FUZZ=src/train/shard_codec_fuzz.cc
      SOURCES=(src/train/shard_codec.cc src/train/framed_blob.cc src/store/checksum.cc
               src/common/sha256.cc src/ml/data/dataset.cc src/common/big_buffer_allocator.cc
               src/common/status.cc)
      LIBS=(-lfmt -lcrypto)
      DICT=fuzz/train_blob.dict
      COVER=(src/train/shard_codec.cc src/train/framed_blob.cc) ;;
    update_codec)
      FUZZ=src/train/update_codec_fuzz.cc
      SOURCES=(src/train/update_codec.cc src/train/framed_blob.cc src/store/checksum.cc
               src/common/sha256.cc src/common/status.cc)
      LIBS=(-lfmt -lcrypto)
      DICT=fuzz/train_blob.dict
      COVER=(src/train/update_codec.cc src/train/framed_blob.cc) ;;
    azure_trace)
      FUZZ=src/trace/azure_trace_fuzz.cc
      SOURCES=(src/trace/csv_reader.cc src/trace/azure_trace.cc src/trace/workload.cc
               src/trace/keep_alive_sim.cc src/trace/keep_alive_study.cc
               src/faas/economics/keep_alive_policy.cc src/common/file_util.cc
               src/common/clock.cc src/common/status.cc)
      LIBS=(-lfmt -lpthread)
      MAXLEN=8192
      COVER=(src/trace/csv_reader.cc src/trace/azure_trace.cc src/trace/workload.cc
             src/trace/keep_alive_sim.cc) ;;
    *)
      echo "fuzz-all: unknown target '$t' (--list names them)" >&2
      exit 2 ;;
  esac
  SOURCES=("$FUZZ" "${SOURCES[@]}")
}

usage() {
  echo "usage: fuzz-all.sh [seconds] [target...] | --list | --build [target...] |" \
       "--repro TARGET FILE | --coverage TARGET [corpus]" >&2
  exit 2
}

MODE=run
SECONDS_TO_RUN=20
TARGETS=()
case "${1:-}" in
  --list) MODE=list; shift ;;
  --build) MODE=build; shift ;;
  --repro) MODE=repro; shift; [[ $# -eq 2 ]] || usage ;;
  --coverage) MODE=coverage; shift; [[ $# -ge 1 && $# -le 2 ]] || usage ;;
  -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
  "") ;;
  *)
    if [[ "$1" =~ ^[0-9]+$ ]]; then SECONDS_TO_RUN="$1"; shift; fi ;;
esac
if [[ $MODE == repro || $MODE == coverage ]]; then
  TARGETS=("$1")
  ARG2="${2:-}"
else
  TARGETS=("$@")
fi
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
  [[ "$t" =~ ^- ]] && usage
  (define_target "$t")  # validates the name
done

if [[ $MODE == list ]]; then
  for t in "${TARGETS[@]}"; do
    define_target "$t"
    printf '%-20s %-44s %s (%s seeds)\n' "$t" "$FUZZ" "$SEEDS" \
      "$(find "$ROOT/$SEEDS" -type f 2>/dev/null | wc -l)"
  done
  exit 0
fi

if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "SKIP: $CXX not found (install Debian package clang: scripts/install-deps.sh)"
  exit 0
fi

mkdir -p "$OUT/obj"
CCACHE=""
if command -v ccache >/dev/null 2>&1; then CCACHE=ccache; fi
# shellcheck disable=SC2054  # commas inside one flag
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
CXXFLAGS=(-std=c++20 -gline-tables-only "$OPT" -Wall -Wextra -I"$ROOT/src" "${SAN[@]}"
          -fsanitize=fuzzer-no-link -DSL_PROFILES_DIR="\"$ROOT/profiles\"")

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

# Compiles and links target $1 (after define_target) into $OUT/$BIN_NAME; at most $JOBS compilers
# at a time (this machine's shared cores).
build_target() {
  local t="$1" src obj tmp objects=() pids=() relinked=0 extra
  for src in "${SOURCES[@]}"; do
    obj="$OUT/obj/$(echo "${src%.cc}" | tr '/' '_').o"
    objects+=("$obj")
    if stale "$obj"; then
      extra=()
      [[ "$src" == *_fuzz.cc ]] && extra=(-Werror)
      echo "fuzz-all: [$t] compiling $src"
      tmp="$obj.tmp.$$"
      # Sources are named by absolute path, so ccache may share objects between build
      # directories (CCACHE_NOHASHDIR: CTest runs this from <build>/fuzz).
      ( CCACHE_NOHASHDIR=1 $CCACHE "$CXX" "${CXXFLAGS[@]}" "${extra[@]}" -MMD -MF "$tmp.d" \
          -c "$ROOT/$src" -o "$tmp" &&
          mv -f "$tmp.d" "$obj.d" && mv -f "$tmp" "$obj" ) &
      pids+=($!)
      relinked=1
      if [[ ${#pids[@]} -ge $JOBS ]]; then
        wait "${pids[0]}" || { echo "fuzz-all: [$t] compile failed" >&2; return 1; }
        pids=("${pids[@]:1}")
      fi
    fi
  done
  local p
  for p in "${pids[@]}"; do wait "$p" || { echo "fuzz-all: [$t] compile failed" >&2; return 1; }; done
  BIN="$OUT/$BIN_NAME"
  local o
  for o in "${objects[@]}"; do [[ "$o" -nt "$BIN" ]] && relinked=1; done
  if [[ $relinked == 1 || ! -x "$BIN" ]]; then
    echo "fuzz-all: [$t] linking $BIN"
    if ! "$CXX" "${SAN[@]}" -fsanitize=fuzzer "${objects[@]}" "${LIBS[@]}" -o "$BIN.tmp.$$"; then
      echo "fuzz-all: [$t] link failed" >&2
      return 1
    fi
    mv -f "$BIN.tmp.$$" "$BIN"
  fi
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Coverage of target $1's parser files by corpus $2, with clang's source-based coverage (a
# separate build without sanitizers, into $OUT/cov/). Prints llvm-cov's report; sets COV_LINE.
coverage_target() {
  local t="$1" corpus="$2" abs=() src
  local cov="$OUT/cov/$t"
  mkdir -p "$cov"
  for src in "${SOURCES[@]}"; do abs+=("$ROOT/$src"); done
  "$CXX" -std=c++20 -O1 -I"$ROOT/src" -DSL_PROFILES_DIR="\"$ROOT/profiles\"" \
    -fprofile-instr-generate -fcoverage-mapping \
    -fsanitize=fuzzer "${abs[@]}" "${LIBS[@]}" -o "$cov/${t}_cov"
  rm -f "$cov"/*.profraw
  LLVM_PROFILE_FILE="$cov/run.profraw" ASAN_OPTIONS="" "$cov/${t}_cov" -runs=0 \
    -max_len="$MAXLEN" "$corpus" 2>"$cov/run.log" || { tail -20 "$cov/run.log"; return 1; }
  "llvm-profdata$LLVM_SUFFIX" merge -sparse "$cov/run.profraw" -o "$cov/$t.profdata"
  local files=()
  for src in "${COVER[@]}"; do files+=("$ROOT/$src"); done
  "llvm-cov$LLVM_SUFFIX" report "$cov/${t}_cov" -instr-profile="$cov/$t.profdata" "${files[@]}" \
    | tee "$cov/report.txt"
  # TOTAL line: regions, missed, cover%, functions, missed, cover%, lines, missed, cover%, ...
  COV_LINE=$(awk '/^TOTAL/ {print "lines " $10 ", regions " $4 ", branches " $13}' \
    "$cov/report.txt")
  [[ -n "$COV_LINE" ]] || COV_LINE=$(awk 'NR>2 && NF>10 {print "lines " $10 ", regions " $4 ", branches " $13; exit}' "$cov/report.txt")
  echo "fuzz-all: [$t] uncovered lines: llvm-cov$LLVM_SUFFIX show $cov/${t}_cov" \
    "-instr-profile=$cov/$t.profdata ${files[*]}"
}

if [[ $MODE == coverage ]]; then
  define_target "${TARGETS[0]}"
  coverage_target "${TARGETS[0]}" "${ARG2:-$OUT/${TARGETS[0]}/corpus}"
  exit 0
fi

if [[ $MODE == repro ]]; then
  define_target "${TARGETS[0]}"
  build_target "${TARGETS[0]}"
  exec "$BIN" -max_len="$MAXLEN" "$ARG2"
fi

for t in "${TARGETS[@]}"; do
  define_target "$t"
  build_target "$t"
done
[[ $MODE == build ]] && exit 0

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  define_target "$t"
  BIN="$OUT/$BIN_NAME"
  dir="$OUT/$t"
  CORPUS="$dir/corpus"
  ARTIFACTS="$dir/artifacts"
  rm -rf "$CORPUS"
  mkdir -p "$CORPUS" "$ARTIFACTS"
  cp "$ROOT/$SEEDS"/* "$CORPUS/"
  stamp="$dir/.run-start"
  : > "$stamp"
  dict=()
  [[ -n "$DICT" ]] && dict=(-dict="$ROOT/$DICT")
  echo "fuzz-all: [$t] running $BIN for ${SECONDS_TO_RUN}s on a copy of $SEEDS ($CORPUS)"
  set +e
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  "$BIN" "$CORPUS" "${dict[@]}" -max_total_time="$SECONDS_TO_RUN" -max_len="$MAXLEN" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" \
    ${FUZZ_ARGS:-} 2>"$dir/fuzz.log"
  rc=$?
  set -e
  grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::peak_rss_mb)' \
    "$dir/fuzz.log" | sed "s/^/fuzz-all: [$t] /" || true
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$dir/fuzz.log")
  last=$(grep -E '^#[0-9]+' "$dir/fuzz.log" | tail -1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
  if [[ $rc -ne 0 ]]; then
    tail -n 60 "$dir/fuzz.log"
    echo "fuzz-all: [$t] FAILED (libFuzzer exit $rc); full log: $dir/fuzz.log"
    found=$(find "$ARTIFACTS" -type f -newer "$stamp" 2>/dev/null || true)
    for f in $found; do
      echo "fuzz-all: [$t] crash input written to $f (reproduce: scripts/fuzz-all.sh --repro $t $f)"
    done
    [[ -n "$found" ]] || echo "fuzz-all: [$t] no crash input was written (see the log)"
    failed+=("$t")
    summary+=("$(printf '%-20s FAILED' "$t")")
    continue
  fi
  line=$(printf '%-20s execs %-10s exec/s %-7s cov %-6s ft %-6s corpus %-6s' "$t" "${execs:-?}" \
    "$(( ${execs:-0} / (SECONDS_TO_RUN > 0 ? SECONDS_TO_RUN : 1) ))" "${cov:-?}" "${ft:-?}" \
    "${corp:-?}")
  if [[ -n "${FUZZ_COVERAGE:-}" ]]; then
    COV_LINE="?"
    coverage_target "$t" "$CORPUS" >"$dir/coverage.txt" 2>&1 || COV_LINE="coverage build failed"
    line+=" $COV_LINE"
  fi
  summary+=("$line")
  echo "fuzz-all: [$t] OK, no crash in ${SECONDS_TO_RUN}s"
done
echo "fuzz-all: summary (${SECONDS_TO_RUN}s per target):"
printf '  %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz-all: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz-all: OK"

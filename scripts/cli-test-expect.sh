# Assertions for the shell tests that run `straightline` commands one at a time (sourced, not run):
#   EXE=path/to/straightline DIR=scratch folder PY=/usr/bin/python3; . "$SRC/scripts/cli-test-expect.sh"
#   run ARGS...            runs $EXE ARGS, stdout to $DIR/out, stderr to $DIR/err, exit code in RC
#   expect_rc N WHAT       fails unless RC is N
#   expect_out TEXT WHAT   fails unless stdout contains TEXT (fixed string); expect_err likewise
#   check WHAT PYTHON ARGS runs a python3 snippet (json, math, sys imported); a failed assert fails
#   fail MESSAGE           prints FAIL: MESSAGE and the tail of the last stderr, exits 1
# Traps and cleanup stay with the test (it knows what it started).
fail() { echo "FAIL: $*"; [ -s "$DIR/err" ] && { echo "--- stderr:"; tail -20 "$DIR/err"; }; exit 1; }
run() { "$EXE" "$@" >"$DIR/out" 2>"$DIR/err"; RC=$?; }
expect_rc() { [ "$RC" = "$1" ] || fail "$2: exit code $RC, expected $1; stdout: $(head -c 600 "$DIR/out")"; }
expect_out() { grep -qF -- "$1" "$DIR/out" || fail "$2: stdout does not contain '$1': $(head -c 800 "$DIR/out")"; }
expect_err() { grep -qF -- "$1" "$DIR/err" || fail "$2: stderr does not contain '$1': $(head -c 800 "$DIR/err")"; }
check() {  # WHAT PYTHON [ARGS...]
  local what=$1 code=$2; shift 2
  "$PY" -c "import json, math, sys
$code" "$@" >"$DIR/pyout" 2>&1 || fail "$what: $(tail -5 "$DIR/pyout")"
}

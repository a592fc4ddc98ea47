#!/bin/bash
# `straightline` is torch-free and hands the commands that need libtorch to straightline-ml
# (cli/commands.h): it links no libtorch, runs those commands through straightline-ml with the
# same arguments (STRAIGHTLINE_<COMMAND>_ARGS appended once, by straightline-ml), and says clearly
# when straightline-ml cannot be started. (issue 17: a one-shot `invoke` paid libtorch's load.)
# Usage: two_programs_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
SL=$1
ML=$(dirname "$SL")/straightline-ml
DIR=$(mktemp -d /tmp/sl-two-programs.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
cd "$DIR" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# The front loads no libtorch; straightline-ml does.
ldd "$SL" | grep -q 'libtorch' && fail "straightline links libtorch: $(ldd "$SL" | grep libtorch)"
ldd "$ML" | grep -q 'libtorch' || fail "straightline-ml does not link libtorch"

# --help lists every command, torch or not, in both programs.
for p in "$SL" "$ML"; do
  "$p" --help > out || fail "$p --help"
  for c in train eval predict model serve calibrate invoke store platform logs load package deploy; do
    grep -q "^  $c " out || fail "$p --help does not list $c"
  done
done

# A command that needs libtorch runs in straightline-ml, with the arguments as given, under the
# name users typed.
"$SL" model show --help > out || fail "model show --help through straightline-ml"
grep -q 'usage: straightline model' out || fail "model --help: $(head -3 out)"

# STRAIGHTLINE_<COMMAND>_ARGS is appended once (by straightline-ml), not once per program.
STRAIGHTLINE_EVAL_ARGS="--json" "$SL" eval --help > out 2> err || fail "eval --help with STRAIGHTLINE_EVAL_ARGS"
[ "$(grep -c 'appending --json (from STRAIGHTLINE_EVAL_ARGS)' err)" = 1 ] || fail "appended $(grep -c appending err) times: $(cat err)"

# straightline-ml missing: exit 127, naming the command, the path and how to fix it.
STRAIGHTLINE_ML="$DIR/no-such-program" "$SL" train --epochs 1 > out 2> err
rc=$?
[ "$rc" = 127 ] || fail "missing straightline-ml: exit $rc, want 127"
grep -q "straightline train: .*straightline-ml.*$DIR/no-such-program: No such file or directory" err \
  || fail "missing straightline-ml: $(cat err)"
# ... and the torch-free commands do not need it.
STRAIGHTLINE_ML="$DIR/no-such-program" "$SL" version --json > out || fail "version without straightline-ml"
grep -q '"straightline"' out || fail "version: $(cat out)"

# Not executable: 126.
touch "$DIR/not-exec"
STRAIGHTLINE_ML="$DIR/not-exec" "$SL" predict x > out 2> err
rc=$?
[ "$rc" = 126 ] || fail "non-executable straightline-ml: exit $rc, want 126 ($(cat err))"
echo "two_programs_test: ok"

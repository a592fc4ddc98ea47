#!/bin/bash
# STRAIGHTLINE_<COMMAND>_ARGS (README, "Usage"): flags appended to every command line of that
# command, winning over the same flags given on it, said on stderr; nothing when unset.
# Usage: env_args_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
SL=$1
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
cd "$DIR" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# A flag from the environment: version --json.
STRAIGHTLINE_VERSION_ARGS="--json" "$SL" version > out 2> err || fail "version with STRAIGHTLINE_VERSION_ARGS: $(cat err)"
python3 -c 'import json,sys; assert json.load(open("out"))["name"] == "straightline"' || fail "version: not JSON: $(cat out)"
grep -q 'straightline version: appending --json (from STRAIGHTLINE_VERSION_ARGS)' err || fail "not said on stderr: $(cat err)"

# Unset or empty: nothing added, nothing said.
STRAIGHTLINE_VERSION_ARGS="  " "$SL" version > out 2> err || fail "version with blank STRAIGHTLINE_VERSION_ARGS"
[ -s err ] && fail "blank variable said something: $(cat err)"
grep -q '^{' out && fail "blank variable added --json"

# Appended last, so they win: --epochs 3 on the command line, --epochs 1 from the environment;
# several flags separated by whitespace.
STRAIGHTLINE_TRAIN_ARGS=" --epochs 1
  --limit 300 " "$SL" train --model logreg --epochs 3 --json --quiet --out m > out 2> err \
  || fail "train with STRAIGHTLINE_TRAIN_ARGS: $(cat err)"
python3 -c '
import json
j = json.load(open("out"))
assert j["training"]["epochs_completed"] == 1, j["training"]
assert j["train_samples"] == 300, j["train_samples"]
' || fail "train: the environment's flags did not win: $(head -c 400 out)"
grep -q 'straightline train: appending --epochs 1 --limit 300 (from STRAIGHTLINE_TRAIN_ARGS)' err \
  || fail "train: not said on stderr: $(cat err)"

# Another command's variable does not apply; a bad flag is named like one on the command line.
STRAIGHTLINE_TRAIN_ARGS="--json" "$SL" version > out 2> err || fail "version with another command's variable"
grep -q '^{' out && fail "STRAIGHTLINE_TRAIN_ARGS applied to version"
STRAIGHTLINE_VERSION_ARGS="--no-such-flag" "$SL" version > out 2> err
[ $? -eq 2 ] || fail "a bad flag from the environment: exit status not 2"
grep -q 'no-such-flag' err || fail "a bad flag from the environment is not named: $(cat err)"
echo "PASS: env_args_test"

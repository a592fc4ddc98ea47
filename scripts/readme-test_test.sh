#!/bin/bash
# The README test's harness on small markdown files of its own (scripts/readme-test.py): blocks run
# in order in one scratch directory, yaml blocks written to the file they name, skips said with
# their reason, a failure shown with the block and its output, what a block left running stopped,
# no AWS keys, HOME and /tmp of its own, no route off the host, the scale-down variables set.
# Usage: readme-test_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
SL=$1
SRC=$2
H=$SRC/scripts/readme-test.py
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
fail() { echo "FAIL: $*"; echo "--- output:"; cat "$DIR/out"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the harness's namespaces)"; exit 77; }

cat > "$DIR/doc.md" <<'MD'
# a document

<!-- readme-test: skip (needs the moon) -->
```sh
exit 1
```

```yaml
# conf/x.yaml
a: [1, 2]
```

```sh
test "$(head -1 conf/x.yaml)" = "# conf/x.yaml"
test -x "$SL"
sleep 300 &   # left running
echo $! > sleeper.pid
touch /tmp/private-tmp-marker
```

```sh
if kill -0 "$(cat sleeper.pid)" 2>/dev/null; then exit 1; fi   # stopped when its block ended
test -z "${AWS_ACCESS_KEY_ID:-}"
test "$HOME" != "/root" && test -d "$HOME"
test -e /tmp/private-tmp-marker
if curl -s -m 3 http://192.0.2.1/ > /dev/null; then exit 1; fi
echo "$STRAIGHTLINE_TRAIN_ARGS" | grep -q -- --limit
```

```sh
echo "about to fail"
false
echo "never printed"
```

```json
{"not": "run"}
```
MD
"$H" "$SL" "$SRC" --readme "$DIR/doc.md" > "$DIR/out" 2>&1
rc=$?
[ $rc = 1 ] || fail "exit status $rc, not 1"
grep -Eq '^doc.md:4 +skip' "$DIR/out" || fail "skipped block not reported"
grep -q '(needs the moon)' "$DIR/out" || fail "skip reason not printed"
grep -Eq '^doc.md:8 +ok .*wrote conf/x.yaml' "$DIR/out" || fail "yaml file not written"
grep -Eq '^doc.md:13 +ok' "$DIR/out" || fail "block at line 13 not ok"
grep -Eq '^doc.md:21 +ok' "$DIR/out" || fail "block at line 21 not ok (server stopped, env, /tmp, no route)"
grep -Eq '^doc.md:30 +FAIL' "$DIR/out" || fail "failing block not reported"
grep -q '  | echo "never printed"' "$DIR/out" || fail "failing block not shown"
grep -q '  > about to fail' "$DIR/out" || fail "failing block's output not shown"
grep -q 'never printed$' "$DIR/out" && grep -q '^  > never printed' "$DIR/out" && fail "block went on after a failure"
grep -q '3 ok, 1 skipped, 1 failed' "$DIR/out" || fail "summary"
[ -e /tmp/private-tmp-marker ] && fail "a block wrote to the host's /tmp"
kept=$(sed -n 's/^readme-test: kept //p' "$DIR/out")
[ -n "$kept" ] && [ -d "$kept" ] || fail "a failed run's scratch directory is not kept"
rm -rf "$kept"

# A directive must precede a block; a yaml block must name its file.
printf '<!-- readme-test: skip (x) -->\ntext\n' > "$DIR/bad.md"
"$H" "$SL" "$SRC" --readme "$DIR/bad.md" --list > "$DIR/out" 2>&1 && fail "a stray directive was accepted"
grep -q 'bad.md:2: a readme-test directive must come right before a code block' "$DIR/out" || fail "stray directive message"
printf '```yaml\na: 1\n```\n' > "$DIR/noname.md"
"$H" "$SL" "$SRC" --readme "$DIR/noname.md" > "$DIR/out" 2>&1 && fail "an unnamed yaml block was accepted"
grep -q 'yaml block names no file' "$DIR/out" || fail "unnamed yaml message"
rm -rf "$(sed -n 's/^readme-test: kept //p' "$DIR/out")"
echo "PASS: readme-test_test"

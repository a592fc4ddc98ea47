#!/bin/bash
# `straightline deploy` as a user runs it: --help names every target, each target writes its
# files (--json lists them), a second run replaces them, and mistakes exit 2 naming the flag or
# the functions-file entry (and write nothing).
# Usage: deploy_cli_test.sh STRAIGHTLINE_EXE SOURCE_DIR
set -u
EXE=$1
DIR=$(mktemp -d /tmp/sl-deploy-cli.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
fail() { echo "FAIL: $*"; [ -s "$DIR/err" ] && { echo "--- stderr:"; tail -20 "$DIR/err"; }; exit 1; }
run() { "$EXE" "$@" >"$DIR/out" 2>"$DIR/err"; RC=$?; }
expect_rc() { [ "$RC" = "$1" ] || fail "$2: exit code $RC, expected $1; stdout: $(head -c 600 "$DIR/out")"; }
expect_out() { grep -qF -- "$1" "$DIR/out" || fail "$2: stdout does not contain '$1': $(head -c 800 "$DIR/out")"; }
expect_err() { grep -qF -- "$1" "$DIR/err" || fail "$2: stderr does not contain '$1': $(head -c 800 "$DIR/err")"; }

cd "$DIR" || exit 1
mkdir -p models/fmnist-cnn && echo '{}' > models/fmnist-cnn/manifest.json
cat > functions.yaml <<'YAML'
provider: {name: aws-lambda, memorySize: 1769, timeout: 60}
functions:
  train-shard: {handler: train-shard, reservedConcurrency: 8}
  img_classify: {handler: predict, memorySize: 1024, timeout: 10}
YAML
IMG=registry.example.com/ml/fmnist:v1

run deploy --help
expect_rc 0 "--help"
for t in aws-sam knative kserve kubernetes azure-functions; do expect_out "$t" "--help names $t"; done

run deploy --target kubernetes --model models/fmnist-cnn --image $IMG --out d/k8s --json
expect_rc 0 "kubernetes"
expect_out '"target": "kubernetes"' "kubernetes --json"
grep -q '^kind: "HorizontalPodAutoscaler"' d/k8s/kubernetes.yaml || fail "kubernetes.yaml has no HPA"
run deploy --target kubernetes --model models/fmnist-cnn --image $IMG --out d/k8s --max-containers 7
expect_rc 0 "kubernetes again"
grep -q 'maxReplicas: 7' d/k8s/kubernetes.yaml || fail "a second run did not replace kubernetes.yaml"
[ -z "$(find d -name '*.tmp*')" ] || fail "temporary files left: $(find d -name '*.tmp*')"

run deploy --target knative --model models/fmnist-cnn --image $IMG --out d/kn
expect_rc 0 "knative"
expect_out "wrote d/kn/knative-service.yaml" "knative"
run deploy --target kserve --model models/fmnist-cnn --image $IMG --out d/ks
expect_rc 0 "kserve"
grep -q '"PROTOCOL"' d/ks/inferenceservice.yaml || fail "kserve: no PROTOCOL env"
run deploy --target aws-sam --functions functions.yaml --image $IMG --out d/sam
expect_rc 0 "aws-sam"
grep -q 'ReservedConcurrentExecutions: 8' d/sam/template.yaml || fail "aws-sam: reserved concurrency"
run deploy --target azure-functions --functions functions.yaml --out d/az
expect_rc 0 "azure-functions"
for f in host.json train-shard/function.json img_classify/function.json local.settings.json; do
  [ -s "d/az/$f" ] || fail "azure-functions: no $f"
done

run deploy --model models/fmnist-cnn --image $IMG --out d/x
expect_rc 2 "no --target"; expect_err "--target: required" "no --target"
run deploy --target nomad --model models/fmnist-cnn --image $IMG --out d/x
expect_rc 2 "bad --target"; expect_err "--target: unknown 'nomad'" "bad --target"
run deploy --target knative --model models/fmnist-cnn --out d/x
expect_rc 2 "no --image"; expect_err "--image: required" "no --image"
run deploy --target knative --model models/nope --image $IMG --out d/x
expect_rc 2 "missing model"; expect_err "--model:" "missing model"
run deploy --target knative --model models/fmnist-cnn --image $IMG --out d/x --memory-mb 1000
expect_rc 2 "bad --memory-mb"; expect_err "--memory-mb:" "bad --memory-mb"
printf 'functions:\n  big: {handler: train-shard, memorySize: 20000, provider: gcp-cloud-run-functions}\n' > big.yaml
run deploy --target aws-sam --functions big.yaml --image $IMG --out d/x
expect_rc 2 "too big for Lambda"; expect_err "big.yaml: function 'big': memorySize" "too big for Lambda"
[ ! -e d/x ] || fail "a failed deploy wrote d/x"
echo "PASS deploy_cli_test"

// straightline deploy --target T --out DIR: deployment descriptors for a packaged model (its
// folder and the serving image) or a functions file (and the function image), for AWS SAM,
// Knative, KServe, Kubernetes or Azure Functions (src/deploy/targets.h says what each writes;
// README "Deploy" has the mapping table). Writes files only; applies nothing.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/flags.h"
#include "deploy/targets.h"

namespace sl::cli {

int RunDeploy(const Args& args) {
  FlagSet flags(
      "straightline deploy",
      "Write deployment descriptors for the images `straightline package` builds.\n"
      "  --target aws-sam          template.yaml: one AWS::Serverless::Function per function\n"
      "                            (PackageType Image, MemorySize, Timeout, ReservedConcurrent-\n"
      "                            Executions from the functions file) + an HttpApi POST route\n"
      "                            to each predict function\n"
      "  --target knative          knative-service.yaml: scale 0..--max-scale, containerConcurrency,\n"
      "                            resources from --provider's memory->CPU rule\n"
      "  --target kserve           inferenceservice.yaml: the serving image as a custom v2 predictor\n"
      "  --target kubernetes       kubernetes.yaml: Deployment + Service + HPA (autoscaling/v2)\n"
      "                            sized like the container tier (--min/--max-containers,\n"
      "                            --container-cpus, --container-memory-mb)\n"
      "  --target azure-functions  host.json (custom handler: straightline-worker),\n"
      "                            <function>/function.json (HTTP triggers), local.settings.json\n"
      "Serving targets need --model and --image; function targets need --functions (or --model\n"
      "for one predict function) and, for aws-sam, --image. The serving container runs\n"
      "`straightline serve --tiers local` as uid 65532 on a read-only root, reading its bearer\n"
      "token from the Secret <name>-token (key `token`):\n"
      "  kubectl create secret generic NAME-token --from-file=token=TOKENFILE");
  std::string target, out;
  deploy::ServingFlags sv;
  deploy::FunctionsFlags fn;
  std::string image, model;
  std::vector<std::string> env;
  int64_t function_memory_mb = 1024, function_timeout_s = 0;
  flags.String("target", &target, "aws-sam | knative | kserve | kubernetes | azure-functions");
  flags.String("out", &out, "directory to write the descriptors into (created)");
  flags.String("model", &model, "model folder (serving targets; for function targets: one predict function)");
  flags.String("functions", &fn.functions_file, "functions file (aws-sam, azure-functions)");
  flags.String("image", &image, "image reference REGISTRY/REPO:TAG or REPO@sha256:DIGEST");
  flags.String("name", &sv.name, "resource name (default: the model folder's name, DNS-1123)");
  flags.List("env", &env, "KEY=VALUE added to the container's / functions' environment (repeatable)");
  flags.Int("port", &sv.port, "containerPort the server listens on ($PORT on Knative/KServe)");
  flags.Int("min-containers", &sv.min_containers, "kubernetes: replicas and HPA minimum (serve's flag)");
  flags.Int("max-containers", &sv.max_containers, "kubernetes: HPA maximum (serve's flag)");
  flags.Int("container-concurrency", &sv.container_concurrency,
            "requests in flight per replica (Knative/KServe containerConcurrency)");
  flags.Double("container-cpus", &sv.container_cpus, "kubernetes: CPU request = limit per replica");
  flags.Int("container-memory-mb", &sv.container_memory_mb, "kubernetes: memory request = limit per replica");
  flags.Int("target-cpu-percent", &sv.target_cpu_percent, "kubernetes: HPA CPU utilisation target");
  flags.Int("max-batch", &sv.max_batch, "the server's --max-batch (dynamic batching)");
  flags.Int("max-scale", &sv.max_scale, "knative/kserve: most replicas (min is 0: scale to zero)");
  flags.String("provider", &sv.provider,
               "knative/kserve: provider profile whose memory->CPU rule sizes the container");
  flags.Int("memory-mb", &sv.memory_mb,
            "knative/kserve: memory per replica (0: --container-memory-mb rounded up to a size the profile allows)");
  flags.String("function-provider", &fn.provider, "--model on a function target: the predict function's profile");
  flags.Int("function-memory-mb", &function_memory_mb, "--model on a function target: its memory");
  flags.Int("function-timeout-s", &function_timeout_s, "--model on a function target: timeout (0: profile's)");
  flags.String("http-path", &fn.http_path, "route of the predict function (default /<function name>)");
  flags.String("image-binary", &sv.layout.binary, "path of `straightline` inside the serving image");
  flags.String("image-models-dir", &sv.layout.models_dir, "folder of the models inside the images (<dir>/<model name>)");
  flags.String("image-token-dir", &sv.layout.token_dir, "where the token Secret is mounted");
  flags.Int("image-uid", &sv.layout.uid, "the image's non-root user id");
  bool json = false;
  flags.Bool("json", &json, "print {\"target\", \"out\", \"files\"} instead of 'wrote' lines");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (target.empty()) {
    fmt::print(stderr, "--target: required ({})\n", fmt::join(deploy::TargetNames(), " | "));
    return 2;
  }
  if (out.empty()) {
    fmt::print(stderr, "--out: required (the directory to write into)\n");
    return 2;
  }
  sv.model_dir = model;
  sv.image = image;
  sv.env = env;
  fn.model_dir = model;
  fn.image = image;
  fn.env = env;
  fn.memory_mb = function_memory_mb;
  fn.timeout_s = function_timeout_s;
  fn.layout = sv.layout;
  auto files = deploy::BuildTarget(target, sv, fn);
  if (!files.ok()) {
    fmt::print(stderr, "{}\n", files.status().message());
    return 2;
  }
  if (Status st = deploy::WriteOutputs(out, *files); !st.ok()) {
    fmt::print(stderr, "{}\n", st.ToString());
    return 1;
  }
  if (json) {
    nlohmann::json paths = nlohmann::json::array();
    for (const auto& f : *files) paths.push_back(out + "/" + f.path);
    fmt::print("{}\n", nlohmann::json{{"target", target}, {"out", out}, {"files", paths}}.dump(2));
    return 0;
  }
  for (const auto& f : *files) fmt::print("wrote {}/{}\n", out, f.path);
  return 0;
}

}  // namespace sl::cli

// What `straightline deploy` describes, resolved once and shared by every target builder:
// the serving container (for a model folder and a serving image) and the functions (from a
// functions file, or one `predict` function for a model, and a function image).
//
// Mapping rules live next to each field (and in README "Deploy"): defaults come from the serve
// flags (container tier) and the provider profiles (faas/economics/provider_profile.h).
//
// Ownership: plain values. Thread safety: plain values; the Resolve functions read files (the
// model manifest, the functions file, the profiles) and are otherwise pure.
// Failure contract: INVALID_ARGUMENT naming the flag ("--image: ...", "--max-scale: ...") or the
// functions-file entry ("fns.yaml: function 'train': memorySize: ..."), NOT_FOUND for a missing
// model folder, functions file or profile.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl::deploy {

// Where the images keep things: the descriptor's side of the image contract of `straightline
// package` (src/package/image_builder.h: binaries in /usr/local/bin, models in
// /opt/straightline/models/<name>, uid 65532, token at /var/run/secrets/straightline/token,
// state on the /tmp tmpfs); flags, so a descriptor can follow an image laid out otherwise.
struct ImageLayout {
  std::string binary = "/usr/local/bin/straightline";  // `straightline` in the serving image
  std::string models_dir = "/opt/straightline/models";  // <models_dir>/<model name>
  // Token file directory: a Kubernetes Secret (key `token`) mounted read-only here; the file is
  // <token_dir>/token. The gateway checks bearer tokens on everything but the health paths.
  std::string token_dir = "/var/run/secrets/straightline";
  std::string tmp_dir = "/tmp";  // the only writable path (emptyDir) under a read-only root
  std::string ModelDir(const std::string& name) const { return models_dir + "/" + name; }
  int64_t uid = 65532;           // the image's non-root user (distroless "nonroot")
};

// Everything a KServe v2 serving container needs, target-independent.
struct ServingSpec {
  std::string name;        // DNS-1123 label: Service / InferenceService / Deployment name
  std::string model_name;  // /v2/models/{model_name}: the model folder's name
  std::string image;       // REGISTRY/REPO:TAG or REPO@sha256:...
  ImageLayout layout;
  int64_t port = 8080;     // containerPort; Knative and KServe hand it to the container as $PORT
  // Container tier (kubernetes): the serve flags' defaults.
  int64_t min_replicas = 1, max_replicas = 2;   // --min-containers / --max-containers
  int64_t container_concurrency = 2;            // --container-concurrency
  double cpus = 1;                              // --container-cpus
  int64_t memory_mb = 1024;                     // --container-memory-mb
  int64_t target_cpu_percent = 70;              // HPA target (see kubernetes_target.cc)
  // Scale-to-zero targets (knative, kserve): min 0, max --max-scale; resources from the provider
  // profile's memory→CPU rule for --memory-mb.
  int64_t max_scale = 10;
  std::string provider = "gcp-cloud-run-functions";
  int64_t scaled_memory_mb = 0;  // --memory-mb, default: --container-memory-mb rounded up to a size the profile allows
  double scaled_vcpu = 0;        // filled by ResolveServing from the profile
  double timeout_s = 0;          // request timeout; filled from the profile's max
  int64_t max_batch = 32;        // --max-batch of the local tier inside the container
  std::map<std::string, std::string> environment;  // extra --env KEY=VALUE
};

struct ServingFlags {
  std::string model_dir, image, name, provider = "gcp-cloud-run-functions";
  int64_t memory_mb = 0, max_scale = 10, port = 8080;
  int64_t min_containers = 1, max_containers = 2, container_concurrency = 2;
  int64_t container_memory_mb = 1024, target_cpu_percent = 70, max_batch = 32;
  double container_cpus = 1;
  std::vector<std::string> env;  // KEY=VALUE
  ImageLayout layout;
};

Result<ServingSpec> ResolveServing(const ServingFlags& f);

// One function as the function targets (aws-sam, azure-functions) describe it.
struct FunctionDeploySpec {
  std::string name;           // the functions-file name
  std::string handler;        // built-in handler of straightline-worker (image CMD / _HANDLER),
                              // or a custom runtime's handler (its bootstrap's _HANDLER)
  bool custom_runtime = false;  // runtime: provided.*: runs from a function image built with
                                // `package function --functions FILE`, whose CMD is the name
  std::string source;         // "fns.yaml: function 'x'" for messages
  int64_t memory_mb = 0;      // resolved against the provider profile
  double timeout_s = 0;
  int64_t reserved_concurrency = 0;
  int64_t provisioned_concurrency = 0;
  double vcpu = 0;            // what the memory buys under the profile
  std::string provider;
  std::map<std::string, std::string> environment;
};

struct FunctionsFlags {
  std::string functions_file;  // a functions file, or
  std::string model_dir;       // a model: one `predict` function
  std::string image;           // the function image
  bool image_required = true;  // azure-functions runs the worker from the project, not an image
  std::string provider = "aws-lambda";  // profile for a model's predict function
  int64_t memory_mb = 1024, timeout_s = 0;
  std::string http_path;       // route of the predict function(s); default /<function name>
  std::vector<std::string> env;
  ImageLayout layout;
};

struct FunctionsSpec {
  std::string image;
  std::string http_path;  // "" → "/<name>"
  std::vector<FunctionDeploySpec> functions;
};

Result<FunctionsSpec> ResolveFunctions(const FunctionsFlags& f);

// Checks: --image is a plausible OCI reference (NAME[:TAG] or NAME@sha256:<64 hex>).
Status CheckImageReference(const std::string& image);
// A DNS-1123 label from any name ("Fashion_MNIST cnn" → "fashion-mnist-cnn"), at most 63 chars;
// INVALID_ARGUMENT when nothing is left.
Result<std::string> DnsLabel(const std::string& name, const std::string& flag);
// "1Gi"-style memory and "500m"-style CPU quantities as Kubernetes writes them.
std::string MemoryQuantity(int64_t memory_mb);
std::string CpuQuantity(double vcpu);
// True for the handlers that answer inference over HTTP (get an HTTP route).
bool IsPredictHandler(const std::string& handler);

}  // namespace sl::deploy

// FunctionSpec: one function as the platform runs it — which handler, and the configuration a
// provider would hold for it (memory, timeout, concurrency, provider profile, environment,
// provisioned instances, keep-alive policy). Declared in a functions file (functions_file.h) or
// built in C++ and passed to Platform::RegisterFunction.
//
// Two handler kinds, as on Lambda:
//   kBuiltin    a handler compiled into straightline-worker, looked up by name in the runtime's
//               HandlerRegistry (src/runtime/handler_registry.h): "echo", "sleep", ...
//   kBootstrap  any executable named `bootstrap` in code_dir that speaks the Lambda Runtime API
//               (Lambda's custom runtime, `runtime: provided.al2023`); `handler` is passed
//               through as _HANDLER and code_dir as LAMBDA_TASK_ROOT.
//   kImage      a container image (`image:`, as Lambda's PackageType: Image): an OCI image, such
//               as `straightline package function` builds, run under runc with the image's
//               Entrypoint; `handler`, when given, replaces its Cmd (Lambda's ImageConfig.Command).
// Thread safety: plain value.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl::faas {

struct ProviderProfile;

enum class HandlerKind { kBuiltin, kBootstrap, kImage };

struct FunctionSpec {
  std::string name;                   // Lambda rules: [A-Za-z0-9_-]{1,64}
  HandlerKind kind = HandlerKind::kBuiltin;
  std::string handler;                // builtin: registry name; bootstrap: passed as _HANDLER
  std::string code_dir;               // bootstrap only: directory holding `bootstrap`
  std::string image;                  // image only: oci-archive:PATH[:REF] | oci:DIR[:REF]
  std::string provider = "aws-lambda";  // provider profile name (profiles/<name>.yaml)
  int64_t memory_mb = 0;              // 0: the profile's default
  double timeout_s = 0;               // 0: the profile's default
  int64_t reserved_concurrency = 0;   // per-function concurrency limit; 0: none (account limit)
  int64_t provisioned_concurrency = 0;  // instances kept initialised at all times
  int64_t instance_concurrency = 1;   // requests one instance serves at once (Cloud Run > 1)
  std::string keep_alive = "fixed";   // keep_alive_policy.h spec: fixed | fixed:90s | hybrid
  std::map<std::string, std::string> environment;
  // What a sandboxed instance may reach beyond its own Runtime API (faas/sandbox/): host
  // directories it sees at the same path (Lambda's closest thing: an EFS mount), and "host:port"
  // endpoints it may connect to. The endpoint of STRAIGHTLINE_STORE_ENDPOINT (the store a
  // function was given: store/function_env.h) is always allowed.
  struct Mount {
    std::string path;       // absolute host path
    bool writable = false;
  };
  std::vector<Mount> mounts;
  std::vector<std::string> egress;
  // Adds a mount of `path` (made absolute; symlinks resolved). No-op for "" .
  void AddMount(const std::string& path, bool writable);
  int64_t ephemeral_storage_mb = 512;  // size of the instance's private /tmp (Lambda: 512..10240)
  std::string source = "c++";         // where it was declared, for error messages ("f.yaml")
};

// Fills defaults from the profile (memory, timeout) and checks every field against it.
// INVALID_ARGUMENT naming source, function and field, e.g.
//   "functions.yaml: function 'resize': memorySize: 100 MB not allowed by aws-lambda (128..10240)".
Status ResolveFunctionSpec(const ProviderProfile& profile, FunctionSpec* spec);

std::string_view HandlerKindName(HandlerKind k);  // "builtin" | "bootstrap" | "image"

}  // namespace sl::faas

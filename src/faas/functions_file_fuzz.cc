// libFuzzer target for functions files (functions_file.h): the serverless.yml-like YAML a user
// hands to `invoke --functions`, `platform serve` and `functions`. Contract checked:
// ParseFunctionsYaml returns OK or INVALID_ARGUMENT (never throws, whatever yaml-cpp makes of the
// text); an OK result is non-empty with unique names, a handler for every built-in function, an
// absolute normalized codeUri, absolute mounts, an image reference for image functions; and
// ResolveFunctionSpec against the aws-lambda profile either refuses the spec or leaves it within
// the profile's limits (allowed memory size, 0 < timeout <= max, instanceConcurrency in range,
// no reserved environment names).
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// functions_yaml). Seeds: fuzz/corpus/functions_yaml/, dictionary fuzz/yaml.dict.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "faas/economics/provider_profile.h"
#include "faas/function_spec.h"
#include "faas/functions_file.h"

namespace {

using namespace sl::faas;

void Check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "functions_file_fuzz: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

const ProviderProfile& Aws() {
  static const ProviderProfile p = [] {
    auto r = LoadProviderProfile("aws-lambda");
    Check(r.ok(), "load aws-lambda", r.ok() ? "" : r.status().ToString());
    return *r;
  }();
  return p;
}

bool AbsoluteNormal(const std::string& path) {
  return !path.empty() && path[0] == '/' && path.find("/./") == std::string::npos &&
         path.find("/../") == std::string::npos && path.find("//") == std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Aws();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto r = ParseFunctionsYaml(text, "fuzz.yaml", "/nonexistent/fuzz");
  if (!r.ok()) {
    Check(r.status().code() == sl::Code::kInvalidArgument, "error code", r.status().ToString());
    return 0;
  }
  Check(!r->empty(), "no functions accepted");
  std::set<std::string> names;
  for (FunctionSpec spec : *r) {
    Check(names.insert(spec.name).second, "a name declared twice accepted", spec.name);
    if (spec.kind == HandlerKind::kBuiltin) Check(!spec.handler.empty(), "builtin without handler");
    if (spec.kind == HandlerKind::kImage) Check(!spec.image.empty(), "image function without image");
    if (!spec.code_dir.empty()) Check(AbsoluteNormal(spec.code_dir), "codeUri", spec.code_dir);
    for (const auto& m : spec.mounts) Check(!m.path.empty() && m.path[0] == '/', "mount", m.path);
    sl::Status s = ResolveFunctionSpec(Aws(), &spec);
    if (!s.ok()) {
      Check(s.code() == sl::Code::kInvalidArgument, "resolve error code", s.ToString());
      continue;
    }
    Check(CheckMemorySize(Aws(), spec.memory_mb).ok(), "memory", std::to_string(spec.memory_mb));
    Check(spec.timeout_s > 0 && std::isfinite(spec.timeout_s) &&
              spec.timeout_s <= Aws().max_timeout_s,
          "timeout", std::to_string(spec.timeout_s));
    Check(spec.instance_concurrency >= 1 &&
              spec.instance_concurrency <= std::max<int64_t>(1, Aws().max_concurrency_per_instance),
          "instanceConcurrency");
    Check(spec.reserved_concurrency >= 0 && spec.provisioned_concurrency >= 0, "concurrency");
    for (const auto& [k, v] : spec.environment) {
      Check(!k.empty() && k.find('=') == std::string::npos && k.rfind("AWS_", 0) != 0,
            "environment name", k);
    }
  }
  return 0;
}

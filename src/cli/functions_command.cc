// straightline functions list [--functions FILE]: the functions of a functions file, resolved
// against their provider profiles (what memory, CPU and limits each would run with); --json
// prints them as an array of objects.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "faas/economics/provider_profile.h"
#include "faas/functions_file.h"

namespace sl::cli {

int RunFunctions(const Args& args) {
  FlagSet flags("straightline functions", "list: the functions declared in a functions file.");
  std::string action, functions = "functions.yaml";
  flags.Positional("action", &action, "list");
  flags.String("functions", &functions, "functions YAML file");
  bool json = false;
  flags.Bool("json", &json, "print a JSON array, one object per function");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (action != "list") {
    fmt::print(stderr, "unknown action '{}' (list)\n", action);
    return 2;
  }
  auto specs = faas::LoadFunctionsFile(functions);
  if (!specs.ok()) {
    fmt::print(stderr, "{}\n", specs.status().ToString());
    return 2;
  }
  if (!json) {
    fmt::print("{:<24} {:<9} {:<22} {:<26} {:>7} {:>8} {:>6} {:>8} {}\n", "NAME", "RUNTIME",
               "HANDLER", "PROVIDER", "MEM_MB", "TIMEOUT", "VCPU", "RESERVED", "KEEP_ALIVE");
  }
  nlohmann::json rows = nlohmann::json::array();
  int rc = 0;
  for (auto& spec : *specs) {
    auto profile = faas::LoadProviderProfile(spec.provider);
    Status r = profile.ok() ? faas::ResolveFunctionSpec(*profile, &spec) : profile.status();
    if (!r.ok()) {
      fmt::print(stderr, "{}\n", r.ToString());
      rc = 2;
      continue;
    }
    if (json) {
      rows.push_back({{"name", spec.name},
                      {"runtime", faas::HandlerKindName(spec.kind)},
                      {"handler", spec.handler},
                      {"code_dir", spec.code_dir.empty() ? nlohmann::json() : nlohmann::json(spec.code_dir)},
                      {"provider", spec.provider},
                      {"memory_mb", spec.memory_mb},
                      {"timeout_s", spec.timeout_s},
                      {"vcpu", faas::VcpuForMemory(*profile, spec.memory_mb)},
                      {"reserved_concurrency", spec.reserved_concurrency},
                      {"provisioned_concurrency", spec.provisioned_concurrency},
                      {"instance_concurrency", spec.instance_concurrency},
                      {"keep_alive", spec.keep_alive},
                      {"environment", spec.environment}});
      continue;
    }
    fmt::print("{:<24} {:<9} {:<22} {:<26} {:>7} {:>7.0f}s {:>6.3f} {:>8} {}\n", spec.name,
               faas::HandlerKindName(spec.kind), spec.handler, spec.provider, spec.memory_mb,
               spec.timeout_s, faas::VcpuForMemory(*profile, spec.memory_mb),
               spec.reserved_concurrency > 0 ? std::to_string(spec.reserved_concurrency) : "-",
               spec.keep_alive);
  }
  if (json) fmt::print("{}\n", rows.dump(2));
  return rc;
}

}  // namespace sl::cli

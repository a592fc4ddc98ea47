// straightline functions list [--functions FILE]: the functions of a functions file, resolved
// against their provider profiles (what memory, CPU and limits each would run with).
#include <fmt/format.h>

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
  fmt::print("{:<24} {:<9} {:<22} {:<26} {:>7} {:>8} {:>6} {:>8} {}\n", "NAME", "RUNTIME",
             "HANDLER", "PROVIDER", "MEM_MB", "TIMEOUT", "VCPU", "RESERVED", "KEEP_ALIVE");
  int rc = 0;
  for (auto& spec : *specs) {
    auto profile = faas::LoadProviderProfile(spec.provider);
    Status r = profile.ok() ? faas::ResolveFunctionSpec(*profile, &spec) : profile.status();
    if (!r.ok()) {
      fmt::print(stderr, "{}\n", r.ToString());
      rc = 2;
      continue;
    }
    fmt::print("{:<24} {:<9} {:<22} {:<26} {:>7} {:>7.0f}s {:>6.3f} {:>8} {}\n", spec.name,
               faas::HandlerKindName(spec.kind), spec.handler, spec.provider, spec.memory_mb,
               spec.timeout_s, faas::VcpuForMemory(*profile, spec.memory_mb),
               spec.reserved_concurrency > 0 ? std::to_string(spec.reserved_concurrency) : "-",
               spec.keep_alive);
  }
  return rc;
}

}  // namespace sl::cli

// straightline version [--json]: the program's name and version.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/flags.h"

namespace sl::cli {

int RunVersion(const Args& args) {
  FlagSet flags("straightline version", "Print the version of straightline.");
  bool json = false;
  flags.Bool("json", &json, "print {\"name\": ..., \"version\": ...}");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  constexpr const char* kVersion = "0.1.0";
  if (json) {
    fmt::print("{}\n", nlohmann::json{{"name", "straightline"}, {"version", kVersion}}.dump());
  } else {
    fmt::print("straightline {}\n", kVersion);
  }
  return 0;
}

}  // namespace sl::cli

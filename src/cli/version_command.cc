#include <fmt/format.h>

#include "cli/commands.h"
#include "common/flags.h"

namespace sl::cli {

int RunVersion(const Args& args) {
  FlagSet flags("straightline version", "Print the version of straightline.");
  Status s = flags.Parse(args);
  if (!s.ok()) {
    fmt::print(stderr, "{}\n", s.message());
    return 2;
  }
  if (flags.help_requested()) {
    fmt::print("{}", flags.Help());
    return 0;
  }
  fmt::print("straightline 0.1.0\n");
  return 0;
}

}  // namespace sl::cli

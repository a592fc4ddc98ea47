#include <fmt/core.h>

#include "cli/commands.h"
#include "common/flags.h"

namespace sl::cli {

int ParseFlagsOrExit(FlagSet& flags, const Args& args) {
  Status s = flags.Parse(args);
  // --help wins over a parse error (e.g. a missing required argument) so that help always works.
  if (flags.help_requested()) {
    fmt::print("{}", flags.Help());
    return 0;
  }
  if (!s.ok()) {
    fmt::print(stderr, "{}\n", s.message());
    return 2;
  }
  return -1;
}

}  // namespace sl::cli

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/flags.h"

namespace sl::cli {

int RunVersion(const Args& args) {
  FlagSet flags("straightline version", "Print the version of straightline.");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  fmt::print("straightline 0.1.0\n");
  return 0;
}

}  // namespace sl::cli

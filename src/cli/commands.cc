#include "cli/commands.h"

namespace sl::cli {

// One line per subcommand; each is defined in its own <name>_command.cc.
// (Add yours here and declare it in the block below.)
#define SL_DECLARE_COMMAND(fn) int fn(const Args& args);
SL_DECLARE_COMMAND(RunVersion)
SL_DECLARE_COMMAND(RunStore)
#undef SL_DECLARE_COMMAND

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> commands = {
      {"version", "print the version and the build's libraries", RunVersion},
      {"store", "inspect an object store: ls|put|get|cat|rm|stat s3://... or file://...", RunStore},
  };
  return commands;
}

}  // namespace sl::cli

// The subcommands of the `straightline` executable, one file each (cli/<name>_command.cc).
// Each takes the arguments after its name and returns the process exit code:
// 0 success, 1 the work failed, 2 bad usage (the message names the flag or argument).
#pragma once

#include <string>
#include <vector>

namespace sl {
class FlagSet;
}

namespace sl::cli {

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Args& args);
};

// Parses `args` into `flags` (common/flags.h). Returns -1 when the command should go on, else the
// exit code to return at once: 0 after printing --help, 2 after printing the parse error (which
// names the flag or argument) to stderr.
int ParseFlagsOrExit(FlagSet& flags, const Args& args);

// Every registered subcommand, in the order `straightline --help` lists them.
const std::vector<Command>& AllCommands();

}  // namespace sl::cli

// The subcommands of the `straightline` executable, one file each (cli/<name>_command.cc).
// Each takes the arguments after its name and returns the process exit code:
// 0 success, 1 the work failed, 2 bad usage (the message names the flag or argument).
//
// Two programs share this table. `straightline` is torch-free, so that the commands that need no
// model (invoke, store, platform, logs, load, ...) start in milliseconds instead of the ~0.4 s
// that loading libtorch costs; it runs the commands that do need libtorch (train, eval, predict,
// model, serve, calibrate) by exec'ing `straightline-ml` from its own directory with the same
// arguments. `straightline-ml` runs every command in-process (it is what images ship as
// /usr/local/bin/straightline).
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
  // Null in `straightline` for a command that needs libtorch: main() execs straightline-ml.
  int (*run)(const Args& args);
};

// Parses `args` into `flags` (common/flags.h). Returns -1 when the command should go on, else the
// exit code to return at once: 0 after printing --help, 2 after printing the parse error (which
// names the flag or argument) to stderr.
int ParseFlagsOrExit(FlagSet& flags, const Args& args);

// Every registered subcommand, in the order `straightline --help` lists them.
const std::vector<Command>& AllCommands();

// The directory of the running executable (/proc/self/exe), "." if it cannot be read.
std::string ExecutableDir();

// Replaces this process with straightline-ml (ExecutableDir()/straightline-ml, or
// $STRAIGHTLINE_ML when set) given the same argv. Returns only on failure, after printing to
// stderr why (naming the path and the command), with the exit code to return (127: not found).
int ExecMlProgram(const std::string& command, char** argv);

}  // namespace sl::cli

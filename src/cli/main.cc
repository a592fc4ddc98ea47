// `straightline`: dispatches to one subcommand per file (see commands.h / commands.cc).
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/malloc_tuning.h"

namespace {

void PrintUsage(std::FILE* out) {
  fmt::print(out,
             "straightline: train and serve ML models on serverless functions, with a "
             "resource-aware scheduler.\n\nusage: straightline COMMAND [flags]\n\ncommands:\n");
  for (const auto& c : sl::cli::AllCommands()) fmt::print(out, "  {:<12} {}\n", c.name, c.summary);
  fmt::print(out, "\nRun 'straightline COMMAND --help' for the flags of one command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  sl::TuneMallocForTensorWork();  // before any thread starts; see common/malloc_tuning.h
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (name == "--version") {
    fmt::print("straightline 0.1.0\n");
    return 0;
  }
  for (const auto& c : sl::cli::AllCommands()) {
    if (name == c.name) return c.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  fmt::print(stderr, "straightline: unknown command '{}'\n\n", name);
  PrintUsage(stderr);
  return 2;
}

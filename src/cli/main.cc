// `straightline` and `straightline-ml`: dispatch to one subcommand per file (see commands.h for
// which program runs which command).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
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

// STRAIGHTLINE_<COMMAND>_ARGS (e.g. STRAIGHTLINE_TRAIN_ARGS="--limit 2000 --epochs 1"): flags appended
// to every command line of that command, after the ones given (before a "--"), so that they win
// (the last value of a flag is the one used; list flags add to it). Meant for running documented examples scaled down (scripts/readme-test.py)
// and for site-wide defaults; split on whitespace, no quoting. Said on stderr, never silent.
std::vector<std::string> ArgsFromEnvironment(const std::string& command) {
  std::string var = "STRAIGHTLINE_";
  for (char c : command) var += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  var += "_ARGS";
  std::vector<std::string> out;
  const char* v = std::getenv(var.c_str());
  if (v == nullptr) return out;
  std::string cur;
  for (const char* p = v;; ++p) {
    if (*p == '\0' || std::isspace(static_cast<unsigned char>(*p))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      if (*p == '\0') break;
    } else {
      cur += *p;
    }
  }
  if (!out.empty()) {
    std::string joined;
    for (const auto& a : out) joined += " " + a;
    fmt::print(stderr, "straightline {}: appending{} (from {})\n", command, joined, var);
  }
  return out;
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
    if (name == c.name) {
      // A command that needs libtorch, in the torch-free front: straightline-ml runs it with the
      // arguments as given (and appends STRAIGHTLINE_<COMMAND>_ARGS itself, once).
      if (c.run == nullptr) return sl::cli::ExecMlProgram(name, argv);
      std::vector<std::string> args(argv + 2, argv + argc);
      auto extra = ArgsFromEnvironment(name);
      auto at = std::find(args.begin(), args.end(), "--");  // flags go before a "--", if any
      args.insert(at, extra.begin(), extra.end());
      return c.run(args);
    }
  }
  fmt::print(stderr, "straightline: unknown command '{}'\n\n", name);
  PrintUsage(stderr);
  return 2;
}

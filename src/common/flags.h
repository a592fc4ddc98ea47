// FlagSet: the command-line parser every subcommand uses, so that all of them accept
// --name value, --name=value, --bool / --no-bool, positionals, and --help the same way.
//
//   FlagSet flags("straightline train", "Train a model in one process.");
//   std::string dataset = "fashion-mnist";
//   flags.String("dataset", &dataset, "dataset name or path");
//   Status s = flags.Parse(args);   // args exclude the subcommand itself
//   if (flags.help_requested()) { fmt::print("{}", flags.Help()); return 0; }
//
// Errors name the flag and what was wrong ("--epochs: 'x' is not an integer").
// Thread safety: none needed; used once per process.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl {

class FlagSet {
 public:
  FlagSet(std::string command, std::string description);

  void String(const std::string& name, std::string* target, std::string help);
  void Int(const std::string& name, int64_t* target, std::string help);
  void Double(const std::string& name, double* target, std::string help);
  void Bool(const std::string& name, bool* target, std::string help);
  // Repeatable string flag: each occurrence appends.
  void List(const std::string& name, std::vector<std::string>* target, std::string help);
  // Positional arguments in order; required ones must be present.
  void Positional(const std::string& name, std::string* target, std::string help, bool required = true);
  // Collects every positional left after the declared ones (for "store put SRC... DST" shapes).
  void Rest(const std::string& name, std::vector<std::string>* target, std::string help);

  Status Parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_requested_; }
  // True if the flag appeared on the command line.
  bool IsSet(const std::string& name) const { return seen_.count(name) > 0; }
  std::string Help() const;

 private:
  struct Flag {
    std::string name;
    std::string kind;  // "string" | "int" | "double" | "bool" | "list"
    std::string help;
    std::string default_text;
    std::function<Status(const std::string&)> set;
  };
  struct Pos {
    std::string name;
    std::string* target;
    std::string help;
    bool required;
  };

  std::string command_;
  std::string description_;
  std::vector<Flag> flags_;
  std::map<std::string, size_t> by_name_;
  std::vector<Pos> positionals_;
  std::vector<std::string>* rest_ = nullptr;
  std::string rest_name_, rest_help_;
  std::map<std::string, int> seen_;
  bool help_requested_ = false;
};

// Values of a List flag that may be given comma-separated ("a,b") or repeated, flattened in
// order; empty items are dropped.
std::vector<std::string> SplitCommaList(const std::vector<std::string>& items);

}  // namespace sl

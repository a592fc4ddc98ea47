#include "common/flags.h"

#include <charconv>
#include <cstdlib>

namespace sl {

FlagSet::FlagSet(std::string command, std::string description)
    : command_(std::move(command)), description_(std::move(description)) {}

void FlagSet::String(const std::string& name, std::string* target, std::string help) {
  by_name_[name] = flags_.size();
  flags_.push_back({name, "string", std::move(help), target->empty() ? "" : "\"" + *target + "\"",
                    [target](const std::string& v) {
                      *target = v;
                      return Status::Ok();
                    }});
}

void FlagSet::Int(const std::string& name, int64_t* target, std::string help) {
  by_name_[name] = flags_.size();
  flags_.push_back({name, "int", std::move(help), std::to_string(*target),
                    [target, name](const std::string& v) {
                      int64_t out = 0;
                      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
                      if (ec != std::errc() || p != v.data() + v.size()) {
                        return InvalidArgument("--{}: '{}' is not an integer", name, v);
                      }
                      *target = out;
                      return Status::Ok();
                    }});
}

void FlagSet::Double(const std::string& name, double* target, std::string help) {
  by_name_[name] = flags_.size();
  flags_.push_back({name, "double", std::move(help), fmt::format("{}", *target),
                    [target, name](const std::string& v) {
                      char* end = nullptr;
                      double out = std::strtod(v.c_str(), &end);
                      if (v.empty() || end != v.c_str() + v.size()) {
                        return InvalidArgument("--{}: '{}' is not a number", name, v);
                      }
                      *target = out;
                      return Status::Ok();
                    }});
}

void FlagSet::Bool(const std::string& name, bool* target, std::string help) {
  by_name_[name] = flags_.size();
  flags_.push_back({name, "bool", std::move(help), *target ? "true" : "false",
                    [target, name](const std::string& v) {
                      if (v == "true" || v == "1" || v == "yes") {
                        *target = true;
                      } else if (v == "false" || v == "0" || v == "no") {
                        *target = false;
                      } else {
                        return InvalidArgument("--{}: '{}' is not true or false", name, v);
                      }
                      return Status::Ok();
                    }});
}

void FlagSet::List(const std::string& name, std::vector<std::string>* target, std::string help) {
  by_name_[name] = flags_.size();
  flags_.push_back({name, "list", std::move(help), "", [target](const std::string& v) {
                      target->push_back(v);
                      return Status::Ok();
                    }});
}

void FlagSet::Positional(const std::string& name, std::string* target, std::string help, bool required) {
  positionals_.push_back({name, target, std::move(help), required});
}

void FlagSet::Rest(const std::string& name, std::vector<std::string>* target, std::string help) {
  rest_ = target;
  rest_name_ = name;
  rest_help_ = std::move(help);
}

Status FlagSet::Parse(const std::vector<std::string>& args) {
  size_t next_pos = 0;
  bool only_positionals = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!only_positionals && a == "--") {
      only_positionals = true;
      continue;
    }
    if (!only_positionals && (a == "--help" || a == "-h")) {
      help_requested_ = true;
      return Status::Ok();
    }
    if (!only_positionals && a.size() > 2 && a.rfind("--", 0) == 0) {
      std::string name = a.substr(2);
      std::string value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      auto it = by_name_.find(name);
      if (it == by_name_.end() && !has_value && name.rfind("no-", 0) == 0) {
        auto neg = by_name_.find(name.substr(3));
        if (neg != by_name_.end() && flags_[neg->second].kind == "bool") {
          seen_[neg->first]++;
          SL_RETURN_IF_ERROR(flags_[neg->second].set("false"));
          continue;
        }
      }
      if (it == by_name_.end()) {
        return InvalidArgument("{}: unknown flag --{} (see --help)", command_, name);
      }
      Flag& f = flags_[it->second];
      if (!has_value) {
        if (f.kind == "bool") {
          value = "true";
        } else {
          if (i + 1 >= args.size()) return InvalidArgument("--{}: missing value", name);
          value = args[++i];
        }
      }
      seen_[name]++;
      SL_RETURN_IF_ERROR(f.set(value));
      continue;
    }
    if (next_pos < positionals_.size()) {
      *positionals_[next_pos].target = a;
      seen_[positionals_[next_pos].name]++;
      ++next_pos;
    } else if (rest_ != nullptr) {
      rest_->push_back(a);
    } else {
      return InvalidArgument("{}: unexpected argument '{}' (see --help)", command_, a);
    }
  }
  for (size_t p = next_pos; p < positionals_.size(); ++p) {
    if (positionals_[p].required) {
      return InvalidArgument("{}: missing argument {} (see --help)", command_, positionals_[p].name);
    }
  }
  return Status::Ok();
}

std::string FlagSet::Help() const {
  std::string usage = "usage: " + command_;
  if (!flags_.empty()) usage += " [flags]";
  for (const auto& p : positionals_) usage += p.required ? " " + p.name : " [" + p.name + "]";
  if (rest_ != nullptr) usage += " [" + rest_name_ + "...]";
  std::string out = usage + "\n\n" + description_ + "\n";
  if (!positionals_.empty() || rest_ != nullptr) {
    out += "\narguments:\n";
    for (const auto& p : positionals_) out += fmt::format("  {:<22} {}\n", p.name, p.help);
    if (rest_ != nullptr) out += fmt::format("  {:<22} {}\n", rest_name_ + "...", rest_help_);
  }
  out += "\nflags:\n";
  for (const auto& f : flags_) {
    std::string left = "--" + f.name;
    if (f.kind != "bool") left += " " + std::string(f.kind == "list" ? "V (repeatable)" : "V");
    std::string line = fmt::format("  {:<22} {}", left, f.help);
    if (!f.default_text.empty() && f.kind != "list") line += fmt::format(" (default {})", f.default_text);
    out += line + "\n";
  }
  out += fmt::format("  {:<22} {}\n", "--help", "show this help");
  return out;
}

std::vector<std::string> SplitCommaList(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    size_t start = 0;
    while (start <= item.size()) {
      size_t comma = item.find(',', start);
      if (comma == std::string::npos) comma = item.size();
      if (comma > start) out.push_back(item.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace sl

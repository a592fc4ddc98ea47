#include "train/report/stage_providers.h"

#include <algorithm>

#include <fmt/format.h>

#include "train/report/provider_comparison.h"

namespace sl::train {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::map<std::string, std::string>> ParseStageValues(std::string_view text,
                                                            const std::vector<std::string>& stages,
                                                            std::string_view flag) {
  std::map<std::string, std::string> out;
  text = Trim(text);
  if (text.empty()) return InvalidArgument("{}: empty value (give NAME or STAGE=NAME,...; stages: {})", flag, fmt::join(stages, ", "));
  if (text.find('=') == std::string_view::npos) {
    if (text.find(',') != std::string_view::npos) {
      return InvalidArgument("{}: '{}' lists several values without stages; write STAGE=VALUE,... (stages: {})", flag,
                             text, fmt::join(stages, ", "));
    }
    for (const auto& s : stages) out[s] = std::string(text);
    return out;
  }
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string_view item = Trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("{}: '{}' has no stage; in a list every item is STAGE=VALUE (stages: {})", flag, item,
                             fmt::join(stages, ", "));
    }
    const std::string stage(Trim(item.substr(0, eq)));
    const std::string value(Trim(item.substr(eq + 1)));
    if (std::find(stages.begin(), stages.end(), stage) == stages.end()) {
      return InvalidArgument("{}: unknown stage '{}' in '{}' (stages: {})", flag, stage, item, fmt::join(stages, ", "));
    }
    if (value.empty()) return InvalidArgument("{}: stage '{}' has an empty value", flag, stage);
    if (!out.emplace(stage, value).second) return InvalidArgument("{}: stage '{}' is given twice", flag, stage);
  }
  if (out.empty()) return InvalidArgument("{}: '{}' names no stage (stages: {})", flag, text, fmt::join(stages, ", "));
  return out;
}

Result<std::map<std::string, StageProvider>> ResolveStageProviders(std::string_view text,
                                                                  const std::vector<std::string>& stages,
                                                                  std::string_view flag, const std::string& fallback) {
  SL_ASSIGN_OR_RETURN(auto named, ParseStageValues(text, stages, flag));
  std::map<std::string, StageProvider> out;
  for (const auto& stage : stages) {
    auto it = named.find(stage);
    const std::string raw = it != named.end() ? it->second : fallback;
    const std::string argument = CanonicalProviderName(raw);
    auto p = faas::LoadProviderProfile(argument);
    if (!p.ok()) {
      return Status(p.status().code(), fmt::format("{}: stage '{}': provider '{}': {}", flag, stage, raw, p.status().message()));
    }
    if (p->kind != faas::ProfileKind::kFunction) {
      return InvalidArgument("{}: stage '{}': '{}' is a VM profile, not a function provider", flag, stage, raw);
    }
    out.emplace(stage, StageProvider{argument, std::move(*p)});
  }
  return out;
}

std::string StageValuesLabel(const std::map<std::string, std::string>& values, const std::vector<std::string>& stages) {
  std::vector<std::string> parts;
  std::string first;
  bool same = true;
  for (const auto& s : stages) {
    auto it = values.find(s);
    if (it == values.end()) continue;
    if (parts.empty()) first = it->second;
    same = same && it->second == first;
    parts.push_back(fmt::format("{}={}", s, it->second));
  }
  if (same) return first;
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace sl::train

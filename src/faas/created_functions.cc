#include "faas/created_functions.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "common/file_util.h"

namespace sl::faas {
namespace {

nlohmann::json ToJson(const FunctionSpec& s) {
  return {{"name", s.name},           {"handler", s.handler},     {"provider", s.provider},
          {"memory_mb", s.memory_mb}, {"timeout_s", s.timeout_s}, {"environment", s.environment}};
}

Result<FunctionSpec> FromJson(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return DataLoss("{}: not a JSON object", where);
  FunctionSpec s;
  try {
    s.name = j.at("name").get<std::string>();
    s.handler = j.at("handler").get<std::string>();
    s.provider = j.value("provider", s.provider);
    s.memory_mb = j.value("memory_mb", int64_t{0});
    s.timeout_s = j.value("timeout_s", 0.0);
    s.environment = j.value("environment", std::map<std::string, std::string>{});
  } catch (const nlohmann::json::exception& e) {
    return DataLoss("{}: {}", where, e.what());
  }
  s.kind = HandlerKind::kBuiltin;
  s.source = "CreateFunction (" + where + ")";
  return s;
}

}  // namespace

Result<std::vector<FunctionSpec>> CreatedFunctionsFile::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  specs_.clear();
  loaded_ = true;
  if (!PathExists(path_)) return specs_;
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path_));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("functions") || !j["functions"].is_array()) {
    return DataLoss("{}: not a created-functions file (want {{\"functions\": [...]}})", path_);
  }
  for (size_t i = 0; i < j["functions"].size(); ++i) {
    SL_ASSIGN_OR_RETURN(FunctionSpec s, FromJson(j["functions"][i], fmt::format("{}: functions[{}]", path_, i)));
    specs_.push_back(std::move(s));
  }
  return specs_;
}

Status CreatedFunctionsFile::Add(const FunctionSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(specs_, [&](const FunctionSpec& s) { return s.name == spec.name; });
  specs_.push_back(spec);
  return WriteLocked();
}

Status CreatedFunctionsFile::Remove(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(specs_, [&](const FunctionSpec& s) { return s.name == name; });
  return WriteLocked();
}

Status CreatedFunctionsFile::WriteLocked() {
  // The folder is private (0700) before the first write, so the file is never readable by others
  // even between WriteFileAtomic's rename and the chmod below.
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  if (!dir.empty() && !PathExists(dir) && ::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Internal("{}: cannot create the folder: {}", dir, std::strerror(errno));
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : specs_) list.push_back(ToJson(s));
  SL_RETURN_IF_ERROR(WriteFileAtomic(path_, nlohmann::json{{"functions", list}}.dump(2) + "\n"));
  if (::chmod(path_.c_str(), 0600) != 0) return Internal("{}: chmod 0600: {}", path_, std::strerror(errno));
  return Status::Ok();
}

}  // namespace sl::faas

#include "faas/front/create_function.h"

#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "faas/front/lambda_front.h"

namespace sl::faas {
namespace {

constexpr std::string_view kOnlyBuiltins =
    "this platform creates only functions that run a straightline built-in handler (Handler = "
    "the handler's name, Runtime straightline-builtin, no Code)";

Result<std::string> OptionalString(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgument("{}: must be a string", key);
  return it->get<std::string>();
}

Result<int64_t> OptionalPositiveInt(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return int64_t{0};
  if (!it->is_number_integer()) return InvalidArgument("{}: must be an integer", key);
  int64_t v = it->get<int64_t>();
  if (v <= 0) return InvalidArgument("{}: {} must be positive", key, v);
  return v;
}

}  // namespace

Result<CreateFunctionRequest> ParseCreateFunctionRequest(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("CreateFunction: the request body must be a JSON object");
  }
  CreateFunctionRequest r;
  SL_ASSIGN_OR_RETURN(std::string raw_name, OptionalString(j, "FunctionName"));
  if (raw_name.empty()) return InvalidArgument("FunctionName: required");
  SL_ASSIGN_OR_RETURN(r.name, ParseFunctionName(raw_name, {}));

  SL_ASSIGN_OR_RETURN(std::string package_type, OptionalString(j, "PackageType"));
  if (!package_type.empty() && package_type != "Zip") {
    return InvalidArgument("PackageType '{}' is not supported: {}", package_type, kOnlyBuiltins);
  }
  if (auto code = j.find("Code"); code != j.end() && !code->is_null()) {
    if (!code->is_object()) return InvalidArgument("Code: must be an object");
    std::vector<std::string> given;
    for (const char* member : {"ZipFile", "S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri"}) {
      auto m = code->find(member);
      if (m != code->end() && !m->is_null() && !(m->is_string() && m->get<std::string>().empty())) {
        given.push_back(std::string("Code.") + member);
      }
    }
    if (!given.empty()) {
      return InvalidArgument("{} not supported: {}", fmt::join(given, ", "), kOnlyBuiltins);
    }
  }
  SL_ASSIGN_OR_RETURN(r.runtime, OptionalString(j, "Runtime"));
  if (!r.runtime.empty() && r.runtime != "straightline-builtin" &&
      r.runtime.rfind("provided", 0) != 0) {
    return InvalidArgument("Runtime '{}' is not supported: {}", r.runtime, kOnlyBuiltins);
  }
  SL_ASSIGN_OR_RETURN(r.handler, OptionalString(j, "Handler"));
  if (r.handler.empty()) {
    return InvalidArgument("Handler: required here: the name of a straightline built-in handler");
  }
  SL_ASSIGN_OR_RETURN(r.description, OptionalString(j, "Description"));
  SL_ASSIGN_OR_RETURN(r.role, OptionalString(j, "Role"));
  SL_ASSIGN_OR_RETURN(r.memory_mb, OptionalPositiveInt(j, "MemorySize"));
  SL_ASSIGN_OR_RETURN(r.timeout_s, OptionalPositiveInt(j, "Timeout"));
  if (auto env = j.find("Environment"); env != j.end() && !env->is_null()) {
    if (!env->is_object()) return InvalidArgument("Environment: must be an object");
    if (auto vars = env->find("Variables"); vars != env->end() && !vars->is_null()) {
      if (!vars->is_object()) return InvalidArgument("Environment.Variables: must be an object");
      for (const auto& [k, v] : vars->items()) {
        if (!v.is_string()) {
          return InvalidArgument("Environment.Variables.{}: must be a string", k);
        }
        r.environment[k] = v.get<std::string>();
      }
    }
  }
  return r;
}

}  // namespace sl::faas

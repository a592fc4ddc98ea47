#include "faas/front/function_configuration.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "common/sha256.h"

namespace sl::faas {

bool LooksLikeSecretName(std::string_view env_name) {
  std::string upper(env_name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string_view word : {"SECRET", "PASSWORD", "PASSWD", "TOKEN", "PRIVATE", "CREDENTIAL",
                                "API_KEY", "APIKEY", "SESSION_KEY"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string RedactedEnvValue(std::string_view value) {
  return "redacted:sha256:" + Sha256Hex(value);
}

nlohmann::json FunctionConfigurationJson(const FunctionSummary& f, std::string_view region,
                                         std::string_view account_id) {
  nlohmann::json j = {
      {"FunctionName", f.name},
      {"FunctionArn", fmt::format("arn:aws:lambda:{}:{}:function:{}", region, account_id, f.name)},
      {"Runtime", f.runtime},
      {"Handler", f.handler},
      {"Description", f.description},
      {"MemorySize", f.memory_mb},
      {"Timeout", static_cast<int64_t>(std::ceil(f.timeout_s))},
      {"Version", "$LATEST"},
      {"PackageType", "Zip"},
      {"State", "Active"},
      {"LastUpdateStatus", "Successful"},
      {"Architectures", {"x86_64"}},
  };
  if (!f.environment.empty()) {
    nlohmann::json vars = nlohmann::json::object();
    for (const auto& [k, v] : f.environment) {
      vars[k] = LooksLikeSecretName(k) ? RedactedEnvValue(v) : v;
    }
    j["Environment"] = {{"Variables", std::move(vars)}};
  }
  return j;
}

}  // namespace sl::faas

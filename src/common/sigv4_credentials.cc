#include "common/sigv4_credentials.h"

#include <algorithm>
#include <utility>

#include "common/aws_ini.h"
#include "common/file_util.h"

namespace sl {

Result<std::vector<AwsProfileCredentials>> ParseAwsCredentials(std::string_view text,
                                                               std::string_view source) {
  SL_ASSIGN_OR_RETURN(AwsIniFile ini, ParseAwsIni(text, std::string(source)));
  // File order, as the sections were written.
  std::vector<std::pair<int, std::string>> order;
  for (const auto& [name, line] : ini.section_lines) order.emplace_back(line, name);
  std::sort(order.begin(), order.end());
  std::vector<AwsProfileCredentials> out;
  for (const auto& [line, name] : order) {
    const AwsIniSection& section = ini.sections.at(name);
    auto value = [&](const char* key) {
      auto it = section.find(key);
      return it == section.end() ? std::string() : it->second.value;
    };
    AwsProfileCredentials p;
    p.profile = name.starts_with("profile ") ? name.substr(8) : name;
    while (!p.profile.empty() && p.profile.front() == ' ') p.profile.erase(0, 1);
    p.credentials.access_key_id = value("aws_access_key_id");
    p.credentials.secret_access_key = value("aws_secret_access_key");
    p.credentials.session_token = value("aws_session_token");
    const AwsCredentials& c = p.credentials;
    if (c.access_key_id.empty() && c.secret_access_key.empty()) continue;  // e.g. only region = ...
    if (c.access_key_id.empty() || c.secret_access_key.empty()) {
      return InvalidArgument("{}:{}: profile '{}' has {} but no {}", source, line, p.profile,
                             c.access_key_id.empty() ? "aws_secret_access_key" : "aws_access_key_id",
                             c.access_key_id.empty() ? "aws_access_key_id" : "aws_secret_access_key");
    }
    if (p.profile.empty()) return InvalidArgument("{}:{}: empty profile name", source, line);
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<AwsProfileCredentials>> ReadAwsCredentialsFile(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseAwsCredentials(text, path);
}

}  // namespace sl

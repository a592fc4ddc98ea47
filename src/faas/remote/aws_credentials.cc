#include "faas/remote/aws_credentials.h"

#include <cctype>
#include <cstdlib>

#include "common/file_util.h"

namespace sl::faas {
namespace {

std::string Get(const EnvLookup& env, std::string_view name) {
  auto v = env(name);
  return v ? *v : std::string();
}

// A file path from an override variable, else ~/.aws/<leaf>; "" when neither can be formed.
std::string SharedFile(const EnvLookup& env, std::string_view var, std::string_view leaf) {
  std::string p = Get(env, var);
  if (!p.empty()) {
    if (p.starts_with("~/")) {
      std::string home = Get(env, "HOME");
      if (!home.empty()) p = home + p.substr(1);
    }
    return p;
  }
  std::string home = Get(env, "HOME");
  if (home.empty()) return "";
  return fmt::format("{}/.aws/{}", home, leaf);
}

// The file parsed, or nullopt when it does not exist.
Result<std::optional<AwsIniFile>> LoadIni(const std::string& path) {
  if (path.empty() || !PathExists(path)) return std::optional<AwsIniFile>();
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  SL_ASSIGN_OR_RETURN(AwsIniFile ini, ParseAwsIni(*text, path));
  return std::optional<AwsIniFile>(std::move(ini));
}

// Credentials from one section; nullopt when the section has neither key.
Result<std::optional<AwsCredentials>> FromSection(const AwsIniFile& ini, const std::string& section) {
  auto it = ini.sections.find(section);
  if (it == ini.sections.end()) return std::optional<AwsCredentials>();
  const AwsIniSection& s = it->second;
  auto id = s.find("aws_access_key_id");
  auto secret = s.find("aws_secret_access_key");
  if (id == s.end() && secret == s.end()) return std::optional<AwsCredentials>();
  int line = ini.section_lines.count(section) ? ini.section_lines.at(section) : 0;
  if (id == s.end() || id->second.value.empty()) {
    return InvalidArgument("{}:{}: [{}]: aws_access_key_id is missing or empty (the section has "
                           "aws_secret_access_key; both are needed)",
                           ini.path, id == s.end() ? line : id->second.line, section);
  }
  if (secret == s.end() || secret->second.value.empty()) {
    return InvalidArgument("{}:{}: [{}]: aws_secret_access_key is missing or empty (the section "
                           "has aws_access_key_id {}; both are needed)",
                           ini.path, secret == s.end() ? line : secret->second.line, section,
                           id->second.value);
  }
  AwsCredentials c;
  c.access_key_id = id->second.value;
  c.secret_access_key = secret->second.value;
  if (auto t = s.find("aws_session_token"); t != s.end()) c.session_token = t->second.value;
  return std::optional<AwsCredentials>(std::move(c));
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<ResolvedCredentials> ResolveAwsCredentials(const EnvLookup& env) {
  std::string id = Get(env, "AWS_ACCESS_KEY_ID");
  std::string secret = Get(env, "AWS_SECRET_ACCESS_KEY");
  if (!id.empty() || !secret.empty()) {
    if (id.empty()) return InvalidArgument("environment: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    if (secret.empty()) {
      return InvalidArgument("environment: AWS_ACCESS_KEY_ID ({}) is set but AWS_SECRET_ACCESS_KEY is not", id);
    }
    ResolvedCredentials r;
    r.credentials.access_key_id = id;
    r.credentials.secret_access_key = secret;
    r.credentials.session_token = Get(env, "AWS_SESSION_TOKEN");
    r.source = "environment";
    return r;
  }
  std::string profile = Get(env, "AWS_PROFILE");
  if (profile.empty()) profile = "default";

  std::string cred_path = SharedFile(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  SL_ASSIGN_OR_RETURN(auto cred_file, LoadIni(cred_path));
  if (cred_file) {
    SL_ASSIGN_OR_RETURN(auto c, FromSection(*cred_file, profile));
    if (c) return ResolvedCredentials{*c, fmt::format("{} [{}]", cred_path, profile)};
  }
  std::string config_path = SharedFile(env, "AWS_CONFIG_FILE", "config");
  SL_ASSIGN_OR_RETURN(auto config_file, LoadIni(config_path));
  std::string config_section = profile == "default" ? "default" : "profile " + profile;
  if (config_file) {
    SL_ASSIGN_OR_RETURN(auto c, FromSection(*config_file, config_section));
    if (c) return ResolvedCredentials{*c, fmt::format("{} [{}]", config_path, config_section)};
  }
  auto where = [](const std::string& path, bool exists) {
    if (path.empty()) return std::string("(no HOME, so no ~/.aws file)");
    return exists ? path : path + " (no such file)";
  };
  return NotFound(
      "no AWS credentials: looked in the environment (AWS_ACCESS_KEY_ID / "
      "AWS_SECRET_ACCESS_KEY), in {} section [{}] and in {} section [{}] (profile from "
      "AWS_PROFILE, default 'default'). Set the variables, or run `aws configure`",
      where(cred_path, cred_file.has_value()), profile, where(config_path, config_file.has_value()),
      config_section);
}

Result<std::string> ResolveAwsRegion(const EnvLookup& env) {
  for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    std::string r = Get(env, var);
    if (!r.empty()) return r;
  }
  std::string profile = Get(env, "AWS_PROFILE");
  if (profile.empty()) profile = "default";
  std::string config_path = SharedFile(env, "AWS_CONFIG_FILE", "config");
  SL_ASSIGN_OR_RETURN(auto config_file, LoadIni(config_path));
  if (!config_file) return std::string();
  std::string section = profile == "default" ? "default" : "profile " + profile;
  auto it = config_file->sections.find(section);
  if (it == config_file->sections.end()) return std::string();
  auto r = it->second.find("region");
  if (r == it->second.end()) return std::string();
  if (r->second.value.empty()) {
    return InvalidArgument("{}:{}: [{}]: region is empty", config_path, r->second.line, section);
  }
  return r->second.value;
}

}  // namespace sl::faas

#include "faas/remote/aws_credentials.h"

#include <cctype>
#include <cstdlib>

#include "common/file_util.h"

namespace sl::faas {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

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

Result<AwsIniFile> ParseAwsIni(std::string_view text, const std::string& path) {
  AwsIniFile ini;
  ini.path = path;
  std::string section;
  bool have_section = false;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    std::string line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    // Indented lines continue a nested setting (e.g. "s3 =\n  max_concurrent_requests = 4").
    if (raw[0] == ' ' || raw[0] == '\t') {
      if (!have_section) return InvalidArgument("{}:{}: indented line outside any section", path, line_no);
      continue;
    }
    if (line[0] == '[') {
      if (line.back() != ']') {
        return InvalidArgument("{}:{}: section header '{}' has no closing ']'", path, line_no, line);
      }
      section = Trim(std::string_view(line).substr(1, line.size() - 2));
      if (section.empty()) return InvalidArgument("{}:{}: empty section name '[]'", path, line_no);
      have_section = true;
      ini.sections[section];
      ini.section_lines[section] = line_no;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      // The key, not the value: a secret pasted on its own line must not be echoed.
      bool word = line.size() <= 40;
      for (char c : line) word = word && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
      std::string shown = word ? "'" + line + "'" : fmt::format("a line of {} characters", line.size());
      return InvalidArgument("{}:{}: expected 'key = value', got {}", path, line_no, shown);
    }
    std::string key = Trim(std::string_view(line).substr(0, eq));
    std::string value = Trim(std::string_view(line).substr(eq + 1));
    if (key.empty()) return InvalidArgument("{}:{}: a line with '=' but no key", path, line_no);
    if (!have_section) {
      return InvalidArgument("{}:{}: key '{}' outside any [section]", path, line_no, key);
    }
    ini.sections[section][key] = AwsIniValue{value, line_no};
  }
  return ini;
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

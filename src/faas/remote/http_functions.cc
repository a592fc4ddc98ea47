#include "faas/remote/http_functions.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "common/file_util.h"
#include "common/sigv4.h"

namespace sl::faas {
namespace {

struct Ctx {
  const std::string& file;
  std::string function;  // "" for provider.http
  Status Err(std::string_view key, std::string_view what) const {
    if (function.empty()) return InvalidArgument("{}: provider: http.{}: {}", file, key, what);
    return InvalidArgument("{}: function '{}': {}: {}", file, function, key, what);
  }
};

Result<std::string> Str(const Ctx& c, const YAML::Node& n, std::string_view key) {
  if (!n.IsScalar()) return c.Err(key, "must be a string");
  return n.Scalar();
}

Result<double> Num(const Ctx& c, const YAML::Node& n, std::string_view key) {
  try {
    return n.as<double>();
  } catch (const YAML::Exception&) {
    return c.Err(key, fmt::format("'{}' is not a number", n.IsScalar() ? n.Scalar() : "?"));
  }
}

Status Headers(const Ctx& c, const YAML::Node& n, std::string_view key,
               std::vector<std::pair<std::string, std::string>>* out) {
  if (!n.IsMap()) return c.Err(key, "must be a map of Header-Name: value");
  for (const auto& kv : n) {
    std::string name = kv.first.Scalar();
    SL_ASSIGN_OR_RETURN(std::string v, Str(c, kv.second, fmt::format("{}.{}", key, name)));
    bool replaced = false;
    for (auto& [k, old] : *out) {
      if (k == name) {
        old = v;
        replaced = true;
      }
    }
    if (!replaced) out->emplace_back(name, v);
  }
  return Status::Ok();
}

Status Auth(const Ctx& c, const YAML::Node& n, HttpAuth* auth) {
  if (!n.IsMap()) return c.Err("auth", "must be a map (bearerTokenFile, bearerTokenEnv, functionKeyFile, "
                                       "functionKeyEnv, functionKeyIn)");
  *auth = HttpAuth{};
  for (const auto& kv : n) {
    std::string k = kv.first.Scalar();
    std::string key = "auth." + k;
    SL_ASSIGN_OR_RETURN(std::string v, Str(c, kv.second, key));
    if (k == "bearerTokenFile") {
      auth->bearer_token_file = v;
    } else if (k == "bearerTokenEnv") {
      auth->bearer_token_env = v;
    } else if (k == "functionKeyFile") {
      auth->function_key_file = v;
    } else if (k == "functionKeyEnv") {
      auth->function_key_env = v;
    } else if (k == "functionKeyIn") {
      if (v != "header" && v != "query") return c.Err(key, fmt::format("'{}': must be header or query", v));
      auth->function_key_in_query = v == "query";
    } else {
      return c.Err(key, "unknown field (bearerTokenFile, bearerTokenEnv, functionKeyFile, functionKeyEnv, "
                        "functionKeyIn)");
    }
  }
  int bearer = !auth->bearer_token_file.empty() + !auth->bearer_token_env.empty();
  int key = !auth->function_key_file.empty() + !auth->function_key_env.empty();
  if (bearer > 1) return c.Err("auth", "give bearerTokenFile or bearerTokenEnv, not both");
  if (key > 1) return c.Err("auth", "give functionKeyFile or functionKeyEnv, not both");
  return Status::Ok();
}

Status CheckUrl(const Ctx& c, const std::string& url) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return c.Err("url", fmt::format("'{}' must start with http:// or https://", url));
  }
  return Status::Ok();
}

std::string TrimWs(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

Result<std::string> Secret(const HttpFunctionConfig& f, const EnvLookup& env, const std::string& file,
                           const std::string& var, std::string_view what) {
  if (!file.empty()) {
    auto text = ReadFileToString(file);
    if (!text.ok()) {
      return Status(text.status().code(), fmt::format("{}: function '{}': {} file: {}", f.source, f.name, what,
                                                      text.status().message()));
    }
    std::string v = TrimWs(*text);
    if (v.empty()) return InvalidArgument("{}: function '{}': {} file {} is empty", f.source, f.name, what, file);
    return v;
  }
  auto v = env(var);
  if (!v || TrimWs(*v).empty()) {
    return InvalidArgument("{}: function '{}': {}: variable {} is not set", f.source, f.name, what, var);
  }
  return TrimWs(*v);
}

}  // namespace

Result<std::vector<HttpFunctionConfig>> ParseHttpFunctionsYaml(std::string_view text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return InvalidArgument("{}: line {}: {}", file, e.mark.line + 1, e.msg);
  }
  if (!root.IsMap()) return InvalidArgument("{}: expected a map with `functions:`", file);
  HttpFunctionConfig defaults;
  defaults.source = file;
  if (const YAML::Node p = root["provider"]; p) {
    Ctx c{file, ""};
    if (p.IsScalar()) {
      defaults.provider = p.Scalar();
    } else if (p.IsMap()) {
      if (p["name"] && p["name"].IsScalar()) defaults.provider = p["name"].Scalar();
      if (p["memorySize"]) {
        SL_ASSIGN_OR_RETURN(double m, Num(c, p["memorySize"], "memorySize"));
        defaults.memory_mb = static_cast<int64_t>(m);
      }
      if (const YAML::Node h = p["http"]; h) {
        if (!h.IsMap()) return InvalidArgument("{}: provider: http: must be a map (timeout, headers, auth)", file);
        for (const auto& kv : h) {
          std::string k = kv.first.Scalar();
          if (k == "timeout") {
            SL_ASSIGN_OR_RETURN(defaults.timeout_s, Num(c, kv.second, k));
          } else if (k == "headers") {
            SL_RETURN_IF_ERROR(Headers(c, kv.second, k, &defaults.headers));
          } else if (k == "auth") {
            SL_RETURN_IF_ERROR(Auth(c, kv.second, &defaults.auth));
          } else {
            return c.Err(k, "unknown field (timeout, headers, auth)");
          }
        }
      }
    }
  }
  const YAML::Node fns = root["functions"];
  if (!fns || !fns.IsMap()) return InvalidArgument("{}: functions: missing", file);
  std::vector<HttpFunctionConfig> out;
  for (const auto& f : fns) {
    HttpFunctionConfig cfg = defaults;
    cfg.name = f.first.Scalar();
    Ctx c{file, cfg.name};
    if (!f.second.IsMap()) return c.Err("handler", "function body must be a map");
    for (const auto& kv : f.second) {
      std::string k = kv.first.Scalar();
      if (k == "url") {
        SL_ASSIGN_OR_RETURN(cfg.url, Str(c, kv.second, k));
        SL_RETURN_IF_ERROR(CheckUrl(c, cfg.url));
      } else if (k == "headers") {
        SL_RETURN_IF_ERROR(Headers(c, kv.second, k, &cfg.headers));
      } else if (k == "auth") {
        SL_RETURN_IF_ERROR(Auth(c, kv.second, &cfg.auth));
      } else if (k == "handler") {
        SL_ASSIGN_OR_RETURN(cfg.handler, Str(c, kv.second, k));
      } else if (k == "provider") {
        SL_ASSIGN_OR_RETURN(cfg.provider, Str(c, kv.second, k));
      } else if (k == "memorySize") {
        SL_ASSIGN_OR_RETURN(double m, Num(c, kv.second, k));
        cfg.memory_mb = static_cast<int64_t>(m);
      } else if (k == "timeout") {
        SL_ASSIGN_OR_RETURN(cfg.timeout_s, Num(c, kv.second, k));
      }
      // Other keys belong to the local platform (functions_file.cc validates them).
    }
    out.push_back(std::move(cfg));
  }
  return out;
}

Result<std::vector<HttpFunctionConfig>> LoadHttpFunctionsFile(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseHttpFunctionsYaml(text, path);
}

Result<HttpCredential> ResolveHttpCredential(const HttpFunctionConfig& f, const EnvLookup& env) {
  HttpCredential c;
  const HttpAuth& a = f.auth;
  if (!a.bearer_token_file.empty() || !a.bearer_token_env.empty()) {
    SL_ASSIGN_OR_RETURN(std::string token,
                        Secret(f, env, a.bearer_token_file, a.bearer_token_env, "auth.bearerToken"));
    c.headers.emplace_back("Authorization", "Bearer " + token);
  }
  if (!a.function_key_file.empty() || !a.function_key_env.empty()) {
    SL_ASSIGN_OR_RETURN(std::string key, Secret(f, env, a.function_key_file, a.function_key_env, "auth.functionKey"));
    if (a.function_key_in_query) {
      c.query = "code=" + AwsUriEncode(key, /*keep_slash=*/false);
    } else {
      c.headers.emplace_back("x-functions-key", key);
    }
  }
  return c;
}

}  // namespace sl::faas

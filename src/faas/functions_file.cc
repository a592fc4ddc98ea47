#include "faas/functions_file.h"

#include <yaml-cpp/yaml.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <set>

#include "common/file_util.h"

namespace sl::faas {
namespace {

struct Ctx {
  const std::string& file;
  std::string function;  // "" for the provider block
  Status Err(const std::string& field, const std::string& what) const {
    if (function.empty()) return InvalidArgument("{}: provider: {}: {}", file, field, what);
    return InvalidArgument("{}: function '{}': {}: {}", file, function, field, what);
  }
};

Result<int64_t> GetInt(const Ctx& c, const YAML::Node& n, const std::string& field) {
  try {
    return n.as<int64_t>();
  } catch (const YAML::Exception&) {
    return c.Err(field, fmt::format("'{}' is not an integer", n.IsScalar() ? n.Scalar() : "?"));
  }
}

Result<double> GetDouble(const Ctx& c, const YAML::Node& n, const std::string& field) {
  try {
    return n.as<double>();
  } catch (const YAML::Exception&) {
    return c.Err(field, fmt::format("'{}' is not a number", n.IsScalar() ? n.Scalar() : "?"));
  }
}

Result<std::string> GetString(const Ctx& c, const YAML::Node& n, const std::string& field) {
  if (!n.IsScalar()) return c.Err(field, "must be a string");
  return n.Scalar();
}

// Applies one key of a function (or of the provider defaults) to spec.
Status Apply(const Ctx& c, const std::string& key, const YAML::Node& v, const std::string& base_dir,
             bool provider_block, FunctionSpec* spec) {
  if (key == (provider_block ? "name" : "provider")) {
    SL_ASSIGN_OR_RETURN(spec->provider, GetString(c, v, key));
  } else if (key == "memorySize") {
    SL_ASSIGN_OR_RETURN(spec->memory_mb, GetInt(c, v, key));
  } else if (key == "timeout") {
    SL_ASSIGN_OR_RETURN(spec->timeout_s, GetDouble(c, v, key));
  } else if (key == "keepAlive") {
    SL_ASSIGN_OR_RETURN(spec->keep_alive, GetString(c, v, key));
  } else if (key == "environment") {
    if (!v.IsMap()) return c.Err(key, "must be a map of NAME: value");
    for (const auto& kv : v) {
      SL_ASSIGN_OR_RETURN(std::string val, GetString(c, kv.second, key + "." + kv.first.Scalar()));
      spec->environment[kv.first.Scalar()] = val;
    }
  } else if (!provider_block && key == "handler") {
    SL_ASSIGN_OR_RETURN(spec->handler, GetString(c, v, key));
  } else if (!provider_block && key == "runtime") {
    SL_ASSIGN_OR_RETURN(std::string rt, GetString(c, v, key));
    if (rt == "builtin") {
      spec->kind = HandlerKind::kBuiltin;
    } else if (rt == "provided" || rt == "provided.al2" || rt == "provided.al2023") {
      spec->kind = HandlerKind::kBootstrap;
    } else {
      return c.Err(key, fmt::format("'{}' unknown (builtin, provided, provided.al2, "
                                    "provided.al2023)", rt));
    }
  } else if (!provider_block && key == "codeUri") {
    SL_ASSIGN_OR_RETURN(std::string dir, GetString(c, v, key));
    // Absolute from here on: the platform starts a bootstrap from inside another directory
    // (its task root), where a path relative to the caller's directory means nothing.
    if (dir.empty()) return c.Err(key, "empty (directory with `bootstrap`)");
    std::filesystem::path p(dir);
    if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
    spec->code_dir = std::filesystem::absolute(p).lexically_normal().string();
    if (spec->code_dir.size() > 1 && spec->code_dir.back() == '/') spec->code_dir.pop_back();
  } else if (key == "ephemeralStorage") {
    // SAM's EphemeralStorage: {Size: MB}, or just the MB.
    // (No assignment to a Node: a missing key of a const map is an invalid node, and assigning
    // it threw YAML::InvalidNode out of the parser; found by functions_yaml_fuzz.)
    const YAML::Node size = v.IsMap() ? (v["Size"] ? v["Size"] : v["size"]) : v;
    if (!size) return c.Err(key, "want a size in MB or {Size: MB}");
    SL_ASSIGN_OR_RETURN(spec->ephemeral_storage_mb, GetInt(c, size, key));
  } else if (!provider_block && key == "egress") {
    if (!v.IsSequence()) return c.Err(key, "must be a list of host:port");
    for (const auto& e : v) {
      SL_ASSIGN_OR_RETURN(std::string endpoint, GetString(c, e, key));
      spec->egress.push_back(endpoint);
    }
  } else if (!provider_block && key == "mounts") {
    // Host directories a sandboxed instance sees at the same path: "DIR" (read-only) or
    // {path: DIR, writable: true}. Relative paths are relative to the file.
    if (!v.IsSequence()) return c.Err(key, "must be a list of directories or {path, writable}");
    for (const auto& m : v) {
      bool writable = false;
      std::string dir;
      if (m.IsMap()) {
        if (!m["path"]) return c.Err(key, "an entry has no path");
        SL_ASSIGN_OR_RETURN(dir, GetString(c, m["path"], key + ".path"));
        if (m["writable"]) {
          try {
            writable = m["writable"].as<bool>();
          } catch (const YAML::Exception&) {
            return c.Err(key + ".writable", "must be true or false");
          }
        }
      } else {
        SL_ASSIGN_OR_RETURN(dir, GetString(c, m, key));
      }
      std::filesystem::path p(dir);
      if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
      spec->AddMount(std::filesystem::absolute(p).lexically_normal().string(), writable);
    }
  } else if (!provider_block && key == "image") {
    // A function image: oci-archive:PATH[:REF] or oci:DIR[:REF]; a relative PATH is relative to
    // this file, like codeUri.
    SL_ASSIGN_OR_RETURN(std::string ref, GetString(c, v, key));
    for (const char* scheme : {"oci-archive:", "oci:"}) {
      if (ref.rfind(scheme, 0) != 0) continue;
      std::string rest = ref.substr(std::strlen(scheme));
      std::string tail;
      if (size_t colon = rest.find(':'); colon != std::string::npos) {
        tail = rest.substr(colon);
        rest = rest.substr(0, colon);
      }
      std::filesystem::path p(rest);
      if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
      ref = scheme + std::filesystem::absolute(p).lexically_normal().string() + tail;
      break;
    }
    spec->image = ref;
    spec->kind = HandlerKind::kImage;
  } else if (!provider_block && key == "reservedConcurrency") {
    SL_ASSIGN_OR_RETURN(spec->reserved_concurrency, GetInt(c, v, key));
  } else if (!provider_block && key == "provisionedConcurrency") {
    SL_ASSIGN_OR_RETURN(spec->provisioned_concurrency, GetInt(c, v, key));
  } else if (!provider_block && key == "instanceConcurrency") {
    SL_ASSIGN_OR_RETURN(spec->instance_concurrency, GetInt(c, v, key));
  } else if (provider_block && key == "platform") {
    SL_ASSIGN_OR_RETURN(std::string platform, GetString(c, v, key));
    if (platform != "local" && platform != "lambda" && platform != "http") {
      return c.Err(key, fmt::format("'{}' is not local, lambda or http", platform));
    }
  } else if (provider_block && (key == "endpointUrl" || key == "region")) {
    SL_RETURN_IF_ERROR(GetString(c, v, key).status());
  } else if ((provider_block && key == "http") || (!provider_block && (key == "url" || key == "headers" ||
                                                                        key == "auth"))) {
    // Where HTTP-triggered functions live and how to call them: read by the http host
    // (faas/remote/http_functions.h), which validates them; nothing the embedded platform uses.
  } else {
    return c.Err(key, "unknown field");
  }
  return Status::Ok();
}

}  // namespace

Result<FunctionsFilePlatform> ReadFunctionsFilePlatform(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return InvalidArgument("{}: line {}: {}", path, e.mark.line + 1, e.msg);
  }
  FunctionsFilePlatform out;
  const YAML::Node provider = root.IsMap() ? root["provider"] : YAML::Node();
  if (!provider || !provider.IsMap()) return out;
  Ctx c{path, ""};
  for (const char* key : {"platform", "endpointUrl", "region"}) {
    if (!provider[key]) continue;
    SL_ASSIGN_OR_RETURN(std::string value, GetString(c, provider[key], key));
    if (std::string_view(key) == "platform") out.platform = value;
    if (std::string_view(key) == "endpointUrl") out.endpoint_url = value;
    if (std::string_view(key) == "region") out.region = value;
  }
  return out;
}

Result<std::vector<FunctionSpec>> ParseFunctionsYaml(const std::string& text,
                                                     const std::string& file,
                                                     const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return InvalidArgument("{}: line {}: {}", file, e.mark.line + 1, e.msg);
  }
  if (!root.IsMap()) return InvalidArgument("{}: expected a map with `functions:`", file);
  FunctionSpec defaults;
  defaults.source = file;
  for (const auto& top : root) {
    std::string key = top.first.Scalar();
    if (key == "provider") {
      Ctx c{file, ""};
      if (top.second.IsScalar()) {
        defaults.provider = top.second.Scalar();
      } else if (top.second.IsMap()) {
        for (const auto& kv : top.second) {
          SL_RETURN_IF_ERROR(Apply(c, kv.first.Scalar(), kv.second, base_dir, true, &defaults));
        }
      } else {
        return InvalidArgument("{}: provider: must be a profile name or a map", file);
      }
    } else if (key != "functions" && key != "service") {
      return InvalidArgument("{}: {}: unknown top-level field (provider, functions)", file, key);
    }
  }
  const YAML::Node fns = root["functions"];
  if (!fns || !fns.IsMap() || fns.size() == 0) {
    return InvalidArgument("{}: functions: missing or empty", file);
  }
  std::vector<FunctionSpec> out;
  std::set<std::string> seen;
  for (const auto& f : fns) {
    FunctionSpec spec = defaults;
    spec.name = f.first.Scalar();
    Ctx c{file, spec.name};
    if (!seen.insert(spec.name).second) return c.Err("name", "declared twice");
    if (!f.second.IsMap()) return c.Err("handler", "function body must be a map");
    for (const auto& kv : f.second) {
      SL_RETURN_IF_ERROR(Apply(c, kv.first.Scalar(), kv.second, base_dir, false, &spec));
    }
    if (spec.handler.empty() && spec.kind == HandlerKind::kBuiltin) {
      return c.Err("handler", "missing");
    }
    out.push_back(std::move(spec));
  }
  return out;
}

Status CheckCodeDirs(const std::vector<FunctionSpec>& specs, const std::string& file) {
  for (const FunctionSpec& spec : specs) {
    if (spec.kind != HandlerKind::kBootstrap) continue;
    Ctx c{file, spec.name};
    if (spec.code_dir.empty()) return c.Err("codeUri", "missing (directory with `bootstrap`)");
    struct stat st {};
    if (::stat(spec.code_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return c.Err("codeUri", fmt::format("directory {} does not exist", spec.code_dir));
    }
    std::string bootstrap = spec.code_dir + "/bootstrap";
    if (::stat(bootstrap.c_str(), &st) != 0) {
      return c.Err("codeUri", fmt::format("{} does not exist (a Lambda custom runtime needs an "
                                          "executable named `bootstrap`)", bootstrap));
    }
    if (!S_ISREG(st.st_mode) || ::access(bootstrap.c_str(), X_OK) != 0) {
      return c.Err("codeUri", fmt::format("{} is not an executable file (chmod +x)", bootstrap));
    }
  }
  return Status::Ok();
}

Result<std::vector<FunctionSpec>> LoadFunctionsFile(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::string dir = ".";
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  SL_ASSIGN_OR_RETURN(std::vector<FunctionSpec> specs, ParseFunctionsYaml(text, path, dir));
  SL_RETURN_IF_ERROR(CheckCodeDirs(specs, path));
  return specs;
}

}  // namespace sl::faas

#include "deploy/deploy_spec.h"

#include <cmath>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "common/file_util.h"
#include "faas/economics/provider_profile.h"
#include "faas/function_spec.h"
#include "faas/functions_file.h"

namespace sl::deploy {
namespace {

Result<std::map<std::string, std::string>> ParseEnv(const std::vector<std::string>& env) {
  std::map<std::string, std::string> out;
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
  for (const auto& kv : env) {
    const auto eq = kv.find('=');
    const std::string key = kv.substr(0, eq);
    if (eq == std::string::npos || !std::regex_match(key, kName)) {
      return InvalidArgument("--env: '{}' is not KEY=VALUE with KEY a variable name", kv);
    }
    // Knative reserves PORT (it sets it to containerPort); the descriptors set it themselves.
    if (key == "PORT") return InvalidArgument("--env: PORT is set from --port, not by --env");
    out[key] = kv.substr(eq + 1);
  }
  return out;
}

Status CheckModelDir(const std::string& dir) {
  if (!IsDirectory(dir)) return NotFound("--model: {} is not a directory", dir);
  if (!PathExists(dir + "/manifest.json")) {
    return InvalidArgument("--model: {} has no manifest.json (not a model folder; see `straightline "
                           "model show`)", dir);
  }
  return Status::Ok();
}

std::string FolderName(const std::string& dir) {
  std::filesystem::path p(dir);
  if (!p.has_filename()) p = p.parent_path();  // "models/x/" → "x"
  return std::filesystem::absolute(p).filename().string();
}

}  // namespace

Status CheckImageReference(const std::string& image) {
  if (image.empty()) return InvalidArgument("--image: required (REGISTRY/REPO:TAG or REPO@sha256:DIGEST)");
  // The distribution reference grammar, simplified: lower-case path components, an optional
  // registry host[:port], then :tag and/or @sha256:digest.
  static const std::regex kRef(
      R"(^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*)"
      R"((:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$)");
  if (!std::regex_match(image, kRef)) {
    return InvalidArgument("--image: '{}' is not an image reference (REGISTRY/REPO:TAG or "
                           "REPO@sha256:<64 hex>)", image);
  }
  return Status::Ok();
}

Result<std::string> DnsLabel(const std::string& name, const std::string& flag) {
  std::string out;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (ok) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty() || !(out[0] >= 'a' && out[0] <= 'z')) {
    return InvalidArgument("{}: '{}' gives no DNS-1123 name (a letter, then letters, digits, '-')",
                           flag, name);
  }
  return out;
}

std::string MemoryQuantity(int64_t memory_mb) {
  if (memory_mb % 1024 == 0) return fmt::format("{}Gi", memory_mb / 1024);
  return fmt::format("{}Mi", memory_mb);
}

std::string CpuQuantity(double vcpu) {
  const auto milli = static_cast<int64_t>(std::llround(vcpu * 1000));
  if (milli % 1000 == 0) return fmt::format("{}", milli / 1000);
  return fmt::format("{}m", milli);
}

bool IsPredictHandler(const std::string& handler) { return handler == "predict"; }

Result<ServingSpec> ResolveServing(const ServingFlags& f) {
  if (f.model_dir.empty()) return InvalidArgument("--model: required for a serving target");
  SL_RETURN_IF_ERROR(CheckModelDir(f.model_dir));
  SL_RETURN_IF_ERROR(CheckImageReference(f.image));
  ServingSpec s;
  s.model_name = FolderName(f.model_dir);
  SL_ASSIGN_OR_RETURN(s.name, DnsLabel(f.name.empty() ? s.model_name : f.name,
                                       f.name.empty() ? "--model (folder name)" : "--name"));
  s.image = f.image;
  s.layout = f.layout;
  if (f.port < 1 || f.port > 65535) return InvalidArgument("--port: {} is not 1..65535", f.port);
  s.port = f.port;
  if (f.min_containers < 0) return InvalidArgument("--min-containers: {} < 0", f.min_containers);
  if (f.max_containers < 1 || f.max_containers < f.min_containers) {
    return InvalidArgument("--max-containers: {} must be >= 1 and >= --min-containers ({})",
                           f.max_containers, f.min_containers);
  }
  s.min_replicas = f.min_containers;
  s.max_replicas = f.max_containers;
  if (f.container_concurrency < 1) {
    return InvalidArgument("--container-concurrency: {} < 1", f.container_concurrency);
  }
  s.container_concurrency = f.container_concurrency;
  if (!(f.container_cpus > 0)) return InvalidArgument("--container-cpus: {} must be > 0", f.container_cpus);
  s.cpus = f.container_cpus;
  if (f.container_memory_mb < 16) {
    return InvalidArgument("--container-memory-mb: {} < 16", f.container_memory_mb);
  }
  s.memory_mb = f.container_memory_mb;
  if (f.target_cpu_percent < 1 || f.target_cpu_percent > 100) {
    return InvalidArgument("--target-cpu-percent: {} is not 1..100", f.target_cpu_percent);
  }
  s.target_cpu_percent = f.target_cpu_percent;
  if (f.max_scale < 1) return InvalidArgument("--max-scale: {} < 1", f.max_scale);
  s.max_scale = f.max_scale;
  if (f.max_batch < 1) return InvalidArgument("--max-batch: {} < 1", f.max_batch);
  s.max_batch = f.max_batch;
  // The scale-to-zero targets buy CPU with memory as the provider profile says (Cloud Run's rule
  // by default: Knative is what Cloud Run implements).
  auto profile = faas::LoadProviderProfile(f.provider);
  if (!profile.ok()) return InvalidArgument("--provider: {}", profile.status().message());
  s.provider = profile->name;
  // Default: the container tier's memory (a model server with libtorch needs more than a
  // function profile's default, e.g. Cloud Run functions' 256 MB), checked against the profile.
  // Without --memory-mb: the nearest size the profile allows at or above it.
  if (f.memory_mb > 0) {
    s.scaled_memory_mb = f.memory_mb;
    if (Status st = faas::CheckMemorySize(*profile, s.scaled_memory_mb); !st.ok()) {
      return InvalidArgument("--memory-mb: {}", st.message());
    }
  } else {
    s.scaled_memory_mb = faas::NearestAllowedMemory(*profile, f.container_memory_mb);
  }
  s.scaled_vcpu = faas::VcpuForMemory(*profile, s.scaled_memory_mb);
  s.timeout_s = profile->max_timeout_s;
  SL_ASSIGN_OR_RETURN(s.environment, ParseEnv(f.env));
  return s;
}

Result<FunctionsSpec> ResolveFunctions(const FunctionsFlags& f) {
  if (f.image_required || !f.image.empty()) SL_RETURN_IF_ERROR(CheckImageReference(f.image));
  FunctionsSpec out;
  out.image = f.image;
  if (!f.http_path.empty() && f.http_path[0] != '/') {
    return InvalidArgument("--http-path: '{}' must start with '/'", f.http_path);
  }
  out.http_path = f.http_path;
  SL_ASSIGN_OR_RETURN(auto extra_env, ParseEnv(f.env));
  std::vector<faas::FunctionSpec> specs;
  if (!f.functions_file.empty() && !f.model_dir.empty()) {
    return InvalidArgument("--functions and --model: give one (a functions file, or a model whose "
                           "`predict` function is described)");
  }
  if (!f.functions_file.empty()) {
    SL_ASSIGN_OR_RETURN(specs, faas::LoadFunctionsFile(f.functions_file));
  } else if (!f.model_dir.empty()) {
    SL_RETURN_IF_ERROR(CheckModelDir(f.model_dir));
    // The function image holds the model where the serving image does; the predict handler loads
    // it in INIT from STRAIGHTLINE_MODEL_DIR (serve/handler/predict_handler.h). The image's own
    // environment says the same; the template repeats it so that it reads on its own.
    faas::FunctionSpec p;
    p.name = "predict";
    p.handler = "predict";
    p.provider = f.provider;
    p.memory_mb = f.memory_mb;
    p.timeout_s = static_cast<double>(f.timeout_s);
    p.source = "--model";
    p.environment["STRAIGHTLINE_MODEL_DIR"] = f.layout.ModelDir(FolderName(f.model_dir));
    p.environment["STRAIGHTLINE_MODEL_NAME"] = FolderName(f.model_dir);
    specs.push_back(std::move(p));
  } else {
    return InvalidArgument("--functions or --model: required for a function target");
  }
  if (specs.empty()) return InvalidArgument("--functions: {} declares no function", f.functions_file);
  for (auto& spec : specs) {
    auto profile = faas::LoadProviderProfile(spec.provider);
    if (!profile.ok()) {
      return InvalidArgument("{}: function '{}': provider: {}", spec.source, spec.name,
                             profile.status().message());
    }
    SL_RETURN_IF_ERROR(faas::ResolveFunctionSpec(*profile, &spec));
    FunctionDeploySpec d;
    d.name = spec.name;
    d.handler = spec.handler;
    d.custom_runtime = spec.kind != faas::HandlerKind::kBuiltin;
    d.source = fmt::format("{}: function '{}'", spec.source, spec.name);
    d.memory_mb = spec.memory_mb;
    d.timeout_s = spec.timeout_s;
    d.reserved_concurrency = spec.reserved_concurrency;
    d.provisioned_concurrency = spec.provisioned_concurrency;
    d.vcpu = faas::VcpuForMemory(*profile, spec.memory_mb);
    d.provider = spec.provider;
    d.environment = spec.environment;
    for (const auto& [k, v] : extra_env) d.environment[k] = v;
    out.functions.push_back(std::move(d));
  }
  return out;
}

}  // namespace sl::deploy

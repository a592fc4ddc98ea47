#include "faas/function_spec.h"

#include <climits>
#include <cstdlib>

#include <unistd.h>

#include <cctype>
#include <cmath>

#include "common/file_util.h"
#include "faas/economics/provider_profile.h"

namespace sl::faas {

void FunctionSpec::AddMount(const std::string& path, bool writable) {
  if (path.empty()) return;
  char abs[PATH_MAX];
  // A path that does not resolve is kept as given: registration then names it.
  std::string resolved = ::realpath(path.c_str(), abs) != nullptr ? std::string(abs) : path;
  for (auto& m : mounts) {
    if (m.path == resolved) {
      m.writable = m.writable || writable;
      return;
    }
  }
  mounts.push_back({resolved, writable});
}

std::string_view HandlerKindName(HandlerKind k) {
  switch (k) {
    case HandlerKind::kBuiltin: return "builtin";
    case HandlerKind::kBootstrap: return "bootstrap";
    case HandlerKind::kImage: return "image";
  }
  return "builtin";
}

Status ResolveFunctionSpec(const ProviderProfile& profile, FunctionSpec* spec) {
  auto err = [&](std::string_view field, const std::string& what) {
    return InvalidArgument("{}: function '{}': {}: {}", spec->source, spec->name, field, what);
  };
  if (spec->name.empty() || spec->name.size() > 64) {
    return err("name", "must be 1 to 64 characters");
  }
  for (char c : spec->name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return err("name", fmt::format("character '{}' not allowed (A-Z a-z 0-9 - _)", c));
    }
  }
  if (profile.kind != ProfileKind::kFunction) {
    return err("provider", fmt::format("'{}' is a VM profile, not a function platform",
                                       profile.name));
  }
  spec->provider = profile.name;
  if (spec->kind == HandlerKind::kBuiltin) {
    if (spec->handler.empty()) return err("handler", "missing (a built-in handler name)");
  } else if (spec->kind == HandlerKind::kImage) {
    if (spec->image.rfind("oci-archive:", 0) != 0 && spec->image.rfind("oci:", 0) != 0) {
      return err("image", fmt::format("'{}': want oci-archive:PATH[:REF] or oci:DIR[:REF]", spec->image));
    }
  } else {
    if (spec->code_dir.empty()) return err("codeUri", "missing (directory with `bootstrap`)");
    std::string bootstrap = spec->code_dir + "/bootstrap";
    if (::access(bootstrap.c_str(), X_OK) != 0) {
      return err("codeUri", fmt::format("{} is missing or not executable", bootstrap));
    }
  }
  if (spec->memory_mb == 0) spec->memory_mb = profile.default_memory_mb;
  Status mem = CheckMemorySize(profile, spec->memory_mb);
  if (!mem.ok()) return err("memorySize", mem.message());
  if (spec->timeout_s == 0) spec->timeout_s = profile.default_timeout_s;
  if (!(spec->timeout_s > 0) || !std::isfinite(spec->timeout_s)) {
    return err("timeout", fmt::format("{} s must be > 0", spec->timeout_s));
  }
  if (profile.max_timeout_s > 0 && spec->timeout_s > profile.max_timeout_s) {
    return err("timeout", fmt::format("{} s exceeds {}'s maximum of {} s", spec->timeout_s,
                                      profile.name, profile.max_timeout_s));
  }
  if (spec->reserved_concurrency < 0) return err("reservedConcurrency", "must be >= 0");
  if (spec->provisioned_concurrency < 0) return err("provisionedConcurrency", "must be >= 0");
  if (spec->reserved_concurrency > 0 &&
      spec->provisioned_concurrency > spec->reserved_concurrency) {
    return err("provisionedConcurrency", "exceeds reservedConcurrency");
  }
  int64_t max_per_instance = std::max<int64_t>(1, profile.max_concurrency_per_instance);
  if (spec->instance_concurrency < 1 || spec->instance_concurrency > max_per_instance) {
    return err("instanceConcurrency",
               fmt::format("{} not in 1..{} (what {} allows per instance)",
                           spec->instance_concurrency, max_per_instance, profile.name));
  }
  for (const auto& [k, v] : spec->environment) {
    if (k.empty() || k.find('=') != std::string::npos) {
      return err("environment", fmt::format("invalid variable name '{}'", k));
    }
    if (k.rfind("AWS_", 0) == 0 || k == "_HANDLER" || k.rfind("LAMBDA_", 0) == 0) {
      return err("environment", fmt::format("'{}' is reserved by the runtime", k));
    }
  }
  return Status::Ok();
}

}  // namespace sl::faas

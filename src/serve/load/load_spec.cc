#include "serve/load/load_spec.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>

#include "common/file_util.h"

namespace sl::serve::load {
namespace {

Result<double> ParseDouble(const std::string& s, const std::string& what) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == nullptr || *end != '\0' || !std::isfinite(v) || v < 0) {
    return InvalidArgument("{}: '{}' is not a non-negative number", what, s);
  }
  return v;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

}  // namespace

double Phase::ArrivalTime(int64_t k) const {
  const double r0 = arrival_rate, r1 = EndRate(), T = duration_s;
  if (k <= 0 || T <= 0) return -1;
  const double total = (r0 + r1) / 2 * T;
  if (static_cast<double>(k) > total + 1e-9) return -1;
  const double kd = static_cast<double>(k);
  if (std::abs(r1 - r0) < 1e-12) return kd / r0;
  // Λ(t) = r0 t + (r1 - r0) t² / (2T) = k
  const double a = (r1 - r0) / (2 * T);
  const double disc = r0 * r0 + 4 * a * kd;
  return (-r0 + std::sqrt(std::max(0.0, disc))) / (2 * a);
}

Status CheckLoopbackTarget(const std::string& url) {
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return PermissionDenied("load target '{}': only http:// loopback targets are allowed", url);
  }
  std::string host;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos) return InvalidArgument("load target '{}': unterminated '['", url);
    host = rest.substr(1, close - 1);
  } else {
    host = rest.substr(0, rest.find_first_of(":/"));
  }
  if (host.find('@') != std::string::npos) {
    return PermissionDenied("load target '{}': user info is not allowed", url);
  }
  bool ok = host == "localhost" || host == "::1";
  if (!ok && host.rfind("127.", 0) == 0) {
    auto parts = Split(host, '.');
    ok = parts.size() == 4;
    for (const auto& p : parts) {
      if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(p) > 255) {
        ok = false;
      }
    }
  }
  if (!ok) {
    return PermissionDenied("load target '{}': host '{}' is not a loopback address (127.0.0.0/8, "
                            "::1, localhost); straightline load only targets this machine", url, host);
  }
  return Status::Ok();
}

Result<std::vector<Phase>> ParsePhases(const std::string& text) {
  std::vector<Phase> phases;
  for (const std::string& item : Split(text, ',')) {
    auto f = Split(item, ':');
    if (f.size() < 2 || f.size() > 3) {
      return InvalidArgument("--phases: '{}' is not DURATION_S:RATE[:RAMP_TO]", item);
    }
    Phase p;
    p.name = "phase" + std::to_string(phases.size());
    SL_ASSIGN_OR_RETURN(p.duration_s, ParseDouble(f[0], "--phases duration"));
    SL_ASSIGN_OR_RETURN(p.arrival_rate, ParseDouble(f[1], "--phases rate"));
    if (f.size() == 3) {
      SL_ASSIGN_OR_RETURN(p.ramp_to, ParseDouble(f[2], "--phases rampTo"));
    }
    phases.push_back(p);
  }
  return phases;
}

Result<std::vector<PayloadKind>> ParsePayloadMix(const std::string& text) {
  std::vector<PayloadKind> mix;
  for (const std::string& item : Split(text, ',')) {
    auto f = Split(item, ':');
    PayloadKind k;
    k.kind = f[0];
    if (f.size() >= 2) {
      SL_ASSIGN_OR_RETURN(k.weight, ParseDouble(f[1], "--mix weight"));
    }
    if (f.size() >= 3) {
      SL_ASSIGN_OR_RETURN(double b, ParseDouble(f[2], "--mix batch"));
      k.batch = static_cast<int64_t>(b);
    }
    if (f.size() > 3) return InvalidArgument("--mix: '{}' is not KIND[:WEIGHT[:BATCH]]", item);
    mix.push_back(k);
  }
  return mix;
}

Status ValidateSpec(const LoadSpec& s) {
  SL_RETURN_IF_ERROR(CheckLoopbackTarget(s.target));
  if (s.model.empty()) return InvalidArgument("load: no model given (--model / model:)");
  if (s.phases.empty()) return InvalidArgument("load: no phases given (--phases / phases:)");
  for (const Phase& p : s.phases) {
    if (p.duration_s <= 0) return InvalidArgument("load: phase '{}' has duration {} s (must be > 0)", p.name, p.duration_s);
    if (p.arrival_rate <= 0 && p.EndRate() <= 0) {
      return InvalidArgument("load: phase '{}' has no arrivals (rate 0 and rampTo 0)", p.name);
    }
  }
  if (s.session_requests < 1) return InvalidArgument("load: session requests {} must be >= 1", s.session_requests);
  if (s.concurrency < 1 || s.concurrency > 4096) {
    return InvalidArgument("load: concurrency {} must be in 1..4096", s.concurrency);
  }
  if (s.payloads.empty()) return InvalidArgument("load: empty payload mix");
  double total = 0;
  for (const PayloadKind& k : s.payloads) {
    if (k.kind != "json" && k.kind != "pixels" && k.kind != "raw" && k.kind != "batch" && k.kind != "binary") {
      return InvalidArgument("load: payload kind '{}' (expected json|pixels|raw|batch|binary)", k.kind);
    }
    if (k.batch < 1) return InvalidArgument("load: payload '{}' batch {} must be >= 1", k.kind, k.batch);
    total += k.weight;
  }
  if (total <= 0) return InvalidArgument("load: payload weights sum to 0");
  if (s.timeout_ms <= 0) return InvalidArgument("load: timeout {} ms must be > 0", s.timeout_ms);
  for (char c : s.auth_token) {  // it goes into a header line; never echo it
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return InvalidArgument("load: the auth token contains whitespace or a control character");
    }
  }
  return Status::Ok();
}

Result<LoadSpec> LoadSpecFromYaml(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  LoadSpec s;
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return InvalidArgument("load spec {}: not a YAML mapping", path);
    if (root["target"]) s.target = root["target"].as<std::string>();
    if (root["model"]) s.model = root["model"].as<std::string>();
    if (root["maxTotal"]) s.max_total = root["maxTotal"].as<int64_t>();
    if (root["concurrency"]) s.concurrency = root["concurrency"].as<int64_t>();
    if (root["backlog"]) s.backlog = root["backlog"].as<int64_t>();
    if (root["timeoutMs"]) s.timeout_ms = root["timeoutMs"].as<int64_t>();
    if (root["seed"]) s.seed = root["seed"].as<uint64_t>();
    if (root["session"] && root["session"]["requests"]) {
      s.session_requests = root["session"]["requests"].as<int64_t>();
    }
    for (const YAML::Node& p : root["phases"]) {
      Phase ph;
      ph.name = p["name"] ? p["name"].as<std::string>() : "phase" + std::to_string(s.phases.size());
      ph.duration_s = p["duration"].as<double>();
      ph.arrival_rate = p["arrivalRate"].as<double>();
      if (p["rampTo"]) ph.ramp_to = p["rampTo"].as<double>();
      s.phases.push_back(ph);
    }
    if (root["payloads"]) {
      s.payloads.clear();
      for (const YAML::Node& p : root["payloads"]) {
        PayloadKind k;
        k.kind = p["kind"].as<std::string>();
        if (p["weight"]) k.weight = p["weight"].as<double>();
        if (p["batch"]) k.batch = p["batch"].as<int64_t>();
        s.payloads.push_back(k);
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument("load spec {}: {}", path, e.what());
  }
  return s;
}

}  // namespace sl::serve::load

#include "deploy/serving_container.h"

#include <fmt/format.h>

namespace sl::deploy {

using nlohmann::json;

std::string TokenSecretName(const ServingSpec& s) { return s.name + "-token"; }

std::vector<std::string> ServingArgs(const ServingSpec& s) {
  // `straightline serve` with only the local tier, as the serving image's CMD: inside a pod the
  // platform scales replicas, so the gateway's container and function tiers stay off. --host
  // 0.0.0.0 because the pod's network is the cluster's (the token guards it; --auth none is
  // never written). The port is $PORT.
  return {"--model", s.layout.ModelDir(s.model_name),
          "--tiers", "local",
          "--policy", "local",
          "--host", "0.0.0.0",
          "--auth-token-file", s.layout.token_dir + "/token",
          "--max-batch", std::to_string(s.max_batch)};
}

json ServingLabels(const ServingSpec& s) {
  return {{"app.kubernetes.io/name", s.name}, {"app.kubernetes.io/component", "kserve-v2-server"},
          {"app.kubernetes.io/managed-by", "straightline"}};
}

json ServingVolumes(const ServingSpec& s) {
  return json::array({
      {{"name", "token"},
       {"secret", {{"secretName", TokenSecretName(s)}, {"defaultMode", 0440}}}},
      {{"name", "tmp"}, {"emptyDir", {{"sizeLimit", "256Mi"}}}},
  });
}

json ServingContainer(const ServingSpec& s, const ContainerStyle& style) {
  json env = json::array();
  if (style.set_port_env) env.push_back({{"name", "PORT"}, {"value", std::to_string(s.port)}});
  env.push_back({{"name", "STRAIGHTLINE_STATE_DIR"}, {"value", s.layout.tmp_dir + "/straightline"}});
  env.push_back({{"name", "TMPDIR"}, {"value", s.layout.tmp_dir}});
  for (const auto& [k, v] : s.environment) env.push_back({{"name", k}, {"value", v}});
  auto probe = [&](const std::string& path, int64_t period_s) {
    json get = {{"path", path}};
    if (style.probe_port) get["port"] = s.port;
    return json{{"httpGet", get}, {"periodSeconds", period_s}, {"timeoutSeconds", 2},
                {"failureThreshold", 3}};
  };
  json resources;
  if (style.resources_from_profile) {
    // Memory buys CPU by the provider profile's rule (faas::VcpuForMemory), as the function
    // platform gives an instance its cgroup quota; requests = limits (Guaranteed QoS).
    const json q = {{"cpu", CpuQuantity(s.scaled_vcpu)}, {"memory", MemoryQuantity(s.scaled_memory_mb)}};
    resources = {{"requests", q}, {"limits", q}};
  } else {
    // The container tier's --container-cpus / --container-memory-mb (its runc cfs quota and
    // memory limit), requests = limits.
    const json q = {{"cpu", CpuQuantity(s.cpus)}, {"memory", MemoryQuantity(s.memory_mb)}};
    resources = {{"requests", q}, {"limits", q}};
  }
  return {
      {"name", style.name},
      {"image", s.image},
      {"command", json::array({s.layout.binary, "serve"})},
      {"args", ServingArgs(s)},
      {"env", env},
      {"ports", json::array({{{"name", "http1"}, {"containerPort", s.port}, {"protocol", "TCP"}}})},
      {"readinessProbe", probe("/v2/health/ready", 5)},
      {"livenessProbe", probe("/v2/health/live", 10)},
      {"resources", resources},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", s.layout.uid},
        {"runAsGroup", s.layout.uid},
        {"readOnlyRootFilesystem", true},
        {"allowPrivilegeEscalation", false},
        {"capabilities", {{"drop", json::array({"ALL"})}}}}},
      {"volumeMounts",
       json::array({{{"name", "token"}, {"mountPath", s.layout.token_dir}, {"readOnly", true}},
                    {{"name", "tmp"}, {"mountPath", s.layout.tmp_dir}}})},
  };
}

}  // namespace sl::deploy

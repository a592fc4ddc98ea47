// kserve: a serving.kserve.io/v1beta1 InferenceService whose predictor is the serving image as a
// custom container speaking the v2 (Open Inference) protocol.
//   containers[0].name kserve-container   the name KServe's controller looks for
//   env PROTOCOL=v2                       how KServe learns a custom predictor's protocol (the
//                                         CustomSpecProtocolEnvVarKey of its controller)
//   minReplicas 0 / maxReplicas           scale to zero / --max-scale
//   containerConcurrency, scaleMetric     --container-concurrency, "concurrency"
//   resources                             as knative: the --provider profile's memory→CPU rule
//   timeout                               the profile's max timeout
#include <cmath>

#include "deploy/serving_container.h"
#include "deploy/targets.h"

namespace sl::deploy {

using nlohmann::json;

json KServeInferenceService(const ServingSpec& s) {
  ContainerStyle style;
  style.name = "kserve-container";
  style.set_port_env = false;  // serverless mode runs it as a Knative revision: $PORT is set
  style.probe_port = false;
  style.resources_from_profile = true;
  json container = ServingContainer(s, style);
  container["env"].push_back({{"name", "PROTOCOL"}, {"value", "v2"}});
  json predictor = {
      {"minReplicas", 0},
      {"maxReplicas", s.max_scale},
      {"containerConcurrency", s.container_concurrency},
      {"scaleMetric", "concurrency"},
      {"scaleTarget", s.container_concurrency},
      {"containers", json::array({container})},
      {"volumes", ServingVolumes(s)},
  };
  if (s.timeout_s > 0) predictor["timeout"] = static_cast<int64_t>(std::floor(s.timeout_s));
  return {
      {"apiVersion", "serving.kserve.io/v1beta1"},
      {"kind", "InferenceService"},
      {"metadata", {{"name", s.name}, {"labels", ServingLabels(s)}}},
      {"spec", {{"predictor", predictor}}},
  };
}

}  // namespace sl::deploy

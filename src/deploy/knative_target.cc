// knative: a serving.knative.dev/v1 Service running the serving image.
//   containerConcurrency            --container-concurrency (requests in flight per replica,
//                                   as the container tier's replicas)
//   autoscaling min-scale "0"       scale to zero, as the function tier
//   autoscaling max-scale           --max-scale
//   resources                       --memory-mb (default: the --provider profile's default) and
//                                   the CPU it buys by the profile's memory→CPU rule
//   timeoutSeconds                  the profile's max timeout (Cloud Run: 3,600 s)
//   containerPort / $PORT           --port; Knative sets $PORT itself (PORT in env is rejected)
#include <cmath>

#include "deploy/serving_container.h"
#include "deploy/targets.h"

namespace sl::deploy {

using nlohmann::json;

json KnativeService(const ServingSpec& s) {
  ContainerStyle style;
  style.name = "user-container";
  style.set_port_env = false;
  style.probe_port = false;
  style.resources_from_profile = true;
  json spec = {
      {"containerConcurrency", s.container_concurrency},
      {"containers", json::array({ServingContainer(s, style)})},
      {"volumes", ServingVolumes(s)},
      // No Service-named variables in the environment: the server reads only its flags.
      {"enableServiceLinks", false},
  };
  if (s.timeout_s > 0) spec["timeoutSeconds"] = static_cast<int64_t>(std::floor(s.timeout_s));
  return {
      {"apiVersion", "serving.knative.dev/v1"},
      {"kind", "Service"},
      {"metadata", {{"name", s.name}, {"labels", ServingLabels(s)}}},
      {"spec",
       {{"template",
         {{"metadata",
           {{"labels", ServingLabels(s)},
            {"annotations",
             {{"autoscaling.knative.dev/min-scale", "0"},
              {"autoscaling.knative.dev/max-scale", std::to_string(s.max_scale)},
              // Knative's concurrency autoscaler aims at the hard limit's default 70 %.
              {"autoscaling.knative.dev/metric", "concurrency"}}}}},
          {"spec", spec}}}}},
  };
}

}  // namespace sl::deploy

// kubernetes: the container tier on a cluster. Deployment + Service + HorizontalPodAutoscaler.
//   Deployment replicas        --min-containers (the replicas the tier keeps running)
//   HPA minReplicas/max        --min-containers (at least 1: plain HPA cannot scale to zero) /
//                              --max-containers
//   HPA metric                 CPU utilisation, --target-cpu-percent (default 70): the tier
//                              scales on queue depth, which a cluster sees only through a custom
//                              metrics adapter; CPU is what every cluster has
//   resources                  --container-cpus / --container-memory-mb (requests = limits)
//   Service                    ClusterIP, port 80 → containerPort --port, named http
//   PORT env                   set explicitly (no Knative here to inject it)
#include <algorithm>

#include "deploy/serving_container.h"
#include "deploy/targets.h"

namespace sl::deploy {

using nlohmann::json;

std::vector<json> KubernetesObjects(const ServingSpec& s) {
  ContainerStyle style;
  json selector = {{"app.kubernetes.io/name", s.name}};
  json deployment = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", s.name}, {"labels", ServingLabels(s)}}},
      {"spec",
       {{"replicas", s.min_replicas},
        {"selector", {{"matchLabels", selector}}},
        {"template",
         {{"metadata", {{"labels", ServingLabels(s)}}},
          {"spec",
           {{"containers", json::array({ServingContainer(s, style)})},
            {"volumes", ServingVolumes(s)},
            {"automountServiceAccountToken", false},
            // Matches serve's drain on SIGTERM (issue 15 §1) with room to spare.
            {"terminationGracePeriodSeconds", 30},
            {"securityContext",
             {{"runAsNonRoot", true},
              {"runAsUser", s.layout.uid},
              {"runAsGroup", s.layout.uid},
              // No seccompProfile: the published definitions this is validated against
              // (SchemaStore's snapshot) predate the field, and strict validation refuses it.
              {"fsGroup", s.layout.uid}}}}}}}}},
  };
  json service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", s.name}, {"labels", ServingLabels(s)}}},
      {"spec",
       {{"type", "ClusterIP"},
        {"selector", selector},
        {"ports", json::array({{{"name", "http"},
                                {"port", 80},
                                {"targetPort", "http1"},
                                {"protocol", "TCP"}}})}}},
  };
  json hpa = {
      {"apiVersion", "autoscaling/v2"},
      {"kind", "HorizontalPodAutoscaler"},
      {"metadata", {{"name", s.name}, {"labels", ServingLabels(s)}}},
      {"spec",
       {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", s.name}}},
        {"minReplicas", std::max<int64_t>(1, s.min_replicas)},
        {"maxReplicas", s.max_replicas},
        {"metrics",
         json::array({{{"type", "Resource"},
                       {"resource",
                        {{"name", "cpu"},
                         {"target", {{"type", "Utilization"},
                                     {"averageUtilization", s.target_cpu_percent}}}}}}})}}},
  };
  return {deployment, service, hpa};
}

}  // namespace sl::deploy

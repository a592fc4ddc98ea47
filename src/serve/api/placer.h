// Placer: chooses the tier for one request from its size, the recent request rate and the tiers'
// states. Policies (placement_policies.h): "straightline" (Algorithm 1 of the StraightLine paper),
// "adaptive" (predicted completion time per tier, with an optional latency SLO and cost budget),
// and the fixed ones "local" | "container" | "function".
//
// The gateway calls Observe() once per arriving request (this feeds the request-frequency window
// f_t, stamped on the placer's own clock: the one Place() reads f_t "now" on), then Place();
// after the tier answers it calls Completed() so live policies can learn.
// Every Decision carries a short reason for the X-Straightline-Tier header and the metrics.
// Thread safety: all methods may be called from any number of threads at once.
#pragma once
#include <chrono>
#include <memory>
#include <span>
#include <string>

#include "common/status.h"
#include "serve/api/tier.h"

namespace sl::serve {

struct PlacementInput {
  std::string model;
  int64_t wire_bytes = 0;                // r_d
  int64_t batch = 1;
  std::span<const TierState> tiers;      // one per deployed tier
  // Share of the host's CPU time busy lately (HostCpuMeter), 0..1; negative: unknown.
  double host_cpu_busy = -1;
};

struct Decision {
  Status status;                         // RESOURCE_EXHAUSTED: every tier is full → 429/503
  TierKind tier = TierKind::kLocal;
  std::string reason;                    // e.g. "f_t=812/s>F=500 and r_d=3.1KB<D=64KB"
  // A short fixed label of the rule that chose (bounded set, for metrics labels):
  // straightline: frequent_small | large | local_capacity | container_capacity | overflow;
  // adaptive: fastest | start | slo_cheapest | slo_fastest | all_full; fixed: fixed.
  std::string rule;
  // The chosen tier's predicted completion time (policies that predict; 0 otherwise). The gateway
  // hands it back in Completion so the policy can compare it with what happened.
  double predicted_ms = 0;
};

// What the gateway tells the placer when a tier has answered a request it placed.
struct Completion {
  TierKind tier = TierKind::kLocal;
  int64_t samples = 1;        // samples in the request
  double predicted_ms = 0;    // Decision::predicted_ms of this request (0: not predicted)
  double observed_ms = 0;     // placement → the tier's answer, measured by the gateway
};

class Placer {
 public:
  virtual ~Placer() = default;
  virtual std::string_view name() const = 0;
  virtual void Observe() = 0;
  virtual Decision Place(const PlacementInput& input) = 0;
  virtual void Completed(const Completion& completion, const InferenceResponse& response) = 0;
};

}  // namespace sl::serve

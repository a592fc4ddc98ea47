// AdaptivePlacer ("adaptive", ours — the StraightLine paper's future work): per request, predict
// the completion time on every deployed tier from live measurements and choose the best.
//
//   predicted(tier) = wait + start + transfer + service + failure penalty
//     service  = service-time EWMA (the tier's own TierState::service_ms_ewma, else what this
//                placer learned from Completed(), else a prior per kind)
//     wait     = max(0, inflight + queued + 1 - parallelism) × service / parallelism,
//                parallelism = max(1, replicas)
//     start    = P(start) × start-time EWMA; P = 1 for a function with no idle warm instance (or a
//                container tier with no replica) that can still scale, else 0
//     transfer = r_d × per-byte cost of crossing to the tier (0 in-process; loopback HTTP for a
//                container, HTTP + runtime API hops for a function)
//     failure  = recent refusal rate of the tier (EWMA of non-OK completions) × refusal penalty
//   predicted = (wait + start + transfer + service + failure) × correction(tier, size class)
//     correction = EWMA of observed / predicted over this tier's recent completions of requests of
//                  the same size class (1 sample, 2–16, more), as the gateway measured them;
//                  it fades back to 1 with a half-life of `correction_half_life` without news.
//     Why: the model sees each tier's own queue, not the CPU the tiers share on one machine.
//   Tiers without capacity are never chosen. cost(tier) = the tier's recent mean billed cost per
//   request (functions; local and container are already paid for).
// Starts are the last resort: while some tier can take the request warm (has capacity and needs
// no start), tiers that would need a start are not candidates — except, with an SLO, when no warm
// tier is predicted to meet it and the start is. Why: on shared cores a start takes CPU from the
// warm tiers while the request waits for it, and a warm queue drains faster than a start.
// Shared cores: while the local tier can take the request warm, the other tiers that run on the
// gateway's own cores (TierState::shares_gateway_cpu) are not candidates either — except, with
// an SLO, when local is predicted to miss it and they are predicted to meet it. Why: on busy
// cores they add no capacity, only their extra per-request work. With `colocated_below_cpu` > 0
// the rule is lifted while the host's CPU (PlacementInput::host_cpu_busy) is known to be less
// busy than that; off by default. Tiers on other hosts are compared by prediction alone.
// The measurements behind each rule: docs/benchmarks.md, "Serving: placement under a ramp,
// bursts and 10x overload", "Why the adaptive placer's rules".
// Choice among the candidates: tiers over the cost budget are dropped; with an SLO, the cheapest
// tier whose prediction meets it (ties: faster); without one, or when none meets it, the fastest.
// RESOURCE_EXHAUSTED when no deployed tier has capacity (within budget).
// Thread safety: safe from any thread; learned EWMAs are behind one mutex (a few adds per call).
#pragma once
#include <array>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "serve/placement/request_rate.h"
#include "serve/api/placer.h"

namespace sl::serve {

class AdaptivePlacer final : public Placer {
 public:
  struct Options {
    double latency_slo_ms = 0;   // 0: none
    double cost_budget_usd = 0;  // per request; 0: none
    double ewma_alpha = 0.2;
    double refusal_penalty_ms = 1000;  // what a refusal costs the client (retry after ~1 s)
    std::chrono::nanoseconds window = std::chrono::seconds(1);
    std::chrono::nanoseconds correction_half_life = std::chrono::seconds(5);
    // "Shared cores" below is lifted while the host's CPU is less busy than this (known) fraction;
    // 0: never lifted.
    double colocated_below_cpu = 0;
  };
  struct Prediction {
    TierKind tier;
    bool eligible = false;  // deployed, has capacity, within budget
    bool shares_gateway_cpu = false;  // TierState::shares_gateway_cpu
    double wait_ms = 0, start_ms = 0, transfer_ms = 0, service_ms = 0, failure_ms = 0;
    double correction = 1;  // observed / predicted lately (see above)
    double cost_usd = 0;
    double total_ms() const {
      return (wait_ms + start_ms + transfer_ms + service_ms + failure_ms) * correction;
    }
  };

  AdaptivePlacer(Options options, Clock* clock);
  std::string_view name() const override { return "adaptive"; }
  void Observe() override { rate_.Record(clock_->Now()); }
  Decision Place(const PlacementInput& input) override;
  void Completed(const Completion& completion, const InferenceResponse& response) override;

  Prediction Predict(const TierState& state, int64_t wire_bytes, int64_t samples = 1) const;
  // The current correction factor of a tier for requests of `samples` samples (1: none yet).
  double CorrectionFor(TierKind tier, int64_t samples) const;

 private:
  struct Learned {
    double service_ms = 0;     // 0: nothing learned yet
    double start_ms = 0;
    double failure_rate = 0;
    double cost_usd = 0;
  };
  Options options_;
  Clock* clock_;
  RequestRate rate_;
  mutable std::mutex mu_;
  std::array<Learned, 3> learned_;  // GUARDED_BY(mu_), indexed by TierKind
  struct Correction {
    double factor = 1;
    TimePoint updated{};
    bool seen = false;
  };
  static constexpr size_t kSizeClasses = 3;
  static size_t SizeClass(int64_t samples) { return samples <= 1 ? 0 : samples <= 16 ? 1 : 2; }
  double CorrectionLocked(size_t tier, size_t size_class) const;  // REQUIRES(mu_)
  std::array<std::array<Correction, kSizeClasses>, 3> correction_;  // GUARDED_BY(mu_)
};

}  // namespace sl::serve

// Placement policies (issue 6): the factory the gateway uses to build its Placer (serve/api/placer.h).
//
//   PlacerOptions o; o.policy = "straightline"; o.frequency_threshold = 500; o.size_threshold = 65536;
//   SL_ASSIGN_OR_RETURN(std::unique_ptr<Placer> placer, MakePlacer(o));
//
// Policies:
//   "straightline"  Algorithm 1 of the StraightLine paper (straightline_placer.h), thresholds F, D
//   "adaptive"      predicted completion time per tier with an optional SLO / cost budget
//                   (adaptive_placer.h)
//   "local" | "container" | "function"  fixed: always that tier; RESOURCE_EXHAUSTED when it is
//                   full, UNAVAILABLE when it is not deployed.
// Failure contract: MakePlacer returns INVALID_ARGUMENT naming the option (unknown policy,
// F < 0, D < 0, window <= 0, negative SLO or budget).
// Thread safety: the returned Placer is safe to use from any number of threads at once.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "serve/api/placer.h"

namespace sl::serve {

struct PlacerOptions {
  std::string policy = "straightline";
  double frequency_threshold = 500;        // F, requests/s (defaults: see thresholds.h)
  int64_t size_threshold = 64 * 1024;      // D, bytes of request body
  std::chrono::milliseconds window{1000};  // sliding window of f_t
  double latency_slo_ms = 0;               // adaptive: 0 = no SLO
  double cost_budget_usd = 0;              // adaptive: max billed cost per request, 0 = none
  double colocated_below_cpu = 0;          // adaptive: AdaptivePlacer::Options::colocated_below_cpu
  Clock* clock = nullptr;                  // null: Clock::Real(); Observe() and Place() read it
};

// The policy names MakePlacer accepts, in help order.
std::vector<std::string> PlacementPolicyNames();

Result<std::unique_ptr<Placer>> MakePlacer(const PlacerOptions& options);

// The state of `kind` among `tiers`, or null when that tier is not deployed.
const TierState* FindTier(std::span<const TierState> tiers, TierKind kind);

// "local" | "container" | "function" (same names as serve::TierName, without linking its library).
std::string_view TierLabel(TierKind kind);

// "3.1KB", "812B", "2.0MB": sizes in reasons.
std::string FormatBytes(int64_t bytes);

}  // namespace sl::serve

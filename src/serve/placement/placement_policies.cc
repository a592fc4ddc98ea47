#include "serve/placement/placement_policies.h"

#include <fmt/format.h>

#include "serve/placement/adaptive_placer.h"
#include "serve/placement/fixed_placer.h"
#include "serve/placement/straightline_placer.h"

namespace sl::serve {

std::vector<std::string> PlacementPolicyNames() {
  return {"straightline", "adaptive", "local", "container", "function"};
}

const TierState* FindTier(std::span<const TierState> tiers, TierKind kind) {
  for (const TierState& s : tiers) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

std::string_view TierLabel(TierKind kind) {
  switch (kind) {
    case TierKind::kLocal: return "local";
    case TierKind::kContainer: return "container";
    case TierKind::kFunction: return "function";
  }
  return "unknown";
}

std::string FormatBytes(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{}B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f}KB", static_cast<double>(bytes) / 1024);
  return fmt::format("{:.1f}MB", static_cast<double>(bytes) / (1024.0 * 1024));
}

Result<std::unique_ptr<Placer>> MakePlacer(const PlacerOptions& o) {
  if (o.frequency_threshold < 0) {
    return InvalidArgument("placement: frequency threshold F={} must be >= 0", o.frequency_threshold);
  }
  if (o.size_threshold < 0) {
    return InvalidArgument("placement: size threshold D={} bytes must be >= 0", o.size_threshold);
  }
  if (o.window.count() <= 0) {
    return InvalidArgument("placement: frequency window {} ms must be > 0", o.window.count());
  }
  if (o.latency_slo_ms < 0) return InvalidArgument("placement: latency SLO {} ms must be >= 0", o.latency_slo_ms);
  if (o.cost_budget_usd < 0) return InvalidArgument("placement: cost budget {} USD must be >= 0", o.cost_budget_usd);
  if (!(o.colocated_below_cpu >= 0 && o.colocated_below_cpu <= 1)) {
    return InvalidArgument("placement: colocated-below-cpu {} must be a fraction in [0, 1]", o.colocated_below_cpu);
  }
  if (o.policy == "straightline") {
    return std::unique_ptr<Placer>(
        new StraightLinePlacer(o.frequency_threshold, o.size_threshold, o.window, o.clock));
  }
  if (o.policy == "adaptive") {
    AdaptivePlacer::Options a;
    a.latency_slo_ms = o.latency_slo_ms;
    a.cost_budget_usd = o.cost_budget_usd;
    a.colocated_below_cpu = o.colocated_below_cpu;
    a.window = o.window;
    return std::unique_ptr<Placer>(new AdaptivePlacer(a, o.clock));
  }
  if (o.policy == "local") return std::unique_ptr<Placer>(new FixedPlacer(TierKind::kLocal));
  if (o.policy == "container") return std::unique_ptr<Placer>(new FixedPlacer(TierKind::kContainer));
  if (o.policy == "function") return std::unique_ptr<Placer>(new FixedPlacer(TierKind::kFunction));
  return InvalidArgument("placement: unknown policy '{}' (expected straightline|adaptive|local|"
                         "container|function)", o.policy);
}

}  // namespace sl::serve

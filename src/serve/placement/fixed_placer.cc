#include "serve/placement/fixed_placer.h"

#include <fmt/format.h>

#include "serve/placement/placement_policies.h"

namespace sl::serve {

Decision FixedPlacer::Place(const PlacementInput& input) {
  Decision d;
  d.tier = tier_;
  const TierState* s = FindTier(input.tiers, tier_);
  if (s == nullptr || !s->available) {
    d.status = Unavailable("placement policy '{}': the {} tier is not {}", TierLabel(tier_),
                           TierLabel(tier_), s == nullptr ? "deployed" : "serving");
    d.reason = "fixed; tier unavailable";
    d.rule = "fixed";
    return d;
  }
  if (!s->HasCapacity()) {
    d.status = ResourceExhausted("placement policy '{}': the {} tier is full ({} running + {} queued "
                                 ">= capacity {})", TierLabel(tier_), TierLabel(tier_), s->inflight,
                                 s->queued, s->capacity);
    d.reason = "fixed; tier full";
    d.rule = "fixed";
    return d;
  }
  d.reason = "fixed";
  d.rule = "fixed";
  return d;
}

}  // namespace sl::serve

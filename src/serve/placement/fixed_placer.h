// FixedPlacer: the single-tier policies "local", "container", "function" — every request goes to
// one tier (the paper's per-tier baselines). RESOURCE_EXHAUSTED when that tier has no capacity,
// UNAVAILABLE when it is not deployed or not serving.
// Thread safety: stateless; safe from any thread.
#pragma once
#include "serve/placement/placement_policies.h"
#include "serve/api/placer.h"

namespace sl::serve {

class FixedPlacer final : public Placer {
 public:
  explicit FixedPlacer(TierKind tier) : tier_(tier) {}
  std::string_view name() const override { return TierLabel(tier_); }
  void Observe() override {}
  Decision Place(const PlacementInput& input) override;
  void Completed(const Completion&, const InferenceResponse&) override {}

 private:
  TierKind tier_;
};

}  // namespace sl::serve

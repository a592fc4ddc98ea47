// ModelRouterTier: one Tier made of one tier per model, all of the same kind — the function tier
// with several models (one `predict` function per model, as a provider deploys them). Submit
// routes by InferenceRequest::model; State sums the parts (inflight, queued, capacity, replicas)
// and averages the EWMAs weighted by replicas (each part counts at least once).
// Ownership: owns the parts. Thread safety: as the parts (any thread).
// Failure contract: an unknown model → NOT_FOUND at once; otherwise the part's.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "serve/api/tier.h"

namespace sl::serve {

class ModelRouterTier final : public Tier {
 public:
  // Every part must have `kind`; INVALID_ARGUMENT otherwise or when `parts` is empty.
  static Result<std::unique_ptr<ModelRouterTier>> Create(
      TierKind kind, std::map<std::string, std::unique_ptr<Tier>> parts);

  TierKind kind() const override { return kind_; }
  std::vector<std::string> Models() const override;
  void Submit(InferenceRequest request, InferenceCallback done) override;
  TierState State() const override;
  void Shutdown() override;

 private:
  ModelRouterTier(TierKind kind, std::map<std::string, std::unique_ptr<Tier>> parts)
      : kind_(kind), parts_(std::make_move_iterator(parts.begin()),
                            std::make_move_iterator(parts.end())) {}
  TierKind kind_;
  std::map<std::string, std::unique_ptr<Tier>, std::less<>> parts_;
};

}  // namespace sl::serve

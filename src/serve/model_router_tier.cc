#include "serve/model_router_tier.h"

#include <algorithm>

namespace sl::serve {

Result<std::unique_ptr<ModelRouterTier>> ModelRouterTier::Create(
    TierKind kind, std::map<std::string, std::unique_ptr<Tier>> parts) {
  if (parts.empty()) return InvalidArgument("{} tier: no model", TierName(kind));
  for (const auto& [model, tier] : parts) {
    if (tier == nullptr || tier->kind() != kind) {
      return InvalidArgument("{} tier: the part for model '{}' is not a {} tier", TierName(kind),
                             model, TierName(kind));
    }
  }
  return std::unique_ptr<ModelRouterTier>(new ModelRouterTier(kind, std::move(parts)));
}

std::vector<std::string> ModelRouterTier::Models() const {
  std::vector<std::string> names;
  for (const auto& [model, tier] : parts_) names.push_back(model);
  return names;
}

void ModelRouterTier::Submit(InferenceRequest request, InferenceCallback done) {
  auto it = parts_.find(request.model);
  if (it == parts_.end()) {
    InferenceResponse r;
    r.status = NotFound("{} tier: unknown model '{}'", TierName(kind_), request.model);
    done(std::move(r));
    return;
  }
  it->second->Submit(std::move(request), std::move(done));
}

TierState ModelRouterTier::State() const {
  TierState sum;
  sum.kind = kind_;
  double weight = 0, service = 0, start = 0, cost = 0;
  for (const auto& [model, tier] : parts_) {
    TierState s = tier->State();
    sum.available = sum.available || s.available;
    sum.inflight += s.inflight;
    sum.queued += s.queued;
    sum.capacity += s.capacity;
    sum.replicas += s.replicas;
    sum.max_replicas += s.max_replicas;
    const double w = static_cast<double>(std::max<int64_t>(1, s.replicas));
    weight += w;
    service += w * s.service_ms_ewma;
    start += w * s.start_ms_ewma;
    cost += w * s.cost_per_request_usd;
  }
  sum.service_ms_ewma = service / weight;
  sum.start_ms_ewma = start / weight;
  sum.cost_per_request_usd = cost / weight;
  return sum;
}

void ModelRouterTier::Shutdown() {
  for (auto& [model, tier] : parts_) tier->Shutdown();
}

}  // namespace sl::serve

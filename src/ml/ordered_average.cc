#include "ml/ordered_average.h"

#include <string>
#include <utility>
#include <vector>

#include "ml/internal/model_impl.h"

namespace sl::ml {

struct OrderedAverage::Impl {
  ModelSpec spec;
  // Per state tensor: floating point → the running sum in double; integer → model 0's copy.
  std::vector<torch::Tensor> acc;
  std::vector<bool> floating;
  std::vector<double> weights;
  double total = 0;
  bool begun = false;
  std::vector<const Model*> waiting;  // added, not folded yet (nullptr: not added)
  std::vector<bool> added;
  size_t folded = 0;

  void Fold(const Model& m) {
    torch::NoGradGuard no_grad;
    const auto src = NamedState(*m.impl().net);
    const double factor = weights[folded] / total;  // as AverageModelsInto: weights[i] / total
    for (size_t t = 0; t < acc.size(); ++t) {
      if (floating[t]) {
        acc[t].add_(src[t].second.to(torch::kDouble), factor);
      } else if (folded == 0) {
        acc[t].copy_(src[t].second);
      }
    }
    ++folded;
  }
};

OrderedAverage::OrderedAverage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OrderedAverage::OrderedAverage(OrderedAverage&&) noexcept = default;
OrderedAverage& OrderedAverage::operator=(OrderedAverage&&) noexcept = default;
OrderedAverage::~OrderedAverage() = default;

Result<OrderedAverage> OrderedAverage::Create(const ModelSpec& spec) {
  SL_ASSIGN_OR_RETURN(Model shape, Model::Create(spec, 0));
  auto impl = std::make_unique<Impl>();
  impl->spec = spec;
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : NamedState(*shape.impl().net)) {
    const bool fp = t.is_floating_point();
    impl->floating.push_back(fp);
    // zeros_like as AverageModelsInto allocates its sums (same layout, so the same kernels).
    impl->acc.push_back(fp ? torch::zeros_like(t, torch::kDouble) : torch::zeros_like(t));
  }
  return OrderedAverage(std::move(impl));
}

Status OrderedAverage::Begin(std::span<const double> weights) {
  if (weights.empty()) return InvalidArgument("OrderedAverage: no models");
  double total = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= 0)) return InvalidArgument("OrderedAverage: weight {} is {}", i, weights[i]);
    total += weights[i];
  }
  if (total <= 0) return InvalidArgument("OrderedAverage: weights sum to 0");
  Impl& s = *impl_;
  s.weights.assign(weights.begin(), weights.end());
  s.total = total;
  s.waiting.assign(weights.size(), nullptr);
  s.added.assign(weights.size(), false);
  s.folded = 0;
  s.begun = true;
  torch::NoGradGuard no_grad;
  for (auto& a : s.acc) a.zero_();  // +0.0, as zeros_like
  return Status::Ok();
}

Status OrderedAverage::Add(size_t i, const Model* model) {
  Impl& s = *impl_;
  if (!s.begun) return FailedPrecondition("OrderedAverage: Add before Begin");
  if (i >= s.weights.size()) {
    return InvalidArgument("OrderedAverage: model {} of an average of {}", i, s.weights.size());
  }
  if (s.added[i]) return InvalidArgument("OrderedAverage: model {} was already added", i);
  if (!(model->spec() == s.spec)) {
    return InvalidArgument("OrderedAverage: model {} ('{}') has another spec than the average ('{}')", i,
                           model->spec().name, s.spec.name);
  }
  s.added[i] = true;
  s.waiting[i] = model;
  while (s.folded < s.waiting.size() && s.waiting[s.folded] != nullptr) {
    const Model* next = s.waiting[s.folded];
    s.waiting[s.folded] = nullptr;
    s.Fold(*next);
  }
  return Status::Ok();
}

size_t OrderedAverage::size() const { return impl_->weights.size(); }
size_t OrderedAverage::folded() const { return impl_->folded; }

Status OrderedAverage::Finish(Model* out) const {
  const Impl& s = *impl_;
  if (!s.begun || s.folded < s.weights.size()) {
    return FailedPrecondition("OrderedAverage: {} of {} models added in order; Finish needs all", s.folded,
                              s.weights.size());
  }
  if (!(out->spec() == s.spec)) {
    return InvalidArgument("OrderedAverage: the output model ('{}') has another spec than the average ('{}')",
                           out->spec().name, s.spec.name);
  }
  torch::NoGradGuard no_grad;
  const auto dst = NamedState(*out->impl().net);
  for (size_t t = 0; t < dst.size(); ++t) dst[t].second.copy_(s.acc[t]);
  return Status::Ok();
}

}  // namespace sl::ml

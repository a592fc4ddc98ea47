// OrderedAverage: the weighted average of n models with equal specs, accumulated while the models
// arrive in any order, so that when the last one arrives only its own term and the final copy
// remain. The result has the same bits as AverageModelsInto (ml/model.h) over the same models and
// weights: per tensor it sums in model order 0..n-1, acc.add_(model_i in double, w_i / total)
// starting from zeros, with total = w_0 + ... + w_{n-1} summed in that order, then converts to
// the model's dtype; integer buffers are model 0's. So the weights must be known when the
// average begins (FedAvg: every shard's sample count follows from the job's plan), and a model
// that arrives before its predecessors waits until they have arrived.
//
//   SL_ASSIGN_OR_RETURN(OrderedAverage avg, OrderedAverage::Create(spec));
//   SL_RETURN_IF_ERROR(avg.Begin(weights));          // one per round; reuses the buffers
//   SL_RETURN_IF_ERROR(avg.Add(3, &shard_model_3));  // waits for 0, 1, 2
//   ...
//   SL_RETURN_IF_ERROR(avg.Finish(&out));            // every model added
//
// Ownership: the accumulator owns its double-precision buffers (one per floating-point tensor
// of the spec, allocated once in Create). It does not own the models given to Add: a model that
// waits for its predecessors is read when they arrive, so the caller keeps it alive and unchanged
// until folded() > i (or the next Begin, or the accumulator's destruction).
// Thread safety: none; one thread uses an accumulator at a time (it reads the models it is given
// under the rules of ml/model.h: const access, so other const readers may run concurrently).
// Failure contract: INVALID_ARGUMENT for bad weights (negative, NaN, all zero), an index out of
// range or given twice, or a model / output of another spec (the accumulator is unchanged);
// FAILED_PRECONDITION for Add before Begin or Finish before every model was added (`out` is
// unchanged).
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "common/status.h"
#include "ml/model.h"
#include "ml/model_spec.h"

namespace sl::ml {

class OrderedAverage {
 public:
  static Result<OrderedAverage> Create(const ModelSpec& spec);

  OrderedAverage(OrderedAverage&&) noexcept;
  OrderedAverage& operator=(OrderedAverage&&) noexcept;
  ~OrderedAverage();

  // Starts an average of weights.size() models, forgetting any previous one.
  Status Begin(std::span<const double> weights);
  // Model i of the average: folded in now if models 0..i-1 are, else when they are.
  Status Add(size_t i, const Model* model);
  size_t size() const;    // models in the current average
  size_t folded() const;  // models 0..folded()-1 are in the sum
  // Writes the average into `out` (a model of the spec; may be one of the added models).
  Status Finish(Model* out) const;

  struct Impl;  // in ordered_average.cc (torch)

 private:
  explicit OrderedAverage(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sl::ml

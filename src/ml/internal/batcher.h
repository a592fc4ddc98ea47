// Internal (torch): builds mini-batches from a Dataset without per-sample tensors. Dense
// features are wrapped once with from_blob (no copy) and batches are gathered with one
// index_select; token samples are packed into the EmbeddingBag (ids, offsets) layout.
// Ownership: borrows `data`, which must outlive the Batcher and stay unmodified.
// Thread safety: const methods are safe to call concurrently.
#pragma once

#include "ml/data/dataset.h"
#include "ml/internal/net.h"

namespace sl::ml {

class Batcher {
 public:
  explicit Batcher(const Dataset& data);
  // Samples at `indices` (int64 [n]), with labels.
  Batch Gather(const torch::Tensor& indices) const;
  // Samples [begin, end) in order, with labels (dense: a view, no copy).
  Batch Range(int64_t begin, int64_t end) const;

 private:
  Batch Tokens(const int64_t* idx, int64_t n) const;
  const Dataset& data_;
  torch::Tensor features_;  // dense: [size, shape...] view of data.features
  torch::Tensor labels_;    // [size] int64 view of data.labels
};

}  // namespace sl::ml

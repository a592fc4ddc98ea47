#include "ml/internal/batcher.h"

#include <numeric>
#include <vector>

namespace sl::ml {

Batcher::Batcher(const Dataset& data) : data_(data) {
  // from_blob never writes through these views; the const_cast only satisfies its signature.
  labels_ = torch::from_blob(const_cast<int64_t*>(data.labels.data()), {data.size()}, torch::kLong);
  if (data.kind == SampleKind::kDense) {
    std::vector<int64_t> shape = {data.size()};
    shape.insert(shape.end(), data.sample_shape.begin(), data.sample_shape.end());
    features_ = torch::from_blob(const_cast<float*>(data.features.data()), shape, torch::kFloat);
  }
}

Batch Batcher::Gather(const torch::Tensor& indices) const {
  Batch b;
  b.size = indices.size(0);
  b.y = labels_.index_select(0, indices);
  if (data_.kind == SampleKind::kDense) {
    b.x = features_.index_select(0, indices);
  } else {
    Batch t = Tokens(indices.data_ptr<int64_t>(), b.size);
    b.ids = std::move(t.ids);
    b.offsets = std::move(t.offsets);
  }
  return b;
}

Batch Batcher::Range(int64_t begin, int64_t end) const {
  Batch b;
  b.size = end - begin;
  b.y = labels_.slice(0, begin, end);
  if (data_.kind == SampleKind::kDense) {
    b.x = features_.slice(0, begin, end);
  } else {
    std::vector<int64_t> idx(b.size);
    std::iota(idx.begin(), idx.end(), begin);
    Batch t = Tokens(idx.data(), b.size);
    b.ids = std::move(t.ids);
    b.offsets = std::move(t.offsets);
  }
  return b;
}

Batch Batcher::Tokens(const int64_t* idx, int64_t n) const {
  const auto& off = data_.token_offsets;
  int64_t total = 0;
  for (int64_t i = 0; i < n; ++i) total += off[idx[i] + 1] - off[idx[i]];
  Batch b;
  b.ids = torch::empty({total}, torch::kLong);
  b.offsets = torch::empty({n}, torch::kLong);
  int64_t* ids = b.ids.data_ptr<int64_t>();
  int64_t* offsets = b.offsets.data_ptr<int64_t>();
  int64_t pos = 0;
  for (int64_t i = 0; i < n; ++i) {
    offsets[i] = pos;
    for (int64_t t = off[idx[i]]; t < off[idx[i] + 1]; ++t) ids[pos++] = data_.tokens[t];
  }
  return b;
}

}  // namespace sl::ml

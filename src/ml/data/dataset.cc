#include "ml/data/dataset.h"

#include <algorithm>
#include <cassert>

namespace sl::ml {

Dataset Dataset::Subset(const std::vector<int64_t>& indices) const {
  Dataset out;
  out.name = name;
  out.kind = kind;
  out.sample_shape = sample_shape;
  out.vocab_size = vocab_size;
  out.class_names = class_names;
  out.labels.reserve(indices.size());
  if (kind == SampleKind::kDense) {
    const int64_t numel = SampleNumel();
    out.features.resize(indices.size() * static_cast<size_t>(numel));
    float* dst = out.features.data();
    for (int64_t i : indices) {
      assert(i >= 0 && i < size());
      std::copy_n(features.data() + i * numel, numel, dst);
      dst += numel;
      out.labels.push_back(labels[i]);
    }
  } else {
    int64_t total = 0;
    for (int64_t i : indices) total += token_offsets[i + 1] - token_offsets[i];
    out.tokens.reserve(static_cast<size_t>(total));
    out.token_offsets.reserve(indices.size() + 1);
    out.token_offsets.push_back(0);
    for (int64_t i : indices) {
      assert(i >= 0 && i < size());
      out.tokens.insert(out.tokens.end(), tokens.begin() + token_offsets[i],
                        tokens.begin() + token_offsets[i + 1]);
      out.token_offsets.push_back(static_cast<int64_t>(out.tokens.size()));
      out.labels.push_back(labels[i]);
    }
  }
  return out;
}

}  // namespace sl::ml

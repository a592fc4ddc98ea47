// Test helpers (tests only): small synthetic datasets that models can learn in seconds.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ml/data/dataset.h"

namespace sl::ml::testing {

// {lo, lo+1, ..., hi-1}
inline std::vector<int64_t> Range(int64_t lo, int64_t hi) {
  std::vector<int64_t> v;
  for (int64_t i = lo; i < hi; ++i) v.push_back(i);
  return v;
}

// Dense "blobs": class c has a fixed random prototype in [0, 1]^shape; samples are the
// prototype plus uniform noise of +-noise, clamped to [0, 1]. Separable for small noise.
inline Dataset MakeBlobs(int64_t n, int64_t classes, std::vector<int64_t> shape, uint64_t seed,
                         float noise = 0.3f) {
  Dataset d;
  d.name = "blobs";
  d.kind = SampleKind::kDense;
  d.sample_shape = std::move(shape);
  const int64_t numel = d.SampleNumel();
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<std::vector<float>> proto(classes, std::vector<float>(numel));
  for (auto& p : proto) {
    for (auto& v : p) v = unit(gen);
  }
  for (int64_t c = 0; c < classes; ++c) d.class_names.push_back("class" + std::to_string(c));
  d.features.reserve(n * numel);
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = i % classes;
    d.labels.push_back(c);
    for (int64_t k = 0; k < numel; ++k) {
      float v = proto[c][k] + (unit(gen) * 2 - 1) * noise;
      d.features.push_back(v < 0 ? 0 : (v > 1 ? 1 : v));
    }
  }
  return d;
}

// Token samples: class c draws most of its ids from its own slice of the vocabulary, some
// from a shared slice. Variable lengths in [3, 12].
inline Dataset MakeTokenData(int64_t n, int64_t classes, int64_t vocab, uint64_t seed) {
  Dataset d;
  d.name = "tokens";
  d.kind = SampleKind::kTokens;
  d.vocab_size = vocab;
  std::mt19937_64 gen(seed);
  const int64_t slice = vocab / (classes + 1);
  for (int64_t c = 0; c < classes; ++c) d.class_names.push_back("topic" + std::to_string(c));
  d.token_offsets.push_back(0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = i % classes;
    d.labels.push_back(c);
    int64_t len = 3 + static_cast<int64_t>(gen() % 10);
    for (int64_t t = 0; t < len; ++t) {
      bool own = gen() % 4 != 0;
      int64_t base = own ? c * slice : classes * slice;
      d.tokens.push_back(static_cast<int32_t>(base + static_cast<int64_t>(gen() % slice)));
    }
    d.token_offsets.push_back(static_cast<int64_t>(d.tokens.size()));
  }
  return d;
}

}  // namespace sl::ml::testing

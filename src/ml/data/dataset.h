// Dataset: a labelled dataset held in memory, independent of libtorch so that loaders, splits
// and their tests compile fast and layers that never train (store, faas, serve gateway) can
// describe data without <torch/torch.h>.
//
// Two sample kinds:
//   kDense   fixed-shape float samples (images): features has size() * SampleNumel() values,
//            sample i at features[i * SampleNumel() ...]; sample_shape is C,H,W for images.
//   kTokens  variable-length token-id samples (text): sample i's ids are
//            tokens[token_offsets[i] .. token_offsets[i+1]), each id in [0, vocab_size).
// labels[i] is in [0, class_names.size()).
//
// Ownership: a Dataset owns its vectors; Subset() copies. Thread safety: const methods are
// safe to call concurrently; nothing else is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/big_buffer_allocator.h"

namespace sl::ml {

// Features of dense samples: hundreds of MB for an image dataset, so in huge pages where the
// kernel allows (common/big_buffer_allocator.h).
using FeatureVector = std::vector<float, BigBufferAllocator<float>>;

enum class SampleKind { kDense, kTokens };

struct Dataset {
  std::string name;                   // "fashion-mnist", "cifar10", "spamassassin", "imdb", ...
  SampleKind kind = SampleKind::kDense;

  std::vector<int64_t> sample_shape;  // kDense only
  FeatureVector features;             // kDense only

  std::vector<int64_t> token_offsets;  // kTokens only: size() + 1 entries, starting at 0
  std::vector<int32_t> tokens;         // kTokens only
  int64_t vocab_size = 0;              // kTokens only

  std::vector<int64_t> labels;
  std::vector<std::string> class_names;

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t num_classes() const { return static_cast<int64_t>(class_names.size()); }
  int64_t SampleNumel() const {
    int64_t n = 1;
    for (int64_t d : sample_shape) n *= d;
    return n;
  }
  // A new dataset with the samples at `indices` (in that order), same metadata.
  Dataset Subset(const std::vector<int64_t>& indices) const;
};

}  // namespace sl::ml

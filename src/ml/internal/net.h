// Internal (torch): the module interface every registered model implements, and the batch it
// consumes. Only sl_ml's own .cc files include this; other layers use ml/model.h.
#pragma once

#include <memory>

#include <torch/torch.h>

#include "common/status.h"
#include "ml/model_spec.h"

namespace sl::ml {

// One mini-batch. Dense models read `x` ([n, shape...] float32); token models read `ids`
// (all ids of the batch, int64) and `offsets` ([n] int64, start of each sample in ids), the
// EmbeddingBag layout. `y` ([n] int64) is absent when predicting.
struct Batch {
  torch::Tensor x;
  torch::Tensor ids;
  torch::Tensor offsets;
  torch::Tensor y;
  int64_t size = 0;
};

// A classifier: Forward returns logits [n, num_classes].
class Net : public torch::nn::Module {
 public:
  virtual torch::Tensor Forward(const Batch& batch) = 0;
};

using NetFactory = Result<std::shared_ptr<Net>> (*)(const ModelSpec& spec);

// A Linear layer's product computed by oneDNN: Debian's libtorch runs matrix products on the
// reference BLAS, while a 1x1 convolution of the same weights runs in oneDNN, about 5x faster
// here (fc layers were 60% of a cnn training step). Same parameters, same result up to float
// rounding. ATen picks oneDNN for 1x1 kernels from batch 16 on; smaller batches keep Linear.
inline torch::Tensor Dense(const torch::nn::Linear& fc, const torch::Tensor& x) {
  const int64_t n = x.size(0);
  if (n < 16) return torch::linear(x, fc->weight, fc->bias);
  const torch::Tensor& w = fc->weight;
  return torch::conv2d(x.reshape({n, w.size(1), 1, 1}), w.view({w.size(0), w.size(1), 1, 1}), fc->bias)
      .view({n, w.size(0)});
}

// Reads hyperparameter `key` of a complete spec (MakeModelSpec filled and type-checked it).
inline int64_t HparamInt(const ModelSpec& spec, const char* key) {
  return spec.hparams.at(key).get<int64_t>();
}
inline double HparamDouble(const ModelSpec& spec, const char* key) {
  return spec.hparams.at(key).get<double>();
}

}  // namespace sl::ml

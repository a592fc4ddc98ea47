// Predictor: loads a verified model artifact (native or imported TorchScript) and returns
// class probabilities. This is what the serving tiers and serverless inference workers call.
//
//   SL_ASSIGN_OR_RETURN(auto predictor, Predictor::Load("models/fmnist-cnn"));
//   SL_ASSIGN_OR_RETURN(auto preds, predictor->PredictDense(pixels, /*n=*/1));
//   preds[0].class_name, preds[0].probabilities
//
// Input contract (dense): n samples of input().Numel() floats each, row-major in the
// manifest's input shape (C,H,W for images), in the *raw* scale the dataset loader produces
// before normalisation (images: pixel/255 in [0, 1]). The Predictor applies the manifest's
// normalisation itself, so callers never need to know it. Token models take token ids, or raw
// text when the manifest holds the featurizer config.
// Errors: Load as ReadArtifact (ml/artifact.h) plus INVALID_ARGUMENT if the weights do not fit
// the model; Predict* return INVALID_ARGUMENT for input of the wrong size/kind.
// Thread safety: a loaded Predictor is immutable; all Predict* methods may be called
// concurrently from any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ml/artifact.h"
#include "ml/data/dataset.h"

namespace sl::ml {

struct Prediction {
  int64_t label = 0;                // argmax
  std::string class_name;
  std::vector<float> probabilities;  // one per class, sums to 1
};

class Predictor {
 public:
  static Result<std::unique_ptr<Predictor>> Load(const std::string& dir);
  ~Predictor();

  const Manifest& manifest() const;
  const InputSpec& input() const;
  const std::vector<std::string>& class_names() const;

  Result<std::vector<Prediction>> PredictDense(std::span<const float> values, int64_t n) const;
  // Token ids of n samples; sample i is tokens[offsets[i] .. offsets[i+1]) (offsets has n+1
  // entries, starting at 0).
  Result<std::vector<Prediction>> PredictTokens(std::span<const int32_t> tokens,
                                                std::span<const int64_t> offsets) const;
  // Text models whose manifest holds a featurizer: featurizes `text` like training did.
  Result<Prediction> PredictText(std::string_view text) const;
  // Every sample of `data` (raw scale for dense data, see above).
  Result<std::vector<Prediction>> PredictDataset(const Dataset& data) const;

  struct Impl;

 private:
  explicit Predictor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Sets libtorch's intra-op threads for this process (torch::set_num_threads). Servers that run
// predictions on several threads of their own set 1, so the two pools do not oversubscribe.
void SetInferenceThreads(int threads);

}  // namespace sl::ml

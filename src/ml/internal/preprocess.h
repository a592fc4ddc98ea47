// Internal: the preprocessing recorded in a manifest's "preprocessing" object, applied by the
// Predictor so that prediction sees exactly what training saw. Both pieces are ml/data's own
// types, so training and prediction run the same code:
//   "normalization": data::Normalization (per-channel, on the raw [0, 1] scale)
//   "featurizer":    data::TextFeaturizer config (text → token ids)
// Thread safety: immutable after FromManifest; safe to share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ml/artifact.h"
#include "ml/data/normalization.h"
#include "ml/data/text_featurizer.h"

namespace sl::ml {

class Preprocessor {
 public:
  // `where` names the manifest for errors.
  static Result<Preprocessor> FromManifest(const Manifest& m, std::string_view where);

  // Normalises n dense samples in place (no-op without a normalization entry).
  void Normalize(float* values, int64_t n) const;
  bool has_featurizer() const { return featurizer_.has_value(); }
  // Text → token ids; FAILED_PRECONDITION naming `model_dir` if there is no featurizer.
  Result<std::vector<int32_t>> Featurize(std::string_view text, std::string_view model_dir) const;

 private:
  std::optional<data::Normalization> normalization_;
  int64_t sample_numel_ = 0;
  std::optional<data::TextFeaturizer> featurizer_;
};

}  // namespace sl::ml

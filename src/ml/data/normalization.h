// Normalization: per-channel (x - mean[c]) / std[c] for dense samples of shape {C, ...}.
//
// Computed on the train split only (so validation/test statistics never leak into training),
// then applied to every split, stored in the model artifact as JSON
// {"mean": [C numbers], "std": [C numbers]} and re-applied by predict on the raw [0, 1] scale.
// A channel with zero variance gets std 1 (it is constant; dividing by 0 would give NaN).
// Thread safety: a plain value; const methods are safe concurrently.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ml/data/dataset.h"

namespace sl::ml::data {

struct Normalization {
  std::vector<float> mean;
  std::vector<float> std;

  // INVALID_ARGUMENT for a non-dense or empty dataset.
  static Result<Normalization> Compute(const Dataset& train);
  // INVALID_ARGUMENT naming the field when `j` is not {"mean": [...], "std": [...]} with equal
  // lengths and positive std.
  static Result<Normalization> FromJson(const nlohmann::json& j);
  nlohmann::json ToJson() const;

  // In place. INVALID_ARGUMENT if the dataset is not dense or its channel count differs.
  Status Apply(Dataset& d) const;
  // n samples of `sample_numel` floats each, channel-major within a sample.
  void ApplyTo(float* values, int64_t n, int64_t sample_numel) const;
};

}  // namespace sl::ml::data

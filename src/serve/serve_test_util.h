// Test helpers (tests only): a tiny real model artifact to serve, and v2 request bodies for it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ml/artifact.h"
#include "ml/model.h"
#include "ml/model_spec.h"
#include "ml/test_util.h"

namespace sl::serve::testing {

// A logistic-regression model on 1x4x4 "images" with 3 classes, written to `dir`. Returns the
// data it was shaped on (raw scale), so tests can send real samples.
inline ml::Dataset WriteTinyModel(const std::string& dir, uint64_t seed = 7) {
  ml::Dataset raw = ml::testing::MakeBlobs(12, 3, {1, 4, 4}, seed);
  auto spec = ml::MakeModelSpec("logreg", nullptr, ml::InputSpec::Of(raw), 3).value();
  ml::Model model = ml::Model::Create(spec, seed).value();
  ml::Manifest m;
  m.model = spec;
  m.class_names = raw.class_names;
  if (!ml::WriteArtifact(dir, m, model.SerializeWeights().value()).ok()) raw.features.clear();
  return raw;
}

// A v2 JSON body with samples [first, first+n) of `raw` (16 floats each).
inline std::string JsonBody(const ml::Dataset& raw, int64_t first, int64_t n,
                            const std::string& id = "r1") {
  const int64_t numel = raw.SampleNumel();
  nlohmann::json body = {
      {"id", id},
      {"inputs", {{{"name", "input__0"}, {"shape", {n, 1, 4, 4}}, {"datatype", "FP32"},
                   {"data", std::vector<float>(raw.features.begin() + first * numel,
                                               raw.features.begin() + (first + n) * numel)}}}}};
  return body.dump();
}

}  // namespace sl::serve::testing

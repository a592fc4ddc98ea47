// Running a decoded KServe v2 request on a loaded ml::Predictor and encoding the v2 response:
// what the local tier, the container replica and the worker-side predict handler all do.
// Library sl_serve_v2_predict (sl_serve_v2 + sl_ml; torch-free headers).
// Errors: INVALID_ARGUMENT from the Predictor (input of the wrong size/kind), named.
// Thread safety: stateless; a Predictor may be shared by concurrent calls.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "ml/predictor.h"
#include "serve/api/tier.h"
#include "serve/v2/v2_codec.h"

namespace sl::serve::v2 {

// The codec's view of the model's input (BYTES for text models with a featurizer).
ModelInput InputOf(const ml::Predictor& predictor);

// Predictions for every sample of `request` (dense or texts).
Result<std::vector<ml::Prediction>> Predict(const ml::Predictor& predictor,
                                            const InferenceRequest& request);

// Encodes predictions (one per sample of `request`) as the v2 response.
std::string EncodePredictions(const InferenceRequest& request, std::string_view version,
                              std::span<const ml::Prediction> predictions);

// Predict + EncodePredictions: the encoded v2 response body.
Result<std::string> RunPredictions(const ml::Predictor& predictor, const InferenceRequest& request,
                                   std::string_view version = "1");

}  // namespace sl::serve::v2

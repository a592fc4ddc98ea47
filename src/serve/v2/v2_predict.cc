#include "serve/v2/v2_predict.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

namespace sl::serve::v2 {

ModelInput InputOf(const ml::Predictor& predictor) {
  ModelInput in;
  const ml::InputSpec& spec = predictor.input();
  in.text = spec.kind != ml::SampleKind::kDense;
  in.shape = in.text ? std::vector<int64_t>{1} : spec.shape;
  // The raw scale of ml/predictor.h, said where clients look (/v2/models/{m}): JSON pixels of
  // 0..255 are accepted as numbers and saturate the answer without any error.
  const nlohmann::json& pre = predictor.manifest().preprocessing;
  std::string norm;
  if (pre.contains("normalization")) {
    norm = fmt::format("; the model normalises them itself ({})", pre["normalization"].dump());
  }
  if (in.text) {
    in.scale = "BYTES: raw text, one string per sample (the model featurizes it)";
  } else if (spec.shape.size() == 3) {
    in.scale = fmt::format(
        "FP32 pixel values / 255, in [0, 1] (not 0..255), shape [n,{}] or [n,{}]{}; image/png, "
        "image/jpeg (resized to the input) and application/octet-stream UINT8 bodies are scaled by "
        "the server",
        fmt::join(spec.shape, ","), in.Numel(), norm);
  } else {
    in.scale = fmt::format("FP32 features on the training data's raw scale{}", norm);
  }
  return in;
}

Result<std::vector<ml::Prediction>> Predict(const ml::Predictor& predictor,
                                            const InferenceRequest& request) {
  if (!request.texts.empty()) {
    std::vector<ml::Prediction> out;
    out.reserve(request.texts.size());
    for (const auto& t : request.texts) {
      SL_ASSIGN_OR_RETURN(ml::Prediction p, predictor.PredictText(t));
      out.push_back(std::move(p));
    }
    return out;
  }
  return predictor.PredictDense(request.dense, request.batch);
}

std::string EncodePredictions(const InferenceRequest& request, std::string_view version,
                              std::span<const ml::Prediction> predictions) {
  std::vector<OutputRow> rows;
  rows.reserve(predictions.size());
  for (const auto& p : predictions) rows.push_back({p.label, p.class_name, p.probabilities});
  return EncodeResponse(request.model, version, request.id, rows, request.outputs);
}

Result<std::string> RunPredictions(const ml::Predictor& predictor, const InferenceRequest& request,
                                   std::string_view version) {
  SL_ASSIGN_OR_RETURN(std::vector<ml::Prediction> preds, Predict(predictor, request));
  return EncodePredictions(request, version, preds);
}

}  // namespace sl::serve::v2

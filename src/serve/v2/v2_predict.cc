#include "serve/v2/v2_predict.h"

namespace sl::serve::v2 {

ModelInput InputOf(const ml::Predictor& predictor) {
  ModelInput in;
  const ml::InputSpec& spec = predictor.input();
  in.text = spec.kind != ml::SampleKind::kDense;
  in.shape = in.text ? std::vector<int64_t>{1} : spec.shape;
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

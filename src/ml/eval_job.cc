#include "ml/eval_job.h"

#include <fmt/format.h>

#include "ml/artifact.h"
#include "ml/predictor.h"

namespace sl::ml {
namespace {

Dataset Head(const Dataset& d, int64_t limit) {
  if (limit <= 0 || limit >= d.size()) return d;
  std::vector<int64_t> idx(limit);
  for (int64_t i = 0; i < limit; ++i) idx[i] = i;
  return d.Subset(idx);
}

}  // namespace

Result<EvalJobReport> EvaluateArtifact(const EvalOptions& o, ProgressSink* progress) {
  if (o.split != "test" && o.split != "validation" && o.split != "train") {
    return InvalidArgument("--split: '{}' is not test, validation or train", o.split);
  }
  if (o.kfold == 1 || o.kfold < 0) return InvalidArgument("--kfold: {} must be 0 (off) or >= 2", o.kfold);
  SL_ASSIGN_OR_RETURN(std::unique_ptr<Predictor> predictor, Predictor::Load(o.model_dir));
  const Manifest& m = predictor->manifest();
  const std::string where = o.model_dir + "/" + kManifestFile;
  if (o.kfold > 1 && m.format != ArtifactFormat::kNative) {
    return InvalidArgument("{}: k-fold cross-validation retrains the model, which needs a native "
                           "artifact (this one is an imported TorchScript module)", where);
  }

  data::DatasetOptions d;
  d.name = o.dataset.empty() ? m.dataset.value("name", "") : o.dataset;
  if (d.name.empty()) return InvalidArgument("{}: records no dataset; pass --dataset", where);
  d.path = o.data_dir;
  const nlohmann::json split = m.dataset.value("split", nlohmann::json::object());
  d.seed = split.value("seed", uint64_t{0});
  d.validation_fraction = split.value("validation_fraction", d.validation_fraction);
  d.test_fraction = split.value("test_fraction", d.test_fraction);
  d.normalize = false;  // the Predictor applies the artifact's own normalisation
  // Image folders are decoded to the size the model takes.
  if (m.model.input.kind == SampleKind::kDense && m.model.input.shape.size() == 3) {
    d.image_channels = m.model.input.shape[0];
    d.image_height = m.model.input.shape[1];
    d.image_width = m.model.input.shape[2];
  }
  if (m.preprocessing.contains("featurizer")) {
    Result<data::TextFeaturizerConfig> f = data::TextFeaturizerConfig::FromJson(m.preprocessing["featurizer"]);
    if (!f.ok()) return f.status().WithContext(where + ": preprocessing.featurizer");
    d.featurizer = *f;
  }
  SL_ASSIGN_OR_RETURN(data::DatasetSplits splits, data::LoadDataset(d));

  EvalJobReport r;
  r.model_dir = o.model_dir;
  r.dataset = d.name;
  r.split = o.split;
  Dataset eval_data = Head(o.split == "test" ? splits.test
                           : o.split == "validation" ? splits.validation
                                                     : splits.train, o.limit);
  if (eval_data.size() == 0) return InvalidArgument("dataset '{}': the {} split is empty", d.name, o.split);
  SL_ASSIGN_OR_RETURN(std::vector<Prediction> preds, predictor->PredictDataset(eval_data));
  std::vector<float> probs;
  probs.reserve(preds.size() * m.class_names.size());
  for (const auto& p : preds) probs.insert(probs.end(), p.probabilities.begin(), p.probabilities.end());
  SL_ASSIGN_OR_RETURN(r.eval, EvaluateProbabilities(probs, eval_data.labels, m.class_names));

  if (o.kfold > 1) {
    Dataset train = Head(splits.train, o.kfold_limit);
    if (m.preprocessing.contains("normalization")) {
      Result<data::Normalization> n = data::Normalization::FromJson(m.preprocessing["normalization"]);
      if (!n.ok()) return n.status().WithContext(where + ": preprocessing.normalization");
      SL_RETURN_IF_ERROR(n->Apply(train));
    }
    TrainConfig config;
    if (o.kfold_train) {
      config = *o.kfold_train;
    } else {
      SL_ASSIGN_OR_RETURN(config, TrainConfig::FromJson(m.training.value("config", nlohmann::json::object()),
                                                        where + ": training.config"));
    }
    SL_ASSIGN_OR_RETURN(r.kfold, CrossValidate(m.model, config, train, o.kfold, progress));
  }
  return r;
}

nlohmann::json EvalJobReport::ToJson() const {
  return {{"model", model_dir},
          {"dataset", dataset},
          {"split", split},
          {"evaluation", eval.ToJson()},
          {"kfold", kfold ? kfold->ToJson() : nlohmann::json(nullptr)}};
}

std::string EvalJobReport::ToText() const {
  std::string out = fmt::format("model {} on {} ({} split)\n", model_dir, dataset, split);
  out += eval.ToText();
  if (kfold) out += "\n" + kfold->ToText();
  return out;
}

}  // namespace sl::ml

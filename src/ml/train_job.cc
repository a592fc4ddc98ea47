#include "ml/train_job.h"

#include <fmt/format.h>

#include "common/file_util.h"
#include "ml/artifact.h"
#include "ml/model.h"

namespace sl::ml {
namespace {

std::string DefaultModel(const data::DatasetOptions& d) {
  for (const auto& info : data::KnownDatasets()) {
    if (info.name == d.name) return info.kind == SampleKind::kTokens ? "textclf" : "cnn";
  }
  return "cnn";
}

}  // namespace

Result<TrainReport> TrainModel(const TrainOptions& options, ProgressSink* progress) {
  SL_RETURN_IF_ERROR(options.train.Validate());
  const std::string model_name = options.model.empty() ? DefaultModel(options.data) : options.model;
  // Validate the model name and hyperparameters before the (slow) dataset load.
  SL_RETURN_IF_ERROR(ParseHparams(model_name, {}).status());

  TrainReport report;
  const TimePoint t0 = Clock::Real()->Now();
  SL_ASSIGN_OR_RETURN(data::DatasetSplits splits, data::LoadDataset(options.data));
  report.load_seconds = SecondsBetween(t0, Clock::Real()->Now());
  report.dataset_source = splits.source;
  report.train_samples = splits.train.size();

  SL_ASSIGN_OR_RETURN(report.spec, MakeModelSpec(model_name, options.hparams,
                                                 InputSpec::Of(splits.train),
                                                 splits.train.num_classes()));
  SL_ASSIGN_OR_RETURN(Model model, Model::Create(report.spec, options.train.seed));
  report.num_parameters = model.NumParameters();
  // Every epoch's end: the model on the validation split (its last one is the final model's
  // validation report: nothing changes the weights after the last epoch).
  std::optional<EvalReport> last_validation;
  const TimePoint train_start = Clock::Real()->Now();
  EpochEndHook hook = [&](int64_t epoch, double train_loss) -> Status {
    EpochMetrics e;
    e.epoch = epoch;
    e.train_loss = train_loss;
    if (splits.validation.size() > 0) {
      SL_ASSIGN_OR_RETURN(last_validation, Evaluate(model, splits.validation));
      e.validation_loss = last_validation->loss;
      e.validation_accuracy = last_validation->accuracy;
    }
    e.seconds = SecondsBetween(train_start, Clock::Real()->Now());
    report.epochs.push_back(e);
    return Status::Ok();
  };
  SL_ASSIGN_OR_RETURN(report.stats, Train(model, splits.train, options.train, progress, Clock::Real(), hook));
  if (last_validation) {
    report.validation = std::move(last_validation);
  } else if (splits.validation.size() > 0) {
    SL_ASSIGN_OR_RETURN(report.validation, Evaluate(model, splits.validation));
  }
  if (splits.test.size() > 0) {
    SL_ASSIGN_OR_RETURN(report.test, Evaluate(model, splits.test));
  }

  if (!options.out_dir.empty()) {
    Manifest m;
    m.model = report.spec;
    m.class_names = splits.train.class_names;
    m.dataset = DatasetManifestJson(options.data, splits);
    m.preprocessing = splits.PreprocessingJson();
    m.training = {{"config", options.train.ToJson()},
                  {"stats", report.stats.ToJson()},
                  {"epochs", EpochsJson(report.epochs)}};
    m.metrics = MetricsManifestJson(report.validation, report.test);
    SL_ASSIGN_OR_RETURN(std::string weights, model.SerializeWeights());
    SL_RETURN_IF_ERROR(WriteArtifact(options.out_dir, std::move(m), weights));
    report.artifact_dir = options.out_dir;
  }
  return report;
}

nlohmann::json DatasetManifestJson(const data::DatasetOptions& options, const data::DatasetSplits& splits) {
  return {{"name", options.name},
          {"source", splits.source},
          {"split",
           {{"seed", options.seed},
            {"validation_fraction", options.validation_fraction},
            {"test_fraction", options.test_fraction},
            {"train_limit", options.train_limit}}},
          {"train_samples", splits.train.size()},
          {"validation_samples", splits.validation.size()},
          {"test_samples", splits.test.size()}};
}

nlohmann::json MetricsManifestJson(const std::optional<EvalReport>& validation,
                                   const std::optional<EvalReport>& test) {
  nlohmann::json m = nlohmann::json::object();
  if (validation) {
    m["validation"] = {{"accuracy", validation->accuracy}, {"loss", validation->loss}, {"samples", validation->samples}};
  }
  if (test) m["test"] = {{"accuracy", test->accuracy}, {"loss", test->loss}, {"samples", test->samples}};
  return m;
}

nlohmann::json EpochMetrics::ToJson() const {
  return {{"epoch", epoch},
          {"train_loss", train_loss},
          {"validation_loss", validation_loss},
          {"validation_accuracy", validation_accuracy},
          {"seconds", seconds}};
}

nlohmann::json EpochsJson(const std::vector<EpochMetrics>& epochs) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& e : epochs) a.push_back(e.ToJson());
  return a;
}

nlohmann::json TrainReport::ToJson() const {
  nlohmann::json j = {{"model", spec.ToJson()},
                      {"num_parameters", num_parameters},
                      {"dataset_source", dataset_source},
                      {"train_samples", train_samples},
                      {"load_seconds", load_seconds},
                      {"training", stats.ToJson()},
                      {"epochs", EpochsJson(epochs)},
                      {"artifact", artifact_dir.empty() ? nlohmann::json(nullptr) : nlohmann::json(artifact_dir)}};
  j["validation"] = validation ? validation->ToJson() : nlohmann::json(nullptr);
  j["test"] = test ? test->ToJson() : nlohmann::json(nullptr);
  return j;
}

std::string TrainReport::ToText() const {
  std::string out = fmt::format(
      "model {} ({} parameters) on {} train samples from {}\n"
      "trained {} epochs / {} steps in {} ({:.0f} samples/s), final epoch loss {:.4f}\n",
      spec.name, num_parameters, train_samples, dataset_source, stats.epochs_completed, stats.steps,
      HumanSeconds(stats.seconds), stats.samples_per_second,
      stats.epoch_loss.empty() ? 0.0 : stats.epoch_loss.back());
  if (validation) {
    out += fmt::format("validation accuracy {:.4f} ({} samples)\n", validation->accuracy, validation->samples);
  }
  if (test) out += fmt::format("test accuracy       {:.4f} ({} samples)\n", test->accuracy, test->samples);
  if (!artifact_dir.empty()) out += fmt::format("artifact: {}\n", artifact_dir);
  return out;
}

}  // namespace sl::ml

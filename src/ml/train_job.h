// TrainModel: the whole `straightline train` job — load a dataset by name, build a model from
// the registry, train it (ml/trainer.h), evaluate on the validation and test splits, and write
// a model artifact (ml/artifact.h) whose manifest records the preprocessing, the split and the
// metrics, and the per-epoch series: each epoch's mean training loss and, when there is a
// validation split, the loss and accuracy of the model at the epoch's end on it (the manifest's
// training.epochs; the same keys as a serverless run's rounds in train/run_record.h:
// train_loss, validation_loss, validation_accuracy, -1 where not scored).
// Torch-free interface; callers in any layer may use it.
// Failure contract: INVALID_ARGUMENT for bad options (naming the flag/field), the dataset
// loaders' errors (naming the file), WriteArtifact's errors. Nothing is written on failure.
// Thread safety: one job at a time per process (see ml/trainer.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ml/data/registry.h"
#include "ml/evaluate.h"
#include "ml/model_spec.h"
#include "ml/progress.h"
#include "ml/trainer.h"

namespace sl::ml {

struct TrainOptions {
  data::DatasetOptions data;          // name, path, seed, train_limit, featurizer, ...
  std::string model;                  // empty: "cnn" for image datasets, "textclf" for text
  nlohmann::json hparams = nlohmann::json::object();  // missing keys take the defaults
  TrainConfig train;
  std::string out_dir;                // empty: do not write an artifact
};

// One epoch of the series above.
struct EpochMetrics {
  int64_t epoch = 0;                // 1-based
  double train_loss = 0;            // mean over the epoch's mini-batches
  double validation_loss = -1;      // < 0: no validation split
  double validation_accuracy = -1;  // < 0: no validation split
  double seconds = 0;               // wall time from the start of training to the epoch's end
  nlohmann::json ToJson() const;
};
nlohmann::json EpochsJson(const std::vector<EpochMetrics>& epochs);

struct TrainReport {
  ModelSpec spec;
  int64_t num_parameters = 0;
  std::string dataset_source;
  int64_t train_samples = 0;
  double load_seconds = 0;
  TrainStats stats;
  std::vector<EpochMetrics> epochs;
  std::optional<EvalReport> validation;  // absent when the validation split is empty
  std::optional<EvalReport> test;
  std::string artifact_dir;              // empty when not written

  nlohmann::json ToJson() const;
  std::string ToText() const;  // short summary (no confusion matrices)
};

Result<TrainReport> TrainModel(const TrainOptions& options, ProgressSink* progress = nullptr);

// The manifest's "dataset" object (name, source, split parameters, split sizes) for data loaded
// with `options`; shared by every trainer that writes artifacts.
nlohmann::json DatasetManifestJson(const data::DatasetOptions& options, const data::DatasetSplits& splits);
// The manifest's "metrics" object: {"validation": {...}, "test": {...}} for the reports present.
nlohmann::json MetricsManifestJson(const std::optional<EvalReport>& validation,
                                   const std::optional<EvalReport>& test);

}  // namespace sl::ml

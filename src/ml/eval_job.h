// EvaluateArtifact: the `straightline eval` job. Loads a model artifact, loads the dataset the
// way the artifact was trained (its split seed and fractions, raw scale + the artifact's own
// normalisation / featurizer), and reports accuracy, per-class accuracy and the confusion
// matrix on one split; with kfold > 1 it also cross-validates the artifact's architecture and
// hyperparameters on the train split (ml/evaluate.h CrossValidate).
// Failure contract: the artifact's load errors (naming the file), the loaders' errors,
// INVALID_ARGUMENT for bad options (k-fold of an imported TorchScript model, unknown split).
// Thread safety: one job at a time per process.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ml/data/registry.h"
#include "ml/evaluate.h"
#include "ml/progress.h"
#include "ml/trainer.h"

namespace sl::ml {

struct EvalOptions {
  std::string model_dir;
  std::string dataset;      // empty: the artifact's dataset
  std::string data_dir;     // empty: the dataset's default location
  std::string split = "test";  // "test" | "validation" | "train"
  int64_t limit = 0;        // > 0: evaluate at most this many samples of the split
  int64_t kfold = 0;        // > 1: also run k-fold cross-validation
  int64_t kfold_limit = 0;  // > 0: cross-validate on at most this many train samples
  // Training config for the k-fold models; absent: the artifact's own training config.
  std::optional<TrainConfig> kfold_train;
};

struct EvalJobReport {
  std::string model_dir;
  std::string dataset;
  std::string split;
  EvalReport eval;
  std::optional<KFoldReport> kfold;
  nlohmann::json ToJson() const;
  std::string ToText() const;
};

Result<EvalJobReport> EvaluateArtifact(const EvalOptions& options, ProgressSink* progress = nullptr);

}  // namespace sl::ml

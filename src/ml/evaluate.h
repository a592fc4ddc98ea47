// Evaluation of a trained Model on a labelled Dataset (accuracy, per-class accuracy, confusion
// matrix, mean loss) and K-fold cross-validation of a model architecture on a dataset.
// Thread safety: Evaluate only reads the model (concurrent calls are fine); CrossValidate
// trains, so the rules of ml/trainer.h apply.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ml/data/dataset.h"
#include "ml/model.h"
#include "ml/progress.h"
#include "ml/trainer.h"

namespace sl::ml {

struct EvalReport {
  int64_t samples = 0;
  int64_t correct = 0;
  double accuracy = 0;
  double loss = 0;                               // mean cross-entropy
  std::vector<std::string> class_names;
  std::vector<int64_t> class_samples;            // per true class
  std::vector<double> per_class_accuracy;        // recall per true class (0 if no samples)
  std::vector<std::vector<int64_t>> confusion;   // [true class][predicted class]

  nlohmann::json ToJson() const;
  // Human-readable: accuracy, per-class table, confusion matrix.
  std::string ToText() const;
};

// Classes are labelled with data.class_names (index numbers where missing).
// Batches of 64: the cnn scores 11,000 samples/s per core at 64 and 1,900 at 512 (oneDNN's
// convolutions fall off a cliff on large batches here; bench/train_throughput prints both rates).
inline constexpr int64_t kEvaluateBatch = 64;
Result<EvalReport> Evaluate(const Model& model, const Dataset& data,
                            int64_t batch_size = kEvaluateBatch);

// The same report from class probabilities (row-major [labels.size(), class_names.size()]),
// e.g. a Predictor's output; loss is the mean -log p(true class).
Result<EvalReport> EvaluateProbabilities(std::span<const float> probabilities,
                                         const std::vector<int64_t>& labels,
                                         const std::vector<std::string>& class_names);

struct KFoldReport {
  int64_t k = 0;
  std::vector<double> fold_accuracy;
  std::vector<int64_t> fold_samples;
  double mean_accuracy = 0;
  double std_accuracy = 0;  // population standard deviation over folds
  double seconds = 0;
  nlohmann::json ToJson() const;
  std::string ToText() const;
};

// K-fold cross-validation: shuffles the sample indices with config.seed, cuts them into k
// folds of near-equal size, and for each fold i trains a fresh model of `spec` (seed
// config.seed + i) on the other k-1 folds with `config`, then evaluates it on fold i.
// INVALID_ARGUMENT if k < 2 or k > data.size().
Result<KFoldReport> CrossValidate(const ModelSpec& spec, const TrainConfig& config,
                                  const Dataset& data, int64_t k, ProgressSink* progress = nullptr);

}  // namespace sl::ml

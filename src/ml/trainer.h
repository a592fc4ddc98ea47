// Train: runs mini-batch training of a Model on a Dataset in this process. It is the one
// training loop of straightline: `straightline train`, k-fold cross-validation and (issue 5)
// the serverless `train-shard` handler — "start from these weights, run K local steps on this
// shard, return the new weights" — all call it.
//
// Reproducible: the same model state, data, config (incl. seed and threads) give bit-identical
// weights. Shuffling uses the trainer's own generator seeded from config.seed + epoch, and
// libtorch's generator (dropout) is seeded from config.seed.
// Optimizer state (Adam moments, SGD momentum) lives only for one Train() call.
// Thread safety: see ml/model.h (exclusive access to the model; libtorch's global generator
// and thread count are set, so one Train() at a time per process).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "ml/data/dataset.h"
#include "ml/model.h"
#include "ml/progress.h"

namespace sl::ml {

struct TrainConfig {
  std::string optimizer = "adam";  // "adam" | "sgd"
  double lr = 1e-3;
  double momentum = 0.9;           // sgd only
  double weight_decay = 0.0;
  int64_t batch_size = 64;
  int64_t epochs = 1;
  int64_t max_steps = 0;           // > 0: stop after this many optimizer steps (local steps)
  uint64_t seed = 1;
  int threads = 0;                 // > 0: torch::set_num_threads(threads) (process-wide)
  bool shuffle = true;

  Status Validate() const;  // INVALID_ARGUMENT naming the field
  nlohmann::json ToJson() const;
  static Result<TrainConfig> FromJson(const nlohmann::json& j, std::string_view where);
};

struct TrainStats {
  int64_t steps = 0;
  int64_t samples = 0;          // samples processed (steps × batch, last batch smaller)
  int64_t epochs_completed = 0;
  double seconds = 0;
  double samples_per_second = 0;
  std::vector<double> epoch_loss;  // mean training loss per (possibly partial) epoch
  nlohmann::json ToJson() const;
};

// Called at the end of every epoch (a last partial one under max_steps too) with the epoch
// (1-based) and its mean training loss, the model in eval mode (dropout off, batch-norm running
// statistics used and not updated) and back in training mode after it; it must not change the
// weights. Evaluating there draws no random numbers, so the weights stay bit-identical to a run
// without the hook. A non-OK status stops training and is returned.
using EpochEndHook = std::function<Status(int64_t epoch, double train_loss)>;

// Trains `model` in place. INVALID_ARGUMENT if the data does not fit the model or the config
// is invalid; the model is left unchanged in that case.
Result<TrainStats> Train(Model& model, const Dataset& data, const TrainConfig& config,
                         ProgressSink* progress = nullptr, Clock* clock = Clock::Real(),
                         const EpochEndHook& on_epoch_end = nullptr);

}  // namespace sl::ml

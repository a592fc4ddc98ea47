#include "train/serverless_defaults.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace sl::train {

ServerlessDefaults ChooseServerlessDefaults(int64_t workers, int64_t train_samples, int64_t batch_size,
                                            double base_lr) {
  ServerlessDefaults d;
  const int64_t k = std::max<int64_t>(1, workers);
  d.lr = base_lr * std::sqrt(static_cast<double>(k));
  d.server_momentum = k >= 2 ? 0.5 : 0.0;
  // Rounds per epoch: 2K, at least 4, but no more than leave kMinLocalSteps steps per round.
  int64_t rounds = 2 * k;
  std::string why = "2 x workers";
  if (rounds < 4) {
    rounds = 4;
    why = "at least 4";
  }
  if (train_samples > 0 && batch_size > 0) {
    // Local steps one function makes over its shard in an epoch.
    const int64_t steps = std::max<int64_t>(1, train_samples / k / batch_size);
    const int64_t cap = std::max<int64_t>(1, steps / kMinLocalSteps);
    if (cap < rounds) {
      rounds = cap;
      why += fmt::format(", at least {} local steps per round", kMinLocalSteps);
    }
  }
  d.rounds_per_epoch = rounds;
  d.lr_note = fmt::format("--lr {:.3g}{}", d.lr, k > 1 ? fmt::format(" (x sqrt({}))", k) : "");
  d.momentum_note = fmt::format("--server-momentum {}", d.server_momentum);
  d.rounds_note = fmt::format("--rounds-per-epoch {} ({})", rounds, why);
  d.schedule_note = "--lr-schedule " + d.lr_schedule;
  return d;
}

}  // namespace sl::train

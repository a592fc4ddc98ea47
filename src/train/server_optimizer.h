// The coordinator's side of federated averaging: how the round's weighted average of the shard
// updates becomes the next global model. Plain FedAvg takes the average as it is (lr 1,
// momentum 0). With server momentum (FedAvgM: Hsu, Qi and Brown, "Measuring the Effects of
// Non-Identical Data Distribution for Federated Visual Classification", 2019) the change the round
// made, delta = average - global, is treated as a pseudo-gradient step:
//   velocity = momentum * velocity + delta;   global += lr * velocity
// so consistent directions across rounds accumulate: FedAvg with 8 workers makes about one
// large-batch step per round where one process makes 8, and momentum recovers part of that
// (docs/benchmarks.md, "Serverless training: time to accuracy").
//
// The velocity belongs to global model version v and is kept in the store next to it
// (JobKeys::Velocity(v)), so a resumed coordinator continues with the same state; writing it
// again for the same version writes the same bytes (the round's accepted updates are fixed by
// put-if-absent), so re-running a round after a crash applies it once.
// Failure contract: INVALID_ARGUMENT on size mismatches or bad settings, DATA_LOSS naming
// `where` for a velocity blob that is torn or of the wrong size. Thread safety: stateless.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sl::train {

struct ServerOptimizer {
  double lr = 1.0;
  double momentum = 0.0;

  bool IsPlainAverage() const { return lr == 1.0 && momentum == 0.0; }
  Status Validate() const;  // lr in (0, 10], momentum in [0, 1)
};

// One server step in place. `velocity` is resized to global's size and zeroed when empty (the
// first round).
Status ApplyServerStep(const ServerOptimizer& opt, std::span<const float> average,
                       std::vector<float>* global, std::vector<float>* velocity);

std::string EncodeVelocity(std::span<const float> velocity, int64_t version);
Result<std::vector<float>> DecodeVelocity(std::string_view bytes, int64_t version, size_t size,
                                          std::string_view where);

}  // namespace sl::train

// The settings a serverless training job uses when the user does not choose them, chosen from the
// number of workers and the size of the data (issue 17: with one set of defaults for every
// worker count, 8 workers ended 0.044 below single-process accuracy on the cnn).
//
// Why these: K workers that each train on 1/K of the data and are averaged every round make
// about one worker's worth of progress per round, so a job of E epochs moves the model as far as
// E/K epochs of one process would, with K times larger (less noisy) batches. The defaults make up
// for it the way large-batch training does, and measured on the cnn (docs/benchmarks.md,
// "Serverless training: accuracy with default flags"):
//   - the functions' learning rate is --lr x sqrt(K) (Adam's square-root rule for a K-times
//     larger batch),
//   - server momentum 0.5 from 2 workers on (FedAvgM: consistent directions across rounds add up;
//     one worker's average is its own trajectory, which momentum would only amplify),
//   - more, shorter rounds as K grows, 2K per epoch (at least 4), but never fewer than kMinLocalSteps local
//     steps per round (each round restarts the functions' Adam state, whose first steps are
//     sign-like and noisy; with a handful of steps per round the job stops converging),
//   - the "tail" schedule: the learning rate constant, then decaying linearly to ~0 over the last
//     quarter of the rounds, so a job ends on small steps instead of on the noise of a constant
//     rate (cosine over the whole job cost more progress than it saved: -0.8 to -1.2 points).
// Thread safety: a pure function.
#pragma once
#include <cstdint>
#include <string>

namespace sl::train {

struct ServerlessDefaults {
  double lr = 1e-3;                // the functions' (local) learning rate
  double server_momentum = 0.0;
  int64_t rounds_per_epoch = 4;
  std::string lr_schedule = "tail";
  // For the user, per setting: "--flag value (from what)", so a caller can say which defaults it
  // applied (those the user did not set).
  std::string lr_note, momentum_note, rounds_note, schedule_note;
};

inline constexpr int64_t kMinLocalSteps = 6;

// `base_lr`: the single-process learning rate (--lr's default); `train_samples`: the expected size
// of the train split (0 = unknown: the rounds per epoch then follow K alone).
ServerlessDefaults ChooseServerlessDefaults(int64_t workers, int64_t train_samples, int64_t batch_size,
                                            double base_lr);

}  // namespace sl::train

// The planner: dynamic resource allocation for a serverless training job (in the spirit of AWS
// Lambda Power Tuning), from a measurement rather than a guess.
//
//  1. Measures the model's training time per sample on this machine (a few steps on one thread
//     of the coordinator's process, i.e. at 1 vCPU).
//     Or, between rounds / from an earlier run, from a round's measured attempts
//     (CalibrateFromRound: Σ compute / Σ samples, scaled back to 1 vCPU by the CPU the size bought).
//  2. Work per invocation: a shard's chunk per round (train samples / workers / rounds_per_epoch);
//     rounds_per_epoch is raised until the predicted duration at the chosen memory stays within
//     a safety factor (kTimeoutSafety = 50 %) of the function timeout (and the provider's maximum
//     timeout). Invocations per round = workers; when they exceed the concurrency limit (the
//     profile's default_concurrency unless given) they run in ceil(workers / limit) waves.
//  3. Memory: for every size the provider allows, predicted duration = fixed overhead + samples ×
//     time per sample / min(vCPU(memory), threads) — CPU follows memory under the provider's
//     rule — and cost = invocations × PriceInvocation(profile, duration, memory). It picks the
//     cheapest size whose predicted job time (rounds × slowest invocation, functions in parallel
//     as on the provider) meets the deadline (0 = none); ties go to the faster size. If no size
//     meets the deadline it picks the fastest and says so.
//  4. Memory floor: a size must hold the job. The peak of each stage is bounded from what the
//     stage holds (BoundStageMemory: the dataset a preprocessing function loads whole, a shard and
//     its chunk, the model's weights, gradients, optimizer state and serialised copies, and the
//     worker's own baseline with libtorch loaded), and no size below the larger bound plus
//     kMemoryMargin is chosen. (Without the floor the planner chose 128 MB for the cnn and every
//     preprocessing attempt ran out of memory.)
// Every step is explained in `reasoning` (printed by the CLI).
// Failure contract: the dataset/profile errors as they come; INVALID_ARGUMENT for a bad spec;
// FAILED_PRECONDITION when no size both holds the stages' memory and fits the timeout (naming both).
// Thread safety: runs training in this process (see ml/trainer.h).
#pragma once
#include <string>
#include <vector>

#include "common/status.h"
#include "faas/economics/provider_profile.h"
#include "train/job_spec.h"
#include "train/run_record.h"

namespace sl::train {

struct PlanInput {
  JobSpec spec;
  double deadline_s = 0;          // whole job; 0 = none
  double seconds_per_sample = 0;  // > 0: skip the measurement (tests)
  int64_t train_samples = 0;      // with seconds_per_sample: the train split's size
  double overhead_s = 0.3;        // per invocation: model/shard transfer, (de)serialisation
  int64_t concurrency_limit = 0;  // 0: the profile's default_concurrency (0 there: unlimited)
  // Peak memory of the stages in MB; > 0: given (tests, or measured by an earlier run). With the
  // measurement (seconds_per_sample = 0) they are bounded from the loaded dataset and model.
  double preprocess_peak_mb = 0;
  double train_peak_mb = 0;
};

// What a stage's functions hold at their peak, from the sizes the planner measured.
struct MemoryFootprint {
  int64_t dataset_bytes = 0;     // every split as the functions load it (features/tokens + labels)
  int64_t raw_bytes = 0;         // the dataset's files as read, before decoding (0: unknown)
  int64_t train_samples = 0;
  int64_t train_bytes = 0;       // the train split alone
  int64_t workers = 1;
  int64_t rounds_per_epoch = 1;
  int64_t model_parameters = 0;
  int64_t batch_size = 64;
  int64_t sample_floats = 0;     // one sample's input values (activations scale with it)
};
struct StageMemory {
  double preprocess_mb = 0;
  double train_mb = 0;
  std::string explanation;  // the terms, for the planner's reasoning
};
// Upper bounds of the two stages' peak memory (MB). Pure.
StageMemory BoundStageMemory(const MemoryFootprint& f);

// What a straightline-worker holds before any stage data: its heap and libtorch's (measured: an
// exec-spawned worker peaks at ~61 MB on an echo; fork-from-template instances share the
// template's pages and are charged less).
inline constexpr double kWorkerBaselineMb = 64;
// Headroom over the bounded peak: allocator fragmentation and what the bound does not model.
inline constexpr double kMemoryMargin = 0.25;

// An invocation's predicted duration may use at most this share of the function timeout.
inline constexpr double kTimeoutSafety = 0.5;

struct PlanCandidate {
  int64_t memory_mb = 0;
  double vcpu = 0;
  double duration_s = 0;          // predicted per invocation
  double job_seconds = 0;         // predicted: rounds × waves × duration
  double cost_usd = 0;            // predicted: all invocations
};

struct Plan {
  int64_t memory_mb = 0;
  int64_t rounds_per_epoch = 0;
  int64_t samples_per_invocation = 0;
  int64_t steps_per_invocation = 0;   // local optimizer steps: ceil(samples / batch size)
  int64_t invocations_per_round = 0;  // = workers
  int64_t waves_per_round = 1;        // ceil(invocations per round / concurrency limit)
  double seconds_per_sample = 0;
  StageMemory stage_memory;           // the bounded peaks (0 when unknown)
  int64_t min_memory_mb = 0;          // the floor: max(stage peaks) × (1 + kMemoryMargin)
  std::vector<PlanCandidate> candidates;
  std::vector<std::string> reasoning;
};

Result<Plan> PlanMemory(const PlanInput& input);
// The same with an explicit profile (tests).
Result<Plan> PlanMemoryWithProfile(const PlanInput& input, const faas::ProviderProfile& profile);

// Time per sample at 1 vCPU and the per-invocation overhead, from one finished round's accepted
// attempts ("ok") run under `profile` with `threads` training threads: seconds_per_sample =
// Σ compute / Σ samples × min(vCPU(memory), threads); overhead = mean(duration − compute).
// FAILED_PRECONDITION (naming the round) when the round has no accepted attempt with samples.
struct Calibration {
  double seconds_per_sample = 0;
  double overhead_s = 0;
};
Result<Calibration> CalibrateFromRound(const RoundRecord& round, const faas::ProviderProfile& profile, int threads);

}  // namespace sl::train

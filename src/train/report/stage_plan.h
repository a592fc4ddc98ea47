// The cheapest provider per stage (issue 21 §3, `straightline plan`): from measured stage profiles
// — a serverless training run's preprocessing and rounds (its RunRecord), and inference at a
// request rate (a ledger of the predict function, a load report, or given numbers) — every
// provider's predicted time and cost per stage, and the cheapest combination of (provider, memory)
// per stage that meets a deadline (the training job: preprocessing + rounds) and a p99 SLO
// (inference); beside it the best single-provider plan.
//
// The model, applied to every function profile at every memory size it allows:
//   CPU       what a size buys, e = min(vCPU(provider, memory), threads), as the platform's cgroup
//             quota gives it (faas::VcpuForMemory). A measured invocation's CPU-bound part is
//             rescaled from the CPU it had to the CPU a candidate buys: scaled_ms × e_measured / e.
//             With a file:// store (the embedded platform) the whole handler duration is taken as
//             CPU work (reading and writing the store are memory copies and (de)serialisation); with
//             a remote store the handler's transfer phases (download, upload) are kept as measured.
//             A second run of the stage at another CPU calibrates the share that really follows it
//             (CalibrateCpuShare; measured here: 16-73 % of preprocessing, docs/benchmarks.md).
//   init      our process's measured cold start, as measured (not rescaled), billed where the
//             profile bills INIT; the provider's own platform cold-start overhead
//             (cold_start.mean_ms) is added to a step's time when the step has a cold start.
//   training  a stage is steps run one after another (preprocessing: one; training: one per
//             round), a step's invocations in parallel: its time = waves × the slowest (init +
//             duration) + the provider's cold start, waves = ceil(invocations / concurrency limit)
//             (eq. 5 with the provider's limit); its cost = Σ PriceInvocation over the accepted
//             invocations (failed and late attempts are not planned for). The cold starts are the
//             run's (the keep-alive of every profile outlasts a round).
//   memory    a size must hold the stage: at least its measured peak × (1 + kPlanMemoryMargin),
//             and its slowest invocation within kPlanTimeoutSafety of the provider's maximum
//             timeout (or the given one).
//   inference rate λ for a window W: mean and p99 handler durations rescaled by CPU as above;
//             instances in flight N = λ × mean (Little), peak N + 3√N must fit the provider's
//             concurrency limit; cold starts = the peak's first starts + λW × exp(−(λ / peak) ×
//             keep-alive) (an instance idle past keep-alive); p99 latency = the p99 duration +
//             extra_ms when cold starts are under 1 % of requests, else the cold requests' own
//             quantile (init + the provider's cold start mean + z × its SD); cost = warm requests
//             at the mean duration + cold ones with INIT.
// Choices: per stage, the cheapest feasible option (ties: faster). With a deadline, the cheapest
// (preprocess, train) pair whose times sum within it; with an SLO, the cheapest inference option
// whose p99 meets it. A single-provider plan is the same search restricted to one provider, and
// the mixed search includes every single-provider plan, so the mixed plan is never predicted
// more expensive than the best single-provider plan that meets the same constraints (tested as a
// property). When no plan meets the deadline (or the SLO), the fastest is taken and marked.
//
// Failure contract: INVALID_ARGUMENT naming the field for a stage profile without invocations, a
// non-positive rate or service time, or an empty provider list; NOT_FOUND for a run's provider
// without a profile (as LoadProviderProfile). Thread safety: pure functions (the *Of helpers
// read profiles/).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "faas/economics/invocation_record.h"
#include "faas/economics/provider_profile.h"
#include "train/run_record.h"

namespace sl::train {

// As the memory planner's kMemoryMargin and kTimeoutSafety (train/planner.h).
inline constexpr double kPlanMemoryMargin = 0.25;
inline constexpr double kPlanTimeoutSafety = 0.5;

// One measured invocation, reduced to what predicts it under another profile.
struct MeasuredInvocation {
  double scaled_ms = 0;   // the CPU-bound part of its duration, as measured
  double fixed_ms = 0;    // the rest (a remote store's transfers), kept as measured
  double init_ms = 0;     // our process's cold start; 0 when warm
  bool cold_start = false;
  int64_t peak_mb = 0;
};

// A training stage as measured: steps one after another, a step's invocations in parallel.
struct TrainingStageWork {
  std::string stage;                  // "preprocess" | "train"
  std::string measured_provider;
  int64_t measured_memory_mb = 0;
  double measured_cpu = 0;            // e of the size it ran at (see the header comment)
  std::vector<std::vector<MeasuredInvocation>> steps;
  int64_t peak_mb = 0;                // the largest invocation's peak
  // The share of scaled_ms that follows CPU: 1 unless calibrated by a second run at another size
  // (CalibrateCpuShare); the rest was moved to fixed_ms.
  double cpu_share = 1;
  std::string calibration;            // how cpu_share was found ("" = assumed 1)
};

// Calibrates how much of `base`'s CPU-bound time really follows the CPU, from `other`: the same
// stage measured at another CPU (another size or provider; e.g. the second probing run). With
// the mean CPU-bound time per invocation S at CPU e in each run, S_other / S_base =
// 1 - a + a * e_base / e_other gives the share a (clamped to [0, 1]); base's invocations keep
// a of their CPU-bound time as scaled_ms and move the rest to fixed_ms. On this machine a
// function at "1 vCPU" shares the cores with everything else, so it gets less than its quota and
// a profile measured there would otherwise predict smaller sizes too slow (docs/benchmarks.md).
// INVALID_ARGUMENT when the stages differ, or ran at CPUs within 10 % of each other.
Status CalibrateCpuShare(TrainingStageWork* base, const TrainingStageWork& other);

// The two training stages of a run record (accepted attempts only), `threads` training threads
// per function. NOT_FOUND when the record's provider has no profile; INVALID_ARGUMENT when a
// stage has no accepted attempt.
Result<TrainingStageWork> PreprocessWorkOf(const RunRecord& record, int threads = 1);
Result<TrainingStageWork> TrainWorkOf(const RunRecord& record, int threads = 1);

// Inference at a request rate, measured or given.
struct InferenceWork {
  double rate_per_s = 0;
  double window_s = 3600;       // how long the load lasts: the bill covers rate × window requests
  double service_ms = 0;        // mean handler duration
  double service_p99_ms = 0;    // its p99 (0: the mean)
  double measured_cpu = 1;      // the CPU those durations had
  double init_ms = 0;           // our cold start (the predict function loading its model)
  double extra_ms = 0;          // what a client sees beyond the handler (HTTP, gateway)
  int64_t peak_mb = 0;          // 0: unknown (no memory floor)
  std::string source;           // where the numbers came from, for the report
};

// From a ledger's invocations of one function (the function tier's predict-<model>): mean and
// p99 duration, mean init of its cold starts, peak memory, the CPU its size bought, and the rate
// over the span of its start times. `function` "" = the one function in the ledger that is not a
// training function (sl-preprocess-*, sl-train-*); INVALID_ARGUMENT naming them when several
// are, or when none has a successful invocation.
Result<InferenceWork> InferenceWorkFromLedger(const std::vector<faas::InvocationRecord>& records,
                                              const std::string& function, int threads = 1);

struct PlanOptions {
  std::vector<std::string> providers;  // function profiles to consider; empty = every one shipped
  double deadline_s = 0;               // preprocessing + training; 0 = none
  double slo_p99_ms = 0;               // inference; 0 = none
  int threads = 1;                     // training threads per function (train's default)
  double timeout_s = 0;                // the functions' timeout; 0 = each provider's maximum
};

// One provider at one memory size for one stage.
struct StageOption {
  std::string stage;
  std::string provider;
  int64_t memory_mb = 0;
  double cpu = 0;                  // e at this size
  double time_s = 0;               // training: the stage's time; inference: the p99 latency in s
  double cost_usd = 0;
  int64_t invocations = 0;
  int64_t cold_starts = 0;
  double provider_cold_start_s = 0;  // training: the profile's cold-start overhead inside time_s
  double mean_ms = 0;              // inference: mean duration
  double p99_ms = 0;               // inference: predicted p99 latency
  double cold_share = 0;           // inference: share of requests that start an instance
  int64_t peak_instances = 0;      // inference: N + 3√N
  bool feasible = true;            // holds the stage, within the timeout and concurrency limit
  std::string why_not;             // when not feasible
};

// Every size of one provider for one stage.
Result<std::vector<StageOption>> PredictTrainingStage(const TrainingStageWork& work, const faas::ProviderProfile& p,
                                                      const PlanOptions& o);
Result<std::vector<StageOption>> PredictInference(const InferenceWork& work, const faas::ProviderProfile& p,
                                                  const PlanOptions& o);
// One size (the nearest the provider allows to memory_mb).
Result<StageOption> PredictTrainingStageAt(const TrainingStageWork& work, const faas::ProviderProfile& p,
                                           int64_t memory_mb, const PlanOptions& o);

// One provider's row of a stage: its cheapest feasible size and its fastest.
struct ProviderStageRow {
  std::string provider;
  bool feasible = false;        // some size is
  std::string why_not;          // when none is: the largest size's reason
  StageOption cheapest;
  StageOption fastest;
};

struct StageRows {
  std::string stage;
  std::vector<ProviderStageRow> providers;
};

// A plan: one option per stage present.
struct StageChoice {
  std::map<std::string, StageOption> stages;  // "preprocess", "train", "inference"
  double training_time_s = 0;                 // preprocess + train
  double cost_usd = 0;                        // every stage
  bool meets_deadline = true;
  bool meets_slo = true;
  bool found = false;                         // some plan exists (every stage has a feasible option)
};

struct StagePlan {
  PlanOptions options;
  std::vector<StageRows> stages;
  StageChoice mixed;
  StageChoice best_single;
  std::map<std::string, StageChoice> single;  // per provider (found or not)
  std::map<std::string, std::string> measured;  // per stage: what its profile is
  std::vector<std::string> notes;
};

// Plans the stages present: `preprocess` / `train` null to leave a training stage out,
// `inference` null to leave inference out (at least one stage).
Result<StagePlan> PlanStages(const TrainingStageWork* preprocess, const TrainingStageWork* train,
                             const InferenceWork* inference, const PlanOptions& options);
// The same over profiles already loaded (tests: made-up providers); options.providers is ignored.
Result<StagePlan> PlanStagesWith(const TrainingStageWork* preprocess, const TrainingStageWork* train,
                                 const InferenceWork* inference, const PlanOptions& options,
                                 std::vector<faas::ProviderProfile> profiles);

std::string StagePlanText(const StagePlan& plan);
nlohmann::json StagePlanJson(const StagePlan& plan);

}  // namespace sl::train

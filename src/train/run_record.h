// RunRecord: what a serverless training job measured, round by round and invocation by invocation.
// The coordinator (coordinator.h) fills it as the job runs and checkpoints it with the job; the
// run report (run_report.h) and the provider comparison read it. Plain data, no behaviour beyond
// JSON round-tripping, so the coordinator and the reporting code can evolve separately.
//
// Where each figure comes from:
//   measured here   handler phase timings (download/compute/upload), durations, init (cold start of
//                   our process), queued time, wall times, aggregation/evaluation time
//   from profile    billed_ms rounding, prices, provider cold-start overhead (applied in reports)
// Thread safety: plain value.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace sl::train {

// How one attempt ended, as the trainer sees it: the function host's outcome (faas::Outcome)
// refined by the coordinator's check of the output (an accepted update, a late one, an invalid
// one). Run records and checkpoints hold its name (AttemptOutcomeName), so records already on
// disk read unchanged; in memory it is always this type.
enum class AttemptOutcome {
  kOk,             // "ok": its output was accepted
  kAcceptedLate,   // "accepted-late": valid, but another attempt of the shard won
  kFunctionError,  // "function-error": the handler failed (handled or unhandled error)
  kTimeout,        // "timeout"
  kOutOfMemory,    // "out-of-memory"
  kCrash,          // "crash"
  kThrottled,      // "throttled": the host refused it (concurrency limit)
  kInvalidUpdate,  // "invalid-update": reported success, but its output is missing or invalid
  kPlatformError,  // "platform-error": the host did not run it
};
std::string_view AttemptOutcomeName(AttemptOutcome o);
// INVALID_ARGUMENT for a name not listed above.
Result<AttemptOutcome> ParseAttemptOutcome(std::string_view name);
// Whether the attempt produced a valid output (kOk or kAcceptedLate).
inline bool ProducedOutput(AttemptOutcome o) {
  return o == AttemptOutcome::kOk || o == AttemptOutcome::kAcceptedLate;
}

// One invocation of the train-shard function (one attempt of one shard in one round).
struct ShardAttempt {
  int64_t round = 0;
  int64_t shard = 0;
  int64_t attempt = 0;           // 0 = first try, 1.. = retries
  bool speculative = false;      // backup invocation for a straggler
  std::string request_id;
  // How it ended (serialized as AttemptOutcomeName: "ok", "accepted-late", ...).
  AttemptOutcome outcome = AttemptOutcome::kOk;
  std::string error;             // message when not ok
  bool cold_start = false;
  double init_ms = 0;            // measured: spawn + runtime init of our process
  double duration_ms = 0;        // measured handler duration (what the provider bills)
  double billed_ms = 0;
  double queued_ms = 0;          // waited for local capacity on this machine (never billed)
  int64_t memory_mb = 0;         // configured memory size
  int64_t max_memory_mb = 0;
  double cost_usd = 0;
  // Phases inside the handler, measured by the handler itself.
  double download_model_ms = 0;
  double download_shard_ms = 0;
  double compute_ms = 0;
  double upload_ms = 0;
  int64_t samples = 0;           // samples processed (sum over local steps)
  int64_t steps = 0;
  double loss = 0;               // mean local training loss
  // Transient store errors (5xx, SlowDown, resets, truncated bodies) the handler's store client
  // met and retried with backoff (store/retry.h), as the handler reported them.
  int64_t store_retries = 0;
  // What the handler's store client moved and asked (store/transfer_counts.h), as the handler
  // reported it: bodies in bytes, requests by billing class. For pricing transfer between
  // clouds (faas/economics/transfer_pricing.h). 0 for a file:// store and failed attempts.
  int64_t store_bytes_read = 0;
  int64_t store_bytes_written = 0;
  int64_t store_read_requests = 0;
  int64_t store_write_requests = 0;
  int64_t store_list_requests = 0;
};

struct RoundRecord {
  int64_t round = 0;             // 0-based; produces global model version round+1
  double wall_ms = 0;            // measured: round start (model N written) to model N+1 written;
                                 // the report's round wall time adds checkpoint_wait_ms
  double write_model_ms = 0;     // coordinator: upload of global model N
  double map_ms = 0;             // coordinator: first invoke to last valid output
  double straggler_wait_ms = 0;  // from the median shard's completion to the last one's
  double aggregate_ms = 0;       // after the last update: the average's copy out + server step
                                 // (the updates were folded in as they arrived)
  double evaluate_ms = 0;
  double checkpoint_ms = 0;      // writing the round's checkpoint (and velocity N+1), all of it
  // The part of checkpoint_ms the coordinator waited for: since the checkpoint is written while
  // the next round runs, only serializing the record (and, after the job's last round, the
  // final join). < 0 (records before that): it waited for all of checkpoint_ms.
  double checkpoint_wait_ms = -1;
  double train_loss = 0;         // sample-weighted mean of the accepted updates' losses
  double validation_accuracy = -1;  // < 0: not evaluated
  // The global model's loss on the same validation samples (the per-epoch series of a
  // single-process run, ml/train_job.h, has the same keys); < 0: not evaluated, or a record
  // written before 2026-12-07.
  double validation_loss = -1;
  int64_t retries = 0;
  int64_t speculative = 0;
  std::vector<ShardAttempt> attempts;  // every attempt, including failed and late ones
};

struct RunRecord {
  std::string job_id;
  std::string provider;          // provider profile the functions ran under
  // Where the functions ran (faas::FunctionHost::kind: "local", "lambda", "http"); it decides
  // where the durations come from (this machine, the platform's REPORT lines, round trips).
  std::string host = "local";
  // The job's store URI (its scheme says the store's cloud, for transfer pricing); "" in records
  // written before 2026-12-07.
  std::string store;
  int64_t memory_mb = 0;
  // The preprocessing stage's provider and memory when they differ from provider / memory_mb
  // (`train --provider preprocess=P1,train=P2`); "" / 0 = the same. Absent from the JSON then.
  std::string preprocess_provider;
  int64_t preprocess_memory_mb = 0;
  const std::string& PreprocessProvider() const { return preprocess_provider.empty() ? provider : preprocess_provider; }
  int64_t PreprocessMemoryMb() const { return preprocess_memory_mb > 0 ? preprocess_memory_mb : memory_mb; }
  int64_t workers = 0;           // shards per round
  std::vector<ShardAttempt> preprocessing;  // the preprocessing stage's invocations
  double preprocessing_wall_ms = 0;
  std::vector<RoundRecord> rounds;
  double test_accuracy = -1;
  // Scoring the final model on the whole validation and test splits, after the last round (the
  // last round's validation_accuracy comes from here; its evaluate_ms stays 0).
  double final_evaluate_ms = 0;
  // Transient store errors the coordinator's own store client retried (all of its runs: a
  // resumed job adds to it).
  int64_t coordinator_store_retries = 0;

  // rounds_from: only rounds[rounds_from..] go into "rounds" (a checkpoint keeps the earlier ones
  // in objects of their own, so it does not grow with the job).
  nlohmann::json ToJson(size_t rounds_from = 0) const;
  static Result<RunRecord> FromJson(const nlohmann::json& j, std::string_view where);
  static nlohmann::json RoundToJson(const RoundRecord& r);
  static Result<RoundRecord> RoundFromJson(const nlohmann::json& j, std::string_view where);
};

}  // namespace sl::train

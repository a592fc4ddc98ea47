// The serverless training coordinator: runs one data-parallel training job on a function host
// (faas/function_host.h), exchanging all state through the object store (job_spec.h has the layout).
//
//   1. job.json is written (put-if-absent: a store holds one job; --resume continues it).
//   2. Preprocessing stage: one train-preprocess function per shard writes shards/shard-i.
//   3. Each round r: global model v_r is in the store; one train-shard function per shard runs
//      through Invoker::Invoke (tagged "round-r" in the ledger); failed attempts (error, timeout,
//      OOM kill, crash, throttle, invalid update) are re-invoked with exponential backoff and
//      jitter up to max_retries per shard; a straggler gets a speculative backup once it runs
//      longer than speculative_after × the round's median (first valid update wins, the store's
//      put-if-absent decides). Every update is decoded and checked before use; a corrupted or
//      malformed one is deleted and recomputed, never averaged. When every shard has a valid
//      update, they are averaged weighted by samples (FedAvg), evaluated (on 2,000 validation
//      samples for progress, the whole split after the last round), written as v_{r+1},
//      and checkpoint.json records the next round and the run record. The average is
//      accumulated while the updates arrive (ml/ordered_average.h; each update's weight, its
//      sample count, follows from the job's plan, JobSpec::UpdateSamples, and an update that
//      reports another count is invalid), and the checkpoint (with the velocity of v_{r+1})
//      is written while round r+1's functions run (coordinator.cc, "Crash points").
//   4. After the last round: test accuracy, the model artifact (ml/artifact.h, same format as
//      single-process training) and report.json.
//
// Resume: with resume = true the coordinator reads job.json and checkpoint.json and continues
// with the checkpoint's next round; updates already in the store for that round are reused if
// valid (a coordinator killed after writing v_{r+1} but before the checkpoint recomputes the
// same average). So no round is lost or applied twice.
//
// Scheduling: when to launch, retry, back up or give up is train::StageScheduler's
// (stage_scheduler.h, tested without processes); the coordinator's stage loop invokes what it
// says on options.functions, checks each output in the store and reports the completion back.
//
// Failure contract: INVALID_ARGUMENT for a bad spec (naming the field); ALREADY_EXISTS when the
// store already holds a job and resume is false; NOT_FOUND when resuming a store without a job;
// ABORTED when a shard's retries are exhausted (naming round, shard, attempts and the last
// error; the last checkpoint stays); store and dataset errors as they come.
// Thread safety: one job per coordinator call; the platform may be shared.
#pragma once
#include <functional>
#include <map>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "faas/function_host.h"
#include "ml/evaluate.h"
#include "train/job_spec.h"
#include "train/run_record.h"

namespace sl::train {

// What the coordinator tells its user while it runs.
struct TrainProgressEvent {
  // kCheckpointed: the round's checkpoint (checkpoint.json with next_round = round + 1) is in
  // the store; it comes after the round's kRoundDone, usually while the next round runs, and has
  // no text.
  enum class Kind { kStage, kLive, kRoundDone, kInfo, kCheckpointed } kind = Kind::kInfo;
  std::string text;               // a ready-to-print line (kLive: a status line to overwrite)
  const RoundRecord* round = nullptr;  // kRoundDone, kCheckpointed
};

struct CoordinatorOptions {
  std::string store_uri;
  bool resume = false;
  // With resume: > 0 runs the rest of the job at this function memory (MB) instead of job.json's
  // (e.g. after out-of-memory failures); job.json is rewritten with it and the functions are
  // deployed with it. INVALID_ARGUMENT if the provider does not allow it.
  int64_t resume_memory_mb = 0;
  // Round objects kept beyond what a resume needs. By default (0) the store keeps the latest
  // global model and its velocity, the checkpoint and the round records: once a checkpoint with
  // next_round c is durable, the models and velocities before version c and the updates of the
  // rounds before c are deleted (a resume at c needs none of them: coordinator.cc, "Crash
  // points"), and when the job has finished its training shards go too. N > 0 also keeps the
  // last N rounds' updates and models (and the shards); < 0 keeps everything (--keep-rounds all).
  int64_t keep_rounds = 0;
  // Where the functions run (not owned): the embedded platform, Lambda, HTTP functions, a fake.
  // The train functions are deployed on it (FunctionHost::Deploy).
  faas::FunctionHost* functions = nullptr;
  // The coordinator's time (not owned): scheduling, backoffs, straggler timers and the times
  // the run record measures. Null: the real clock. With a FakeClock (tests, on
  // faas::FakeFunctionHost) the stage loop advances it itself while it waits, so a job's
  // functions take fake time, the record holds fake times and the test never sleeps.
  Clock* clock = nullptr;
  // Environment for the functions. When empty, the coordinator passes its own S3 endpoint and
  // credentials (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
  // AWS_SESSION_TOKEN) as STRAIGHTLINE_STORE_* (AWS_* is reserved for the runtime, as on Lambda).
  std::map<std::string, std::string> function_environment;
  std::function<void(const TrainProgressEvent&)> on_progress;  // may be empty
};

struct TrainingResult {
  JobSpec spec;
  RunRecord record;
  std::optional<ml::EvalReport> validation;
  std::optional<ml::EvalReport> test;
  std::string artifact_dir;   // "" when spec.out_dir is empty
  double wall_seconds = 0;    // this coordinator run
  int64_t resumed_from_round = -1;  // >= 0 when resumed
  // The store at the end of the job: what is left under its URI, and the round objects this
  // coordinator deleted (keep_rounds).
  uint64_t store_bytes = 0;
  int64_t store_objects = 0;
  int64_t deleted_objects = 0;
};

Result<TrainingResult> RunServerlessTraining(JobSpec spec, const CoordinatorOptions& options);

}  // namespace sl::train

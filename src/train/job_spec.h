// JobSpec: one serverless training job as the coordinator and its functions share it — stored as
// job.json at the root of the job's store, so every function reads the same truth and a resumed
// coordinator continues the same job. Also the job's store layout (JobKeys).
//
//   <store>/job.json                        this spec
//   <store>/shards/shard-0003.bin           preprocessed training shard 3 (shard_codec.h)
//   <store>/models/v0005.weights            global model version 5 (weights archive)
//   <store>/models/v0005.velocity           its server momentum (server_optimizer.h), if used
//   <store>/updates/r0004/shard-0003.update shard 3's update in round 4 (update_codec.h),
//                                           written put-if-absent: the first valid attempt wins
//   <store>/checkpoint.json                 next round, run record (coordinator.h)
//   <store>/report.json                     the run report of the finished job
//
// Rounds and epochs: an epoch processes every shard once; it is cut into rounds_per_epoch rounds,
// and in round r each function trains on chunk (r mod rounds_per_epoch) of its shard, reshuffled
// every epoch. Global model version v is the result of round v-1 (version 0 = initial weights).
// Thread safety: plain values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ml/data/registry.h"
#include "ml/model_spec.h"
#include "ml/trainer.h"
#include "train/server_optimizer.h"

namespace sl::train {

// A deliberate failure for tests and demonstrations of the failure paths: the function of
// (round, shard, attempt) misbehaves. round -1 = every round. Kinds: "crash" (abort the
// process), "hang" (sleep past the timeout), "fail" (return a handled error), "oom" (allocate
// past the memory size), "corrupt" (overwrite its update with junk and report success), "slow"
// (a straggler: sleep 3 s, then work normally).
struct FaultInjection {
  int64_t round = -1;
  int64_t shard = 0;
  int64_t attempt = 0;
  std::string kind;
  static Result<FaultInjection> Parse(std::string_view text);  // "kind:shard[:attempt[:round]]"
};

struct JobSpec {
  std::string job_id;
  ml::data::DatasetOptions data;
  std::string model_name;                 // "" = the dataset's default
  nlohmann::json hparams = nlohmann::json::object();
  ml::ModelSpec model;                    // resolved by the coordinator (needs the data's shape)
  bool model_resolved = false;
  ml::TrainConfig local;                  // each invocation's local training (epochs = 1 chunk)
  int64_t workers = 4;                    // shards, i.e. functions per round
  int64_t epochs = 3;
  int64_t rounds_per_epoch = 4;
  ServerOptimizer server;                 // how each round's average becomes the next model
  std::string provider = "aws-lambda";
  int64_t memory_mb = 2048;
  // The preprocessing stage's own provider and memory (issue 21 §3: `train --provider
  // preprocess=P1,train=P2`); "" / 0 = the same as `provider` / `memory_mb`. A job.json written
  // before 2026-12-07 has neither and means the same.
  std::string preprocess_provider;
  int64_t preprocess_memory_mb = 0;
  const std::string& PreprocessProvider() const { return preprocess_provider.empty() ? provider : preprocess_provider; }
  int64_t PreprocessMemoryMb() const { return preprocess_memory_mb > 0 ? preprocess_memory_mb : memory_mb; }
  double timeout_s = 120;
  int64_t max_retries = 3;                // per shard per round (and per preprocessing shard)
  double speculative_after = 2.0;         // backup when a shard runs > this × the median; 0 = off
  // Score the validation split every this many rounds; 0 = at the end of every epoch. The last
  // round is always scored on the whole split. Scoring runs in the coordinator between rounds,
  // on the critical path, so every round costs as much as a tenth of a round's compute
  // (docs/benchmarks.md, "Serverless training: time to accuracy").
  int64_t evaluate_every = 0;
  // How each round's local learning rate follows the job: "constant" (local.lr every round) or
  // "cosine" (local.lr * (1 + cos(pi * round / total_rounds)) / 2, decaying to near zero by the
  // last round, so the job ends on small steps whatever its length; a job.json written before
  // 2026-12-07 has no schedule and means "constant").
  std::string lr_schedule = "constant";
  std::string out_dir;                    // artifact directory ("" = none)
  std::vector<FaultInjection> faults;

  int64_t total_rounds() const { return epochs * rounds_per_epoch; }
  // The local learning rate of round `round` under lr_schedule.
  double LocalLr(int64_t round) const;
  // The job's plan of samples, one arithmetic for the functions and the coordinator. Shard s of
  // a train split of n samples is [n·s/workers, n·(s+1)/workers); round r trains on chunk
  // c = r mod rounds_per_epoch of the shard's m samples (reshuffled every epoch), [m·c/rpe,
  // m·(c+1)/rpe). So every update's sample count (its FedAvg weight) is known before the round.
  struct Range {
    int64_t begin = 0, end = 0;
    int64_t size() const { return end - begin; }
  };
  Range ShardRange(int64_t train_samples, int64_t shard) const;
  Range ChunkRange(int64_t shard_samples, int64_t round) const;
  // The samples the update of (round, shard) reports (ml::TrainStats::samples): its chunk
  // trained for one epoch under `local`.
  int64_t UpdateSamples(int64_t train_samples, int64_t round, int64_t shard) const;
  // Whether the model that round `round` produced is scored (see evaluate_every).
  bool EvaluatesAfter(int64_t round) const;
  Status Validate() const;  // INVALID_ARGUMENT naming the field
  nlohmann::json ToJson() const;
  static Result<JobSpec> FromJson(const nlohmann::json& j, std::string_view where);
};

struct JobKeys {
  static constexpr const char* kJob = "job.json";
  static constexpr const char* kCheckpoint = "checkpoint.json";
  static constexpr const char* kReport = "report.json";
  static std::string Shard(int64_t shard);
  static std::string Model(int64_t version);
  static std::string Velocity(int64_t version);  // server momentum of model `version`
  static std::string Update(int64_t round, int64_t shard);
  static std::string RoundRecord(int64_t round);  // the round's record, once a later one is done
};

// DatasetOptions as JSON (job.json); errors name `where` and the field.
nlohmann::json DatasetOptionsToJson(const ml::data::DatasetOptions& o);
Result<ml::data::DatasetOptions> DatasetOptionsFromJson(const nlohmann::json& j, std::string_view where);

}  // namespace sl::train

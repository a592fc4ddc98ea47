#include "train/coordinator.h"

#include <algorithm>
#include <filesystem>
#include <chrono>
#include <cstdlib>
#include <future>
#include <optional>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "faas/lambda_format.h"
#include "ml/artifact.h"
#include "ml/model.h"
#include "ml/ordered_average.h"
#include "ml/train_job.h"
#include "store/function_env.h"
#include "store/object_store.h"
#include "train/server_optimizer.h"
#include "train/stage_scheduler.h"
#include "train/train_handlers.h"
#include "train/update_codec.h"

namespace sl::train {
namespace {

double MsBetween(TimePoint a, TimePoint b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// The attempt's outcome as far as the invocation tells (its output is checked afterwards).
// The status decides first, so a host that leaves `outcome` unset on a refusal still reads right.
AttemptOutcome OutcomeOf(const faas::InvokeResult& r, std::string* error) {
  using faas::Outcome;
  if (!r.status.ok()) {
    *error = r.status.ToString();
    return faas::OutcomeOfStatus(r.status) == Outcome::kThrottled ? AttemptOutcome::kThrottled
                                                                  : AttemptOutcome::kPlatformError;
  }
  if (!r.function_error.empty()) {
    auto j = nlohmann::json::parse(r.payload, nullptr, false);
    *error = j.is_object() ? j.value("errorMessage", r.payload) : r.payload;
  }
  switch (r.outcome) {
    case Outcome::kSuccess:
      return r.function_error.empty() ? AttemptOutcome::kOk : AttemptOutcome::kFunctionError;
    case Outcome::kThrottled: return AttemptOutcome::kThrottled;
    case Outcome::kPlatformError: return AttemptOutcome::kPlatformError;
    case Outcome::kTimeout: return AttemptOutcome::kTimeout;
    case Outcome::kOutOfMemory: return AttemptOutcome::kOutOfMemory;
    case Outcome::kCrash: return AttemptOutcome::kCrash;
    case Outcome::kHandledError:
    case Outcome::kUnhandled: return AttemptOutcome::kFunctionError;
  }
  return AttemptOutcome::kFunctionError;
}

// One ended invocation: its record (outcome still unset: the record's string is written at
// Record time, from `outcome`) and its typed outcome.
struct Ended {
  ShardAttempt record;
  AttemptOutcome outcome = AttemptOutcome::kOk;
};

Ended AttemptFrom(const faas::InvokeResult& r, int64_t round, int64_t shard, int64_t attempt, bool speculative,
                  int64_t memory_mb) {
  Ended e;
  ShardAttempt& a = e.record;
  a.round = round;
  a.shard = shard;
  a.attempt = attempt;
  a.speculative = speculative;
  a.request_id = r.request_id;
  e.outcome = OutcomeOf(r, &a.error);
  a.cold_start = r.cold_start;
  a.init_ms = r.init_ms;
  a.duration_ms = r.duration_ms;
  a.billed_ms = r.billed_ms;
  a.queued_ms = r.queued_ms;
  a.memory_mb = memory_mb;
  a.max_memory_mb = r.max_memory_mb;
  a.cost_usd = r.cost_usd;
  if (e.outcome == AttemptOutcome::kOk) {
    auto j = nlohmann::json::parse(r.payload, nullptr, false);
    if (!j.is_object()) {
      e.outcome = AttemptOutcome::kFunctionError;
      a.error = "response is not a JSON object: " + r.payload.substr(0, 200);
      return e;
    }
    a.download_model_ms = j.value("download_model_ms", 0.0);
    a.download_shard_ms = j.value("download_shard_ms", j.value("load_ms", 0.0));
    a.compute_ms = j.value("compute_ms", 0.0);
    a.upload_ms = j.value("upload_ms", 0.0);
    a.samples = j.value("samples", int64_t{0});
    a.steps = j.value("steps", int64_t{0});
    a.loss = j.value("loss", 0.0);
    a.store_retries = j.value("store_retries", int64_t{0});
    if (auto io = j.find("store_io"); io != j.end() && io->is_object()) {
      a.store_bytes_read = io->value("bytes_read", int64_t{0});
      a.store_bytes_written = io->value("bytes_written", int64_t{0});
      a.store_read_requests = io->value("read_requests", int64_t{0});
      a.store_write_requests = io->value("write_requests", int64_t{0});
      a.store_list_requests = io->value("list_requests", int64_t{0});
    }
    if (j.value("late", false)) e.outcome = AttemptOutcome::kAcceptedLate;
  }
  return e;
}

// The record boundary: the typed outcome becomes the record's serialized name.
ShardAttempt Recorded(ShardAttempt a, AttemptOutcome outcome) {
  a.outcome = outcome;
  return a;
}

struct Inflight {
  int64_t id = 0;  // the stage scheduler's launch id
  int64_t shard = 0;
  int64_t attempt = 0;
  bool speculative = false;
  std::future<faas::InvokeResult> future;
  int64_t record_round = -1;  // where the attempt is recorded: -1 preprocessing, else round index
};

class Coordinator {
 public:
  Coordinator(JobSpec spec, const CoordinatorOptions& options)
      : spec_(std::move(spec)), opt_(options), clock_(options.clock ? options.clock : Clock::Real()) {}
  // A checkpoint still being written finishes before the store goes away.
  ~Coordinator() {
    if (checkpoint_write_.valid()) checkpoint_write_.wait();
  }

  Result<TrainingResult> Run();

 private:
  void Emit(TrainProgressEvent::Kind kind, std::string text, const RoundRecord* round = nullptr) {
    if (opt_.on_progress) opt_.on_progress({kind, std::move(text), round});
  }
  Status OpenOrCreateJob();
  Status RegisterFunctions();
  // Runs one function per shard until each shard has an accepted output. For rounds
  // (round >= 0) acceptance means a valid update in the store, returned in `updates`.
  Status RunStage(int64_t round, std::vector<ShardAttempt>* attempts, RoundRecord* rr,
                  std::vector<ShardUpdate>* updates);
  Result<std::optional<ShardUpdate>> ValidUpdate(int64_t round, int64_t shard);
  // Adds the accepted update of `shard` (loaded in its shard model) to the round's average.
  Status AddToAverage(int64_t shard);
  Status RunRound(int64_t round);
  std::string RoundProgressLine(const RoundRecord& rr, int64_t cold) const;
  // The objects a checkpoint of `next_round` writes, in order: the round records that go into
  // objects of their own, then checkpoint.json. Built on the coordinator's thread, because
  // record_ changes while a background write runs.
  std::vector<std::pair<std::string, std::string>> CheckpointObjects(int64_t next_round);
  Status WriteCheckpoint(int64_t next_round);  // on this thread
  // Writes the checkpoint of the round just done (record_.rounds.back(); next_round = its round
  // + 1) in the background, after `velocity` (the server momentum of model next_round, if the job
  // has one). JoinCheckpoint waits for it, files its time into that round's record and reports
  // its status; add_wait: the wait counts as the round's checkpoint_wait_ms (false when the
  // wait is inside a later round's wall_ms). See "Crash points" at RunRound.
  void StartCheckpoint(int64_t next_round, std::optional<std::vector<float>> velocity);
  Status JoinCheckpoint(bool add_wait);
  // Deletes the round objects a resume at `next_round` does not need (CoordinatorOptions::
  // keep_rounds): only after the checkpoint of next_round is durable.
  Status PruneBefore(int64_t next_round);
  // After the job: deletes every leftover round object older than the kept ones (late writes of
  // losing attempts, what an earlier coordinator left) and the training shards.
  Status SweepFinishedJob();
  // Restores next_round_, preprocessed_ and record_ from checkpoint.json (format 1 or 2) and the
  // round records it refers to; DATA_LOSS naming the object that is missing or malformed.
  Status ReadCheckpoint(std::string_view text);
  // Turns the round's average into the next global model with the job's server optimizer; the
  // new version's velocity (server_velocity_) is written with the round's checkpoint.
  Status ApplyServerOptimizer(int64_t round, ml::Model* average);
  void DrainOrphans(bool wait);
  void RecordAttempt(int64_t record_round, ShardAttempt a);
  double CostSoFar() const;
  std::string PayloadFor(int64_t round, int64_t shard, int64_t attempt) const;

  JobSpec spec_;
  CoordinatorOptions opt_;
  Clock* clock_;  // all of the coordinator's time: the stage loop's and the record's measurements
  std::unique_ptr<store::ObjectStore> store_;
  std::string preprocess_fn_, shard_fn_;
  ml::data::DatasetSplits splits_;
  RunRecord record_;
  int64_t next_round_ = 0;
  size_t rounds_in_objects_ = 0;  // record_.rounds[0..this) are in JobKeys::RoundRecord objects
  bool preprocessed_ = false;
  std::vector<Inflight> orphans_;  // losing attempts still running after their stage ended
  std::mt19937_64 jitter_{std::random_device{}()};
  std::optional<ml::EvalReport> last_validation_;
  int64_t last_validation_round_ = -1;  // the round whose model last_validation_ scored
  bool last_validation_whole_ = false;  // on the whole validation split (not the progress subset)
  // Server optimizer state: global model version `server_version_` as flat parameters and its
  // velocity; loaded from the store on the first round this coordinator runs.
  int64_t server_version_ = -1;
  std::vector<float> server_global_, server_velocity_;
  // Models reused every round, because building one runs its random initialisation (a quarter
  // of the coordinator's time per round when every update got a fresh model): one per shard,
  // holding its accepted update's weights until the average, and the average itself.
  Result<ml::Model*> ShardModel(int64_t shard);
  std::vector<std::optional<ml::Model>> shard_models_;
  std::optional<ml::Model> average_;
  // The round's FedAvg, accumulated as updates are accepted (AddToAverage), weighted by the
  // plan's sample counts (round_samples_, JobSpec::UpdateSamples), which every accepted update
  // must report.
  std::optional<ml::OrderedAverage> averager_;
  std::vector<int64_t> round_samples_;
  // The background checkpoint write (StartCheckpoint / JoinCheckpoint).
  struct CheckpointWrite {
    Status status;
    double ms = 0;  // on the background thread
  };
  std::future<CheckpointWrite> checkpoint_write_;
  size_t checkpoint_record_ = 0;  // index in record_.rounds of the round it checkpoints
  // Model versions and rounds below this have had their objects deleted (PruneBefore).
  int64_t pruned_below_ = 0;
  int64_t deleted_objects_ = 0;
  static constexpr int64_t kProgressValidationSamples = 2000;
  ml::Dataset progress_validation_;
};

Status Coordinator::OpenOrCreateJob() {
  SL_ASSIGN_OR_RETURN(store_, store::OpenObjectStore(opt_.store_uri));
  const std::string where = opt_.store_uri + "/" + JobKeys::kJob;
  if (opt_.resume) {
    auto text = store_->Get(JobKeys::kJob);
    if (!text.ok()) {
      if (text.status().code() == Code::kNotFound) {
        return NotFound("{}: no serverless training job to resume (job.json is missing)", opt_.store_uri);
      }
      return text.status();
    }
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded()) return DataLoss("{}: not JSON", where);
    std::string out_override = spec_.out_dir;
    SL_ASSIGN_OR_RETURN(spec_, JobSpec::FromJson(j, where));
    if (!out_override.empty()) spec_.out_dir = out_override;
    auto cp = store_->Get(JobKeys::kCheckpoint);
    if (cp.ok()) {
      SL_RETURN_IF_ERROR(ReadCheckpoint(*cp));
    } else if (cp.status().code() != Code::kNotFound) {
      return cp.status();
    }
    if (opt_.resume_memory_mb > 0 && opt_.resume_memory_mb != spec_.memory_mb) {
      const int64_t was = spec_.memory_mb;
      spec_.memory_mb = opt_.resume_memory_mb;
      SL_RETURN_IF_ERROR(spec_.Validate());
      // job.json says what the functions run with from now on (a later resume keeps it); the
      // attempts already recorded keep the size they ran at.
      SL_RETURN_IF_ERROR(store_->Put(JobKeys::kJob, spec_.ToJson().dump(2)));
      record_.memory_mb = spec_.memory_mb;
      Emit(TrainProgressEvent::Kind::kInfo,
           fmt::format("memory: {} MB from now on (the job ran at {} MB)", spec_.memory_mb, was));
    }
  }
  SL_RETURN_IF_ERROR(spec_.Validate());
  if (!opt_.resume && spec_.data.path.empty()) {
    // The functions must read the data the coordinator found (found through the coordinator's
    // environment, e.g. STRAIGHTLINE_SPAMASSASSIN_DIR, which the functions do not get): the job
    // names the directory.
    if (Result<std::string> dir = ml::data::ResolveDatasetPath(spec_.data); dir.ok()) {
      spec_.data.path = std::filesystem::absolute(*dir).string();
    }
  } else if (!opt_.resume && !spec_.data.path.empty()) {
    // A relative --data-dir means this process's working directory, not a function's.
    spec_.data.path = std::filesystem::absolute(spec_.data.path).lexically_normal().string();
  }
  Emit(TrainProgressEvent::Kind::kStage, fmt::format("loading {} for validation and test", spec_.data.name));
  SL_ASSIGN_OR_RETURN(splits_, ml::data::LoadDataset(spec_.data));
  if (splits_.train.size() < spec_.workers * spec_.rounds_per_epoch) {
    return InvalidArgument("workers × rounds-per-epoch = {} exceeds the {} training samples",
                           spec_.workers * spec_.rounds_per_epoch, splits_.train.size());
  }
  if (!opt_.resume) {
    if (spec_.job_id.empty()) spec_.job_id = faas::RandomRequestId().substr(0, 8);
    std::string name = spec_.model_name;
    if (name.empty()) name = splits_.train.kind == ml::SampleKind::kTokens ? "textclf" : "cnn";
    SL_ASSIGN_OR_RETURN(spec_.model, ml::MakeModelSpec(name, spec_.hparams, ml::InputSpec::Of(splits_.train),
                                                       splits_.train.num_classes()));
    spec_.model_resolved = true;
    Status s = store_->Put(JobKeys::kJob, spec_.ToJson().dump(2), store::PutOptions{.if_absent = true});
    if (s.code() == Code::kAlreadyExists) {
      return AlreadyExists("{} already holds a serverless training job; continue it with --resume {} "
                           "or use a fresh store", opt_.store_uri, opt_.store_uri);
    }
    SL_RETURN_IF_ERROR(s);
    record_.job_id = spec_.job_id;
    record_.provider = spec_.provider;
    record_.memory_mb = spec_.memory_mb;
    // A preprocessing stage under its own provider or memory (train --provider preprocess=P1,...).
    if (spec_.PreprocessProvider() != spec_.provider) record_.preprocess_provider = spec_.PreprocessProvider();
    if (spec_.PreprocessMemoryMb() != spec_.memory_mb) record_.preprocess_memory_mb = spec_.PreprocessMemoryMb();
    record_.workers = spec_.workers;
  }
  return Status::Ok();
}

Status Coordinator::RegisterFunctions() {
  std::map<std::string, std::string> env = opt_.function_environment;
  // AWS_* is reserved for the runtime on Lambda; the functions read STRAIGHTLINE_STORE_* (S3 and
  // Azure alike, store/function_env.h).
  if (env.empty()) env = store::StoreEnvironmentForFunctions();
  preprocess_fn_ = "sl-preprocess-" + spec_.job_id;
  shard_fn_ = "sl-train-" + spec_.job_id;
  for (auto [name, handler] : {std::pair{&preprocess_fn_, kPreprocessHandler}, std::pair{&shard_fn_, kShardHandler}}) {
    faas::FunctionSpec f;
    f.name = *name;
    f.handler = handler;
    // Each stage's functions under the stage's own provider profile and memory: the host
    // emulates that profile's limits, CPU and billing for them (issue 21 §3).
    const bool preprocess = std::string_view(handler) == kPreprocessHandler;
    f.provider = preprocess ? spec_.PreprocessProvider() : spec_.provider;
    f.memory_mb = preprocess ? spec_.PreprocessMemoryMb() : spec_.memory_mb;
    f.timeout_s = spec_.timeout_s;
    f.environment = env;
    // A sandboxed instance sees no host directory it was not given: a file:// store is mounted
    // (read-write) at its own path; an S3 store is reached through STRAIGHTLINE_STORE_ENDPOINT.
    if (opt_.store_uri.rfind("file://", 0) == 0) f.AddMount(opt_.store_uri.substr(7), true);
    // Preprocessing reads the dataset's files: their directory, read-only (a function image or
    // a sandbox has no other view of the host's data).
    if (std::string_view(handler) == kPreprocessHandler && !spec_.data.path.empty() && std::filesystem::exists(spec_.data.path)) {
      f.AddMount(spec_.data.path, false);
    }
    f.source = "serverless trainer";
    SL_RETURN_IF_ERROR(opt_.functions->Deploy(f));
    // Deploy keeps a function that already exists as it is (function_host.h): one deployed at
    // another memory size by an earlier run of this job (a resume with --memory on a host that
    // outlives the coordinator) would keep running at the old size, so the job's functions at
    // this size get a name of their own.
    auto deployed = opt_.functions->Describe(f.name);
    if (deployed.ok() && deployed->spec.memory_mb > 0 && deployed->spec.memory_mb != f.memory_mb) {
      f.name = fmt::format("{}-{}mb", *name, f.memory_mb);
      SL_RETURN_IF_ERROR(opt_.functions->Deploy(f));
      *name = f.name;
    }
  }
  return Status::Ok();
}

std::string Coordinator::PayloadFor(int64_t round, int64_t shard, int64_t attempt) const {
  nlohmann::json p = {{"store", opt_.store_uri}, {"shard", shard}};
  if (round >= 0) {
    p["round"] = round;
    p["attempt"] = attempt;
  }
  return p.dump();
}

void Coordinator::RecordAttempt(int64_t record_round, ShardAttempt a) {
  if (record_round < 0) {
    record_.preprocessing.push_back(std::move(a));
    return;
  }
  for (auto& r : record_.rounds) {
    if (r.round == record_round) {
      r.attempts.push_back(std::move(a));
      return;
    }
  }
}

void Coordinator::DrainOrphans(bool wait) {
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    if (wait || it->future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      faas::InvokeResult r = it->future.get();
      Ended e = AttemptFrom(r, std::max<int64_t>(it->record_round, 0), it->shard, it->attempt, it->speculative,
                            it->record_round < 0 ? spec_.PreprocessMemoryMb() : spec_.memory_mb);
      // Its stage ended with another attempt's output.
      if (e.outcome == AttemptOutcome::kOk) e.outcome = AttemptOutcome::kAcceptedLate;
      RecordAttempt(it->record_round, Recorded(std::move(e.record), e.outcome));
      it = orphans_.erase(it);
    } else {
      ++it;
    }
  }
}

double Coordinator::CostSoFar() const {
  double c = 0;
  for (const auto& a : record_.preprocessing) c += a.cost_usd;
  for (const auto& r : record_.rounds) {
    for (const auto& a : r.attempts) c += a.cost_usd;
  }
  return c;
}

Result<ml::Model*> Coordinator::ShardModel(int64_t shard) {
  if (shard_models_.size() < static_cast<size_t>(spec_.workers)) shard_models_.resize(spec_.workers);
  std::optional<ml::Model>& m = shard_models_.at(static_cast<size_t>(shard));
  if (!m) {
    SL_ASSIGN_OR_RETURN(ml::Model created, ml::Model::Create(spec_.model, spec_.local.seed));
    m.emplace(std::move(created));
  }
  return &*m;
}

Result<std::optional<ShardUpdate>> Coordinator::ValidUpdate(int64_t round, int64_t shard) {
  const std::string key = JobKeys::Update(round, shard);
  auto bytes = store_->Get(key);
  if (!bytes.ok()) {
    if (bytes.status().code() == Code::kNotFound) return std::optional<ShardUpdate>();
    if (bytes.status().code() != Code::kDataLoss) return bytes.status();
  }
  Result<ShardUpdate> u = bytes.ok() ? DecodeUpdate(*bytes, round, shard, opt_.store_uri + "/" + key)
                                     : Result<ShardUpdate>(bytes.status());
  if (u.ok() && static_cast<size_t>(shard) < round_samples_.size() && u->samples != round_samples_[shard]) {
    // Its weight in the average is fixed before the round; an update that trained on anything
    // else than its chunk is not this round's.
    u = InvalidArgument("{}/{}: reports {} samples; the chunk of round {} shard {} has {}", opt_.store_uri, key,
                        u->samples, round, shard, round_samples_[shard]);
  }
  if (u.ok()) {
    // The weights must also load into the job's model (a well-framed but foreign archive fails).
    // They stay loaded in the shard's model for the round's average.
    SL_ASSIGN_OR_RETURN(ml::Model * m, ShardModel(shard));
    Status s = m->LoadWeights(u->weights, opt_.store_uri + "/" + key);
    if (s.ok()) return std::optional<ShardUpdate>(std::move(*u));
    u = s;
  }
  // Invalid: remove it so that the recomputation's put-if-absent can land.
  Emit(TrainProgressEvent::Kind::kInfo, fmt::format("round {} shard {}: invalid update rejected: {}", round,
                                                    shard, u.status().message()));
  SL_RETURN_IF_ERROR(store_->Delete(key));
  return u.status();
}

Status Coordinator::AddToAverage(int64_t shard) {
  SL_ASSIGN_OR_RETURN(ml::Model * m, ShardModel(shard));
  return averager_->Add(static_cast<size_t>(shard), m);
}

Status Coordinator::RunStage(int64_t round, std::vector<ShardAttempt>* attempts, RoundRecord* rr,
                             std::vector<ShardUpdate>* updates) {
  const bool is_round = round >= 0;
  const int64_t n = spec_.workers;
  const std::string& fn = is_round ? shard_fn_ : preprocess_fn_;
  const std::string stage = is_round ? fmt::format("round-{}", round) : "preprocess";
  // The rules (launch, retry, backup, give up) are the scheduler's; this loop invokes, checks
  // outputs in the store and reports back.
  StageScheduler sched({.stage = is_round ? fmt::format("round {}", round) : std::string("preprocessing"),
                        .function = fn,
                        .shards = n,
                        .max_retries = spec_.max_retries,
                        .speculative_after = is_round ? spec_.speculative_after : 0.0,
                        .jitter = [this] { return std::uniform_real_distribution<double>(0.5, 1.5)(jitter_); }});
  std::vector<Inflight> inflight;  // in launch order
  int64_t cold = 0;
  const TimePoint t0 = clock_->Now();

  // Reuse what a previous coordinator already got accepted (resume).
  std::vector<bool> already_done(n, false);
  for (int64_t s = 0; s < n; ++s) {
    if (is_round) {
      auto u = ValidUpdate(round, s);
      if (u.ok() && u->has_value()) {
        (*updates)[s] = std::move(**u);
        SL_RETURN_IF_ERROR(AddToAverage(s));
        already_done[s] = true;
      }
    } else if (store_->Head(JobKeys::Shard(s)).ok()) {
      already_done[s] = true;
    }
  }
  sched.Start(clock_->Now(), already_done);

  auto launch = [&](const Launch& l) {
    faas::InvokeRequest req{.function = fn, .payload = PayloadFor(round, l.shard, l.attempt), .stage = stage};
    inflight.push_back({l.id, l.shard, l.attempt, l.speculative, opt_.functions->Invoke(std::move(req)),
                        is_round ? round : -1});
  };

  TimePoint last_live = t0;
  bool ask_queue = true;  // until the host says it has no live state
  while (!sched.finished()) {
    const TimePoint now = clock_->Now();
    for (const Launch& l : sched.DueLaunches(now)) launch(l);
    // Backups only while the host has free capacity: on a small machine invocations wait in the
    // platform's queue, and that wait is not straggling. A remote host has no queue on this
    // machine (its invocations run as soon as they are sent) and asking it is a control-plane
    // request (GetFunction), so it is asked once per stage, not on every turn of this loop.
    bool queue_empty = true;
    if (ask_queue) {
      auto info = opt_.functions->Describe(fn);
      queue_empty = info.ok() && info->queued == 0;
      ask_queue = info.ok() && info->has_live_state;
    }
    for (const Launch& l : sched.Backups(now, queue_empty)) {
      Emit(TrainProgressEvent::Kind::kInfo, fmt::format("{} shard {}: straggler, speculative backup", stage, l.shard));
      launch(l);
    }

    bool progressed = false;
    for (size_t i = 0; i < inflight.size();) {
      Inflight& f = inflight[i];
      if (f.future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        ++i;
        continue;
      }
      progressed = true;
      faas::InvokeResult r = f.future.get();
      Ended e = AttemptFrom(r, std::max<int64_t>(round, 0), f.shard, f.attempt, f.speculative,
                            is_round ? spec_.memory_mb : spec_.PreprocessMemoryMb());
      ShardAttempt& a = e.record;
      cold += a.cold_start;
      // A successful attempt's output is checked only while its shard still needs one.
      if (ProducedOutput(e.outcome) && !sched.IsDone(f.shard)) {
        if (is_round) {
          auto u = ValidUpdate(round, f.shard);
          if (!u.ok()) {
            if (u.status().code() != Code::kDataLoss && u.status().code() != Code::kInvalidArgument) {
              return u.status();
            }
            e.outcome = AttemptOutcome::kInvalidUpdate;
            a.error = u.status().message();
          } else if (!u->has_value()) {
            e.outcome = AttemptOutcome::kInvalidUpdate;
            a.error = "the function reported success but no update is in the store";
          } else {
            (*updates)[f.shard] = std::move(**u);
            SL_RETURN_IF_ERROR(AddToAverage(f.shard));
          }
        } else if (!store_->Head(JobKeys::Shard(f.shard)).ok()) {
          e.outcome = AttemptOutcome::kInvalidUpdate;
          a.error = "the function reported success but its shard is not in the store";
        }
      }
      const Verdict v = sched.OnCompleted(f.id, e.outcome, a.error, a.init_ms + a.duration_ms, clock_->Now());
      if (v.kind == Verdict::Kind::kRetry) {
        Emit(TrainProgressEvent::Kind::kInfo,
             fmt::format("{} shard {}: attempt {} {} ({}); retry in {:.0f} ms", stage, f.shard, f.attempt,
                         AttemptOutcomeName(e.outcome), a.error.substr(0, 160), v.backoff_ms));
      }
      attempts->push_back(Recorded(std::move(a), v.outcome));
      inflight.erase(inflight.begin() + static_cast<long>(i));
      if (v.kind == Verdict::Kind::kGiveUp) {
        for (auto& g : inflight) orphans_.push_back(std::move(g));
        return v.status;
      }
    }
    if (opt_.on_progress && MsBetween(last_live, clock_->Now()) > 250) {
      last_live = clock_->Now();
      Emit(TrainProgressEvent::Kind::kLive,
           fmt::format("{}: {}/{} done, {} running, {} retried, {} cold starts, ${:.6f} so far", stage,
                       sched.done_count(), n, inflight.size(), sched.retries(), cold, CostSoFar()));
    }
    if (!progressed && !sched.finished()) {
      if (clock_ != Clock::Real()) {
        clock_->SleepFor(std::chrono::milliseconds(5));  // a fake clock: time passes as we wait
      } else if (!inflight.empty()) {
        inflight.front().future.wait_for(std::chrono::milliseconds(5));
      } else {
        clock_->SleepFor(std::chrono::milliseconds(5));
      }
    }
  }
  for (auto& f : inflight) orphans_.push_back(std::move(f));
  if (rr != nullptr) {
    rr->map_ms = MsBetween(t0, clock_->Now());
    rr->retries = sched.retries();
    rr->speculative = sched.speculative();
    rr->straggler_wait_ms = sched.straggler_wait_ms();
  }
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> Coordinator::CheckpointObjects(int64_t next_round) {
  // Every round but the last goes into an object of its own, written once, so the checkpoint
  // stays small however long the job runs (rewriting the whole record each round cost
  // O(rounds) per round: 5.5 ms by round 64). The last round stays inline: its checkpoint_ms
  // is only known after this write, and the next checkpoint files it with that value.
  std::vector<std::pair<std::string, std::string>> objects;
  const size_t keep_inline = record_.rounds.empty() ? 0 : 1;
  while (rounds_in_objects_ + keep_inline < record_.rounds.size()) {
    const RoundRecord& r = record_.rounds[rounds_in_objects_];
    objects.emplace_back(JobKeys::RoundRecord(r.round), RunRecord::RoundToJson(r).dump());
    ++rounds_in_objects_;
  }
  nlohmann::json c = {{"format", "straightline-checkpoint/2"},
                      {"next_round", next_round},
                      {"preprocessed", preprocessed_},
                      {"rounds_in_objects", rounds_in_objects_},
                      {"record", record_.ToJson(rounds_in_objects_)}};
  objects.emplace_back(JobKeys::kCheckpoint, c.dump());
  return objects;
}

Status Coordinator::WriteCheckpoint(int64_t next_round) {
  for (const auto& [key, bytes] : CheckpointObjects(next_round)) SL_RETURN_IF_ERROR(store_->Put(key, bytes));
  return Status::Ok();
}

void Coordinator::StartCheckpoint(int64_t next_round, std::optional<std::vector<float>> velocity) {
  const TimePoint tp = clock_->Now();
  auto objects = CheckpointObjects(next_round);
  checkpoint_record_ = record_.rounds.size() - 1;
  store::ObjectStore* st = store_.get();  // thread-safe (store/object_store.h); outlives the write
  Clock* clock = clock_;  // thread-safe (common/clock.h)
  checkpoint_write_ = std::async(std::launch::async, [st, clock, next_round, objects = std::move(objects),
                                                      velocity = std::move(velocity)] {
    const TimePoint t0 = clock->Now();
    CheckpointWrite w;
    // In this order: the velocity and the round records before the checkpoint that refers to them.
    if (velocity) w.status = st->Put(JobKeys::Velocity(next_round), EncodeVelocity(*velocity, next_round));
    for (const auto& [key, bytes] : objects) {
      if (!w.status.ok()) break;
      w.status = st->Put(key, bytes);
    }
    w.ms = MsBetween(t0, clock->Now());
    return w;
  });
  // Serializing the record ran on the coordinator's thread, so the round waited for it.
  const double prepare_ms = MsBetween(tp, clock_->Now());
  record_.rounds.back().checkpoint_ms = prepare_ms;
  record_.rounds.back().checkpoint_wait_ms = prepare_ms;
}

Status Coordinator::JoinCheckpoint(bool add_wait) {
  if (!checkpoint_write_.valid()) return Status::Ok();
  const TimePoint tj = clock_->Now();
  CheckpointWrite w = checkpoint_write_.get();
  RoundRecord* r = checkpoint_record_ < record_.rounds.size() ? &record_.rounds[checkpoint_record_] : nullptr;
  if (r != nullptr) {
    r->checkpoint_ms += w.ms;
    if (add_wait) r->checkpoint_wait_ms += MsBetween(tj, clock_->Now());
  }
  SL_RETURN_IF_ERROR(w.status);
  if (r != nullptr) {
    Emit(TrainProgressEvent::Kind::kCheckpointed, "", r);
    SL_RETURN_IF_ERROR(PruneBefore(r->round + 1));
  }
  return Status::Ok();
}

Status Coordinator::PruneBefore(int64_t next_round) {
  if (opt_.keep_rounds < 0) return Status::Ok();
  // A resume at next_round reads model next_round, its velocity and round next_round's updates;
  // everything older is history. The checkpoint that says so is durable (JoinCheckpoint), so a
  // crash during these deletes resumes at next_round with what it needs.
  const int64_t below = next_round - opt_.keep_rounds;
  for (; pruned_below_ < below; ++pruned_below_) {
    SL_RETURN_IF_ERROR(store_->Delete(JobKeys::Model(pruned_below_)));
    SL_RETURN_IF_ERROR(store_->Delete(JobKeys::Velocity(pruned_below_)));
    deleted_objects_ += 2;
    for (int64_t s = 0; s < spec_.workers; ++s) {
      SL_RETURN_IF_ERROR(store_->Delete(JobKeys::Update(pruned_below_, s)));
      ++deleted_objects_;
    }
  }
  return Status::Ok();
}

Status Coordinator::SweepFinishedJob() {
  if (opt_.keep_rounds < 0) return Status::Ok();
  const int64_t keep_from = spec_.total_rounds() - opt_.keep_rounds;
  // The number after 'r' (updates/r0004/...) or 'v' (models/v0005.weights); -1 if none.
  auto number_after = [](const std::string& key, size_t at) -> int64_t {
    int64_t v = -1;
    for (size_t i = at; i < key.size() && key[i] >= '0' && key[i] <= '9'; ++i) v = std::max<int64_t>(v, 0) * 10 + (key[i] - '0');
    return v;
  };
  std::vector<std::string> doomed;
  SL_ASSIGN_OR_RETURN(auto updates, store_->List("updates/r"));
  for (const auto& o : updates) {
    const int64_t r = number_after(o.key, std::string_view("updates/r").size());
    if (r >= 0 && r < keep_from) doomed.push_back(o.key);
  }
  SL_ASSIGN_OR_RETURN(auto models, store_->List("models/v"));
  for (const auto& o : models) {
    const int64_t v = number_after(o.key, std::string_view("models/v").size());
    if (v >= 0 && v < keep_from) doomed.push_back(o.key);
  }
  if (opt_.keep_rounds == 0) {
    // The shards are the preprocessing's output; a finished job never reads them again.
    SL_ASSIGN_OR_RETURN(auto shards, store_->List("shards/"));
    for (const auto& o : shards) doomed.push_back(o.key);
  }
  for (const auto& key : doomed) SL_RETURN_IF_ERROR(store_->Delete(key));
  deleted_objects_ += static_cast<int64_t>(doomed.size());
  return Status::Ok();
}

Status Coordinator::ReadCheckpoint(std::string_view text) {
  const std::string cwhere = opt_.store_uri + "/" + JobKeys::kCheckpoint;
  auto c = nlohmann::json::parse(text, nullptr, false);
  if (c.is_discarded() || !c.is_object()) return DataLoss("{}: not a JSON object", cwhere);
  size_t in_objects = 0;
  try {
    next_round_ = c.at("next_round").get<int64_t>();
    preprocessed_ = c.at("preprocessed").get<bool>();
    in_objects = c.value("rounds_in_objects", size_t{0});  // format 1 kept every round inline
  } catch (const nlohmann::json::exception& e) {
    return DataLoss("{}: {}", cwhere, e.what());
  }
  if (!c.contains("record")) return DataLoss("{}: has no 'record'", cwhere);
  SL_ASSIGN_OR_RETURN(RunRecord inline_part, RunRecord::FromJson(c["record"], cwhere));
  record_ = std::move(inline_part);
  std::vector<RoundRecord> rounds;
  rounds.reserve(in_objects + record_.rounds.size());
  for (size_t i = 0; i < in_objects; ++i) {
    const std::string key = JobKeys::RoundRecord(static_cast<int64_t>(i));
    const std::string rwhere = opt_.store_uri + "/" + key;
    SL_ASSIGN_OR_RETURN(std::string bytes, store_->Get(key));
    auto j = nlohmann::json::parse(bytes, nullptr, false);
    if (j.is_discarded()) return DataLoss("{}: not JSON", rwhere);
    SL_ASSIGN_OR_RETURN(RoundRecord r, RunRecord::RoundFromJson(j, rwhere));
    if (r.round != static_cast<int64_t>(i)) {
      return DataLoss("{}: holds round {}, expected {}", rwhere, r.round, i);
    }
    rounds.push_back(std::move(r));
  }
  for (auto& r : record_.rounds) rounds.push_back(std::move(r));
  record_.rounds = std::move(rounds);
  rounds_in_objects_ = in_objects;
  return Status::Ok();
}

Status Coordinator::ApplyServerOptimizer(int64_t round, ml::Model* average) {
  if (server_version_ != round) {
    const std::string key = JobKeys::Model(round);
    SL_ASSIGN_OR_RETURN(std::string bytes, store_->Get(key));
    SL_ASSIGN_OR_RETURN(ml::Model global, ml::Model::Create(spec_.model, spec_.local.seed));
    SL_RETURN_IF_ERROR(global.LoadWeights(bytes, key));
    server_global_ = global.FlatParameters();
    server_velocity_.clear();
    if (round > 0 && spec_.server.momentum > 0) {
      const std::string vkey = JobKeys::Velocity(round);
      SL_ASSIGN_OR_RETURN(std::string vbytes, store_->Get(vkey));
      SL_ASSIGN_OR_RETURN(server_velocity_, DecodeVelocity(vbytes, round, server_global_.size(), vkey));
    }
  }
  const std::vector<float> avg = average->FlatParameters();
  SL_RETURN_IF_ERROR(ApplyServerStep(spec_.server, avg, &server_global_, &server_velocity_));
  SL_RETURN_IF_ERROR(average->SetFlatParameters(server_global_));
  server_version_ = round + 1;
  return Status::Ok();
}

std::string Coordinator::RoundProgressLine(const RoundRecord& rr, int64_t cold) const {
  std::string acc = "-";
  if (rr.validation_accuracy >= 0) {
    acc = fmt::format("{:.4f}", rr.validation_accuracy);
  } else if (last_validation_ && last_validation_round_ >= 0) {
    acc = fmt::format("{:.4f} (after round {})", last_validation_->accuracy, last_validation_round_);
  }
  // Rounds are numbered from 0 everywhere (the run report, the ledger's stage tags, the store's
  // keys); "k/N" counts them.
  return fmt::format("round {:>3} ({}/{}, epoch {}): {} invocations, {} retried, {} speculative, {} cold; "
                     "loss {:.4f}, validation accuracy {}, {:.2f} s; billed ${:.6f} so far",
                     rr.round, rr.round + 1, spec_.total_rounds(), rr.round / spec_.rounds_per_epoch + 1,
                     rr.attempts.size(), rr.retries, rr.speculative, cold, rr.train_loss, acc, rr.wall_ms / 1000,
                     CostSoFar());
}

Status Coordinator::RunRound(int64_t round) {
  const TimePoint t0 = clock_->Now();
  record_.rounds.push_back(RoundRecord{});
  record_.rounds.back().round = round;
  RoundRecord rr;
  rr.round = round;
  // The average's weights, fixed before any update arrives: the plan's sample counts.
  round_samples_.assign(static_cast<size_t>(spec_.workers), 0);
  std::vector<double> weights(round_samples_.size());
  for (int64_t s = 0; s < spec_.workers; ++s) {
    round_samples_[s] = spec_.UpdateSamples(splits_.train.size(), round, s);
    weights[s] = static_cast<double>(round_samples_[s]);
  }
  if (!averager_) {
    SL_ASSIGN_OR_RETURN(ml::OrderedAverage created, ml::OrderedAverage::Create(spec_.model));
    averager_.emplace(std::move(created));
  }
  SL_RETURN_IF_ERROR(averager_->Begin(weights));
  std::vector<ShardUpdate> updates(spec_.workers);
  std::vector<ShardAttempt> attempts;
  Status s = RunStage(round, &attempts, &rr, &updates);
  // Attempts recorded by orphans (late results) went to record_.rounds.back() already.
  for (auto& a : record_.rounds.back().attempts) attempts.push_back(std::move(a));
  rr.attempts = std::move(attempts);
  record_.rounds.back() = rr;
  SL_RETURN_IF_ERROR(s);

  // FedAvg: the accepted updates weighted by their sample counts. RunStage added each one to
  // the average as it was accepted (in shard order: a shard waits for its predecessors), so
  // what is left is the copy out. The bits are those of ml::AverageModelsInto over the shard
  // models with these weights (ml/ordered_average.h).
  const TimePoint ta = clock_->Now();
  double loss_sum = 0, sample_sum = 0;
  for (const auto& u : updates) {
    loss_sum += u.loss * static_cast<double>(u.samples);
    sample_sum += static_cast<double>(u.samples);
  }
  if (!average_) {
    SL_ASSIGN_OR_RETURN(ml::Model created, ml::Model::Create(spec_.model, spec_.local.seed));
    average_.emplace(std::move(created));
  }
  ml::Model& avg = *average_;
  SL_RETURN_IF_ERROR(averager_->Finish(&avg));
  const bool writes_velocity = !spec_.server.IsPlainAverage() && spec_.server.momentum > 0;
  if (!spec_.server.IsPlainAverage()) SL_RETURN_IF_ERROR(ApplyServerOptimizer(round, &avg));
  rr.aggregate_ms = MsBetween(ta, clock_->Now());
  rr.train_loss = sample_sum > 0 ? loss_sum / sample_sum : 0;

  const bool last = round + 1 == spec_.total_rounds();
  if ((spec_.EvaluatesAfter(round) || last) && splits_.validation.size() > 0) {
    // Progress rounds are scored on the first kProgressValidationSamples validation samples (the
    // split is stratified and shuffled). The last round's model is the job's final model: it is
    // scored on the whole validation split here, so that its progress line shows the accuracy
    // the report has, and on the test split after the rounds (final_evaluate_ms), as the
    // single-process trainer does after its last epoch.
    const TimePoint te = clock_->Now();
    const bool subset = !last && splits_.validation.size() > kProgressValidationSamples;
    if (subset && progress_validation_.size() == 0) {
      std::vector<int64_t> idx(kProgressValidationSamples);
      for (int64_t i = 0; i < kProgressValidationSamples; ++i) idx[i] = i;
      progress_validation_ = splits_.validation.Subset(idx);
    }
    SL_ASSIGN_OR_RETURN(last_validation_, ml::Evaluate(avg, subset ? progress_validation_ : splits_.validation));
    rr.validation_accuracy = last_validation_->accuracy;
    rr.validation_loss = last_validation_->loss;
    last_validation_round_ = round;
    last_validation_whole_ = !subset;
    rr.evaluate_ms = MsBetween(te, clock_->Now());
  }
  // Crash points. The store holds, besides write-once inputs (job.json, shards, model 0):
  // model v, its velocity v, the updates of round v-1 and checkpoint.json. A resume continues
  // at the checkpoint's next_round c and needs model c, velocity c and the round records it
  // names; it reuses the valid updates of round c, recomputes everything after, and gets the
  // same bytes (the average and the server step are deterministic functions of model c,
  // velocity c and the updates), so a version written again is written with the bytes it had.
  // The writes of round r, in order:
  //   1. (while round r's functions run) the background write of round r-1's checkpoint:
  //      velocity r, round records, then checkpoint.json (next_round r) — the checkpoint last,
  //      so what it refers to is there when it is;
  //   2. join it (below): checkpoint r is durable before model r+1 is written, so the store is
  //      never more than one version ahead of its checkpoint (a crash leaves at most model r+1
  //      and round r's and r+1's updates beyond it, which a resume at r rewrites identically or
  //      reuses: they were computed from the same model r+1);
  //   3. model r+1 (synchronously: round r+1's functions read it);
  //   4. start round r's checkpoint: velocity r+1, then checkpoint.json (next_round r+1).
  // Killed anywhere: before 1 completes → resume at r-1 (model r written, recomputed
  // identically); between 1 and 4 completing → resume at r (model r+1 and velocity r+1 are
  // rewritten with the same bytes if present); after 4 → resume at r+1, whose velocity is there
  // (written before the checkpoint). No round is lost or applied twice.
  SL_RETURN_IF_ERROR(JoinCheckpoint(/*add_wait=*/false));  // its wait is inside this round's wall
  const TimePoint tw = clock_->Now();
  SL_RETURN_IF_ERROR(store_->Put(JobKeys::Model(round + 1), avg.SerializeState()));
  rr.write_model_ms = MsBetween(tw, clock_->Now());
  rr.wall_ms = MsBetween(t0, clock_->Now());
  rr.checkpoint_wait_ms = 0;
  record_.rounds.back() = rr;
  // checkpoint_ms: serializing the record here + the background write (filed at the join);
  // checkpoint_wait_ms: the part this thread spent (the serializing; for the job's last round
  // also the final join). The run report counts wall_ms + checkpoint_wait_ms as the round's wall.
  StartCheckpoint(round + 1, writes_velocity ? std::optional<std::vector<float>>(server_velocity_) : std::nullopt);

  int64_t cold = 0;
  for (const auto& a : rr.attempts) cold += a.cold_start;
  Emit(TrainProgressEvent::Kind::kRoundDone, RoundProgressLine(rr, cold), &record_.rounds.back());
  return Status::Ok();
}

Result<TrainingResult> Coordinator::Run() {
  const TimePoint t0 = clock_->Now();
  const int64_t store_retries0 = store::ProcessRetryCounts().retries;
  if (opt_.functions == nullptr) return InvalidArgument("coordinator: no function host given");
  SL_RETURN_IF_ERROR(OpenOrCreateJob());
  const int64_t store_retries_before = record_.coordinator_store_retries;  // earlier runs of a resumed job
  SL_RETURN_IF_ERROR(RegisterFunctions());
  record_.host = std::string(opt_.functions->kind());  // a resumed job may run elsewhere
  record_.store = opt_.store_uri;  // its scheme names the store's cloud (transfer pricing)
  TrainingResult result;
  if (opt_.resume) {
    // The previous coordinator pruned up to here once checkpoint next_round_ was durable (or was
    // killed first: the end-of-job sweep deletes what it left).
    pruned_below_ = std::max<int64_t>(0, next_round_ - 1 - std::max<int64_t>(opt_.keep_rounds, 0));
    result.resumed_from_round = next_round_;
    Emit(TrainProgressEvent::Kind::kStage,
         fmt::format("resuming job {} at round {} ({} of {} rounds done)", spec_.job_id, next_round_, next_round_,
                     spec_.total_rounds()));
  }

  Status status = Status::Ok();
  if (!preprocessed_) {
    Emit(TrainProgressEvent::Kind::kStage,
         fmt::format("preprocessing: {} functions ({} MB, {}) write {} shards of {} train samples to {}",
                     spec_.workers, spec_.PreprocessMemoryMb(), spec_.PreprocessProvider(), spec_.workers,
                     splits_.train.size(), opt_.store_uri));
    const TimePoint tp = clock_->Now();
    std::vector<ShardAttempt> attempts;
    status = RunStage(-1, &attempts, nullptr, nullptr);
    for (auto& a : attempts) record_.preprocessing.push_back(std::move(a));
    record_.preprocessing_wall_ms += MsBetween(tp, clock_->Now());
    if (status.ok()) {
      // Global model version 0: the initial weights.
      SL_ASSIGN_OR_RETURN(ml::Model init, ml::Model::Create(spec_.model, spec_.local.seed));
      Status put = store_->Put(JobKeys::Model(0), init.SerializeState(), store::PutOptions{.if_absent = true});
      if (!put.ok() && put.code() != Code::kAlreadyExists) status = put;
    }
    if (status.ok()) {
      preprocessed_ = true;
      status = WriteCheckpoint(0);
    }
  }
  if (status.ok()) {
    Emit(TrainProgressEvent::Kind::kStage,
         fmt::format("training {} ({} parameters) for {} epochs = {} rounds of {} functions ({} MB, {})",
                     spec_.model.name, ml::Model::Create(spec_.model, 1)->NumParameters(), spec_.epochs,
                     spec_.total_rounds(), spec_.workers, spec_.memory_mb, spec_.provider));
  }
  for (int64_t r = next_round_; status.ok() && r < spec_.total_rounds(); ++r) {
    DrainOrphans(false);
    status = RunRound(r);
  }
  // The last round's checkpoint (or, when a round failed, the previous one's): durable before
  // the job ends either way.
  Status joined = JoinCheckpoint(/*add_wait=*/true);
  if (status.ok()) status = joined;
  DrainOrphans(true);
  if (!status.ok()) {
    // Keep what was measured (the last checkpoint stays the resume point).
    (void)store_->Put("failed-run.json", record_.ToJson().dump());
    return status;
  }

  // The final model: test accuracy, artifact, report.
  SL_ASSIGN_OR_RETURN(std::string final_bytes, store_->Get(JobKeys::Model(spec_.total_rounds())));
  SL_ASSIGN_OR_RETURN(ml::Model final_model, ml::Model::Create(spec_.model, spec_.local.seed));
  SL_RETURN_IF_ERROR(final_model.LoadWeights(final_bytes, JobKeys::Model(spec_.total_rounds())));
  const TimePoint te = clock_->Now();
  const bool scored = last_validation_ && last_validation_whole_ && last_validation_round_ + 1 == spec_.total_rounds();
  if (splits_.validation.size() > 0 && !scored) {
    // A resume after the last round's checkpoint: its model was not scored by this coordinator.
    SL_ASSIGN_OR_RETURN(last_validation_, ml::Evaluate(final_model, splits_.validation));
    if (!record_.rounds.empty() && record_.rounds.back().round + 1 == spec_.total_rounds()) {
      record_.rounds.back().validation_accuracy = last_validation_->accuracy;  // its time is below
      record_.rounds.back().validation_loss = last_validation_->loss;
    }
  }
  result.validation = last_validation_;
  if (splits_.test.size() > 0) {
    SL_ASSIGN_OR_RETURN(result.test, ml::Evaluate(final_model, splits_.test));
    record_.test_accuracy = result.test->accuracy;
  }
  record_.final_evaluate_ms = MsBetween(te, clock_->Now());
  record_.coordinator_store_retries = store_retries_before + store::ProcessRetryCounts().retries - store_retries0;
  SL_RETURN_IF_ERROR(WriteCheckpoint(spec_.total_rounds()));
  SL_RETURN_IF_ERROR(store_->Put(JobKeys::kReport, record_.ToJson().dump(2)));
  if (!spec_.out_dir.empty()) {
    ml::Manifest m;
    m.model = spec_.model;
    m.class_names = splits_.train.class_names;
    m.dataset = ml::DatasetManifestJson(spec_.data, splits_);
    m.preprocessing = splits_.PreprocessingJson();
    m.training = {{"config", spec_.local.ToJson()},
                  {"serverless",
                   {{"store", opt_.store_uri},
                    {"job_id", spec_.job_id},
                    {"workers", spec_.workers},
                    {"epochs", spec_.epochs},
                    {"rounds", spec_.total_rounds()},
                    {"provider", spec_.provider},
                    {"memory_mb", spec_.memory_mb}}}};
    m.metrics = ml::MetricsManifestJson(result.validation, result.test);
    SL_RETURN_IF_ERROR(ml::WriteArtifact(spec_.out_dir, std::move(m), final_bytes));
    result.artifact_dir = spec_.out_dir;
  }
  // Orphans have all ended (DrainOrphans above), so no late update lands after the sweep.
  SL_RETURN_IF_ERROR(SweepFinishedJob());
  SL_ASSIGN_OR_RETURN(auto left, store_->List(""));
  for (const auto& o : left) result.store_bytes += o.size;
  result.store_objects = static_cast<int64_t>(left.size());
  result.deleted_objects = deleted_objects_;
  result.spec = spec_;
  result.record = record_;
  result.wall_seconds = MsBetween(t0, clock_->Now()) / 1000;
  return result;
}

}  // namespace

Result<TrainingResult> RunServerlessTraining(JobSpec spec, const CoordinatorOptions& options) {
  Coordinator c(std::move(spec), options);
  return c.Run();
}

}  // namespace sl::train

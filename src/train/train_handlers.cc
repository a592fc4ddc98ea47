#include "train/train_handlers.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "ml/model.h"
#include "ml/trainer.h"
#include "store/function_env.h"
#include "store/object_store.h"
#include "store/transfer_counts.h"
#include "train/job_spec.h"
#include "train/shard_codec.h"
#include "train/update_codec.h"

namespace sl::train {
namespace {

using runtime::InvocationRequest;
using runtime::InvocationResponse;

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::Real()->Now() - t0).count();
}

InvocationResponse Fail(const Status& s) {
  return InvocationResponse::Failure(s.ToString(), "TrainError");
}

// What this invocation's store client moved and asked since `before` (one invocation at a time
// per instance, so the process-wide counts are this invocation's), for transfer pricing.
// The shape is faas/economics/store_io_report.h's: the platform copies it into the ledger.
void AddStoreIo(nlohmann::json* out, const std::string& store_uri, const store::TransferCounts& before) {
  store::TransferCounts d = store::ProcessTransferCounts() - before;
  (*out)["store_io"] = {{"store", store_uri},
                        {"bytes_read", d.bytes_received},      {"bytes_written", d.bytes_sent},
                        {"read_requests", d.read_requests},    {"write_requests", d.write_requests},
                        {"list_requests", d.list_requests}};
}

// Per-instance state kept between warm invocations.
struct InstanceCache {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<store::ObjectStore>> stores;  // by URI
  std::map<std::string, std::shared_ptr<const JobSpec>> jobs;         // by store URI
  std::map<std::string, std::shared_ptr<const ml::Dataset>> shards;   // by URI + key
  // The loaded raw train pool of the last preprocessed dataset (by its options as JSON): a warm
  // preprocessing instance cuts its next shard from it instead of parsing the files again. One
  // entry, so an instance holds at most one dataset.
  std::string pool_key;
  std::shared_ptr<const ml::Dataset> pool;
  // The job's model, built once per instance (building runs the random initialisation; in the
  // coordinator that was a quarter of its time per round) and loaded with model N by every
  // invocation. Only used under TrainMutex(). Keyed by store URI, one entry.
  std::string model_key;
  std::unique_ptr<ml::Model> model;
};
InstanceCache& Cache() {
  static InstanceCache* cache = new InstanceCache();
  return *cache;
}
std::mutex& TrainMutex() {
  static std::mutex* mu = new std::mutex();
  return *mu;
}

Result<std::shared_ptr<store::ObjectStore>> StoreFor(const std::string& uri) {
  InstanceCache& c = Cache();
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.stores.find(uri);
  if (it != c.stores.end()) return it->second;
  // The function platform reserves AWS_*: the caller passes its store as STRAIGHTLINE_STORE_*.
  store::StoreOptions options = store::StoreOptionsFromFunctionEnvironment();
  SL_ASSIGN_OR_RETURN(auto opened, store::OpenObjectStore(uri, options));
  std::shared_ptr<store::ObjectStore> shared(std::move(opened));
  c.stores[uri] = shared;
  return shared;
}

Result<std::shared_ptr<const JobSpec>> JobFor(const std::string& uri, store::ObjectStore* st) {
  {
    std::lock_guard<std::mutex> lock(Cache().mu);
    auto it = Cache().jobs.find(uri);
    if (it != Cache().jobs.end()) return it->second;
  }
  SL_ASSIGN_OR_RETURN(std::string text, st->Get(JobKeys::kJob));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return DataLoss("{}/{}: not JSON", uri, JobKeys::kJob);
  SL_ASSIGN_OR_RETURN(JobSpec spec, JobSpec::FromJson(j, uri + "/" + JobKeys::kJob));
  if (!spec.model_resolved) {
    return FailedPrecondition("{}/{}: the model is not resolved yet", uri, JobKeys::kJob);
  }
  auto shared = std::make_shared<const JobSpec>(std::move(spec));
  std::lock_guard<std::mutex> lock(Cache().mu);
  Cache().jobs[uri] = shared;
  return shared;
}

struct Payload {
  std::string store;
  int64_t round = 0, shard = 0, attempt = 0;
};

Result<Payload> ParsePayload(const std::string& text, bool with_round) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("payload is not a JSON object");
  Payload p;
  try {
    p.store = j.at("store").get<std::string>();
    p.shard = j.at("shard").get<int64_t>();
    if (with_round) {
      p.round = j.at("round").get<int64_t>();
      p.attempt = j.value("attempt", int64_t{0});
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument("payload: {}", e.what());
  }
  if (p.shard < 0 || p.round < 0 || p.attempt < 0) return InvalidArgument("payload: negative round/shard/attempt");
  return p;
}

const FaultInjection* FindFault(const JobSpec& job, int64_t round, int64_t shard, int64_t attempt) {
  for (const auto& f : job.faults) {
    if (f.shard == shard && f.attempt == attempt && (f.round < 0 || f.round == round)) return &f;
  }
  return nullptr;
}

// Faults that act before any work. Returns a response for "fail"; crash/hang/oom do not return.
std::optional<InvocationResponse> ActOnFault(const FaultInjection& f, const InvocationRequest& req,
                                             int64_t memory_mb) {
  if (f.kind == "crash") {
    std::fprintf(stderr, "train-shard: injected crash\n");
    std::fflush(stderr);
    std::abort();
  }
  if (f.kind == "hang") {
    std::fprintf(stderr, "train-shard: injected hang\n");
    std::this_thread::sleep_for(req.RemainingTime() + std::chrono::seconds(30));
  }
  if (f.kind == "oom") {
    std::fprintf(stderr, "train-shard: injected allocation of %lld MB\n", static_cast<long long>(2 * memory_mb));
    std::vector<char*> blocks;
    for (int64_t i = 0; i < 2 * memory_mb; ++i) {
      char* b = static_cast<char*>(std::malloc(1 << 20));
      if (b == nullptr) break;
      std::memset(b, 1, 1 << 20);
      blocks.push_back(b);
    }
    std::this_thread::sleep_for(std::chrono::seconds(5));
    for (char* b : blocks) std::free(b);
  }
  if (f.kind == "slow") {
    std::fprintf(stderr, "train-shard: injected straggler (3 s)\n");
    std::this_thread::sleep_for(std::chrono::seconds(3));
  }
  if (f.kind == "fail") return InvocationResponse::Failure("injected failure", "InjectedFault");
  return std::nullopt;
}

// The train split of `options`, from the instance cache when this instance loaded it last.
Result<std::shared_ptr<const ml::Dataset>> TrainPoolFor(const ml::data::DatasetOptions& options) {
  const std::string key = DatasetOptionsToJson(options).dump();
  InstanceCache& c = Cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.pool && c.pool_key == key) return c.pool;
  }
  SL_ASSIGN_OR_RETURN(ml::data::DatasetSplits splits, ml::data::LoadDataset(options));
  auto pool = std::make_shared<const ml::Dataset>(std::move(splits.train));
  std::lock_guard<std::mutex> lock(c.mu);
  c.pool_key = key;
  c.pool = pool;
  return pool;
}

// Indices of this round's chunk of a shard of n samples: the shard is reshuffled every epoch
// (seeded by the job, shard and epoch), then cut into rounds_per_epoch chunks.
std::vector<int64_t> ChunkIndices(const JobSpec& job, int64_t n, int64_t round, int64_t shard) {
  const int64_t epoch = round / job.rounds_per_epoch;
  std::vector<int64_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::mt19937_64 rng(job.data.seed * 1000003 + static_cast<uint64_t>(shard) * 7919 + static_cast<uint64_t>(epoch));
  std::shuffle(idx.begin(), idx.end(), rng);
  const JobSpec::Range range = job.ChunkRange(n, round);
  return std::vector<int64_t>(idx.begin() + range.begin, idx.begin() + range.end);
}

}  // namespace

InvocationResponse HandlePreprocess(const InvocationRequest& request) {
  const int64_t store_retries0 = store::ProcessRetryCounts().retries;  // one invocation at a time per instance
  const store::TransferCounts io0 = store::ProcessTransferCounts();
  auto p = ParsePayload(request.payload, false);
  if (!p.ok()) return Fail(p.status());
  auto st = StoreFor(p->store);
  if (!st.ok()) return Fail(st.status());
  auto job = JobFor(p->store, st->get());
  if (!job.ok()) return Fail(job.status());
  if (p->shard >= (*job)->workers) {
    return Fail(InvalidArgument("shard {} >= workers {}", p->shard, (*job)->workers));
  }
  auto t0 = Clock::Real()->Now();
  auto pool = TrainPoolFor((*job)->data);
  if (!pool.ok()) return Fail(pool.status());
  const ml::Dataset& train = **pool;
  const int64_t n = train.size();
  const JobSpec::Range range = (*job)->ShardRange(n, p->shard);
  const int64_t begin = range.begin, end = range.end;
  std::vector<int64_t> idx(end - begin);
  std::iota(idx.begin(), idx.end(), begin);
  std::string bytes = EncodeShard(train.Subset(idx));
  double load_ms = MsSince(t0);
  auto t1 = Clock::Real()->Now();
  Status s = (*st)->Put(JobKeys::Shard(p->shard), bytes);
  if (!s.ok()) return Fail(s);
  nlohmann::json out = {{"samples", end - begin}, {"bytes", bytes.size()}, {"load_ms", load_ms},
                        {"upload_ms", MsSince(t1)},
                        {"store_retries", store::ProcessRetryCounts().retries - store_retries0}};
  AddStoreIo(&out, p->store, io0);
  return InvocationResponse::Success(out.dump());
}

InvocationResponse HandleTrainShard(const InvocationRequest& request) {
  const int64_t store_retries0 = store::ProcessRetryCounts().retries;
  const store::TransferCounts io0 = store::ProcessTransferCounts();
  auto p = ParsePayload(request.payload, true);
  if (!p.ok()) return Fail(p.status());
  auto st = StoreFor(p->store);
  if (!st.ok()) return Fail(st.status());
  auto job_or = JobFor(p->store, st->get());
  if (!job_or.ok()) return Fail(job_or.status());
  const JobSpec& job = **job_or;
  if (p->shard >= job.workers) return Fail(InvalidArgument("shard {} >= workers {}", p->shard, job.workers));
  const FaultInjection* fault = FindFault(job, p->round, p->shard, p->attempt);
  if (fault != nullptr) {
    if (auto r = ActOnFault(*fault, request, job.memory_mb)) return *r;
  }

  ShardUpdate u;
  u.round = p->round;
  u.shard = p->shard;
  u.attempt = p->attempt;
  auto t0 = Clock::Real()->Now();
  auto weights = (*st)->Get(JobKeys::Model(p->round));
  if (!weights.ok()) return Fail(weights.status());
  u.download_model_ms = MsSince(t0);

  const std::string shard_key = p->store + "/" + JobKeys::Shard(p->shard);
  std::shared_ptr<const ml::Dataset> shard;
  {
    std::lock_guard<std::mutex> lock(Cache().mu);
    auto it = Cache().shards.find(shard_key);
    if (it != Cache().shards.end()) shard = it->second;
  }
  if (!shard) {
    auto t1 = Clock::Real()->Now();
    auto bytes = (*st)->Get(JobKeys::Shard(p->shard));
    if (!bytes.ok()) return Fail(bytes.status());
    auto decoded = DecodeShard(*bytes, shard_key);
    if (!decoded.ok()) return Fail(decoded.status());
    shard = std::make_shared<const ml::Dataset>(std::move(*decoded));
    u.download_shard_ms = MsSince(t1);
    std::lock_guard<std::mutex> lock(Cache().mu);
    Cache().shards[shard_key] = shard;
  }

  // Phases as the run report names them: "download" is fetching and loading model N (and the
  // shard on a cold instance), "compute" is the local training alone, "upload" is serializing
  // and writing the update.
  std::chrono::steady_clock::time_point t3;
  {
    std::lock_guard<std::mutex> lock(TrainMutex());
    InstanceCache& c = Cache();
    if (!c.model || c.model_key != p->store) {
      c.model.reset();
      auto created = ml::Model::Create(job.model, job.local.seed);
      if (!created.ok()) return Fail(created.status());
      c.model = std::make_unique<ml::Model>(std::move(*created));
      c.model_key = p->store;
    }
    ml::Model* model = c.model.get();
    // LoadWeights replaces every parameter and buffer, so nothing of the last invocation remains;
    // Train seeds libtorch itself, so the result does not depend on what ran before.
    auto tl = Clock::Real()->Now();
    Status s = model->LoadWeights(*weights, p->store + "/" + JobKeys::Model(p->round));
    if (!s.ok()) return Fail(s);  // LoadWeights changes nothing when it fails
    u.download_model_ms += MsSince(tl);

    auto t2 = Clock::Real()->Now();
    ml::Dataset chunk = shard->Subset(ChunkIndices(job, shard->size(), p->round, p->shard));
    if (chunk.size() == 0) return Fail(FailedPrecondition("shard {} has no samples for round {}", p->shard, p->round));
    ml::TrainConfig cfg = job.local;
    cfg.epochs = 1;
    cfg.lr = job.LocalLr(p->round);
    cfg.seed = job.local.seed + static_cast<uint64_t>(p->round) * 1000 + static_cast<uint64_t>(p->shard);
    auto stats = ml::Train(*model, chunk, cfg);
    if (!stats.ok()) return Fail(stats.status());
    u.compute_ms = MsSince(t2);
    u.samples = stats->samples;
    u.steps = stats->steps;
    u.loss = stats->epoch_loss.empty() ? 0.0 : stats->epoch_loss.back();
    t3 = Clock::Real()->Now();
    u.weights = model->SerializeState();
  }

  const std::string key = JobKeys::Update(p->round, p->shard);
  bool late = false;
  if (fault != nullptr && fault->kind == "corrupt") {
    std::string junk = EncodeUpdate(u);
    for (size_t i = junk.size() / 2; i < junk.size(); i += 97) junk[i] = static_cast<char>(junk[i] ^ 0x5a);
    Status s = (*st)->Put(key, junk);
    if (!s.ok()) return Fail(s);
  } else {
    Status s = (*st)->Put(key, EncodeUpdate(u), store::PutOptions{.if_absent = true});
    if (s.code() == Code::kAlreadyExists) {
      late = true;
    } else if (!s.ok()) {
      return Fail(s);
    }
  }
  nlohmann::json out = {{"samples", u.samples},
                        {"steps", u.steps},
                        {"loss", u.loss},
                        {"download_model_ms", u.download_model_ms},
                        {"download_shard_ms", u.download_shard_ms},
                        {"compute_ms", u.compute_ms},
                        {"upload_ms", MsSince(t3)},
                        {"late", late},
                        {"store_retries", store::ProcessRetryCounts().retries - store_retries0}};
  AddStoreIo(&out, p->store, io0);
  return InvocationResponse::Success(out.dump());
}

Status RegisterTrainHandlers(runtime::HandlerRegistry* registry) {
  SL_RETURN_IF_ERROR(registry->Register(kPreprocessHandler, HandlePreprocess));
  return registry->Register(kShardHandler, HandleTrainShard);
}

}  // namespace sl::train

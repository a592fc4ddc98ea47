// The coordinator on the fake function host: no processes, no sleeps. The fake runs the real
// train handlers in-process when an invocation starts (so the updates in the file store are
// real), then lets the invocation take scripted fake time; the coordinator's loop advances the
// FakeClock while it waits. Faults are scripted per (round, shard, attempt).
#include <map>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "faas/economics/transfer_pricing.h"
#include "faas/fake_function_host.h"
#include "store/gcs_test_server.h"
#include "store/object_store.h"
#include "train/coordinator.h"
#include "train/run_report.h"
#include "train/train_handlers.h"

namespace sl::train {
namespace {

using std::chrono::milliseconds;
using Key = std::tuple<int64_t, int64_t, int64_t>;  // round (-1: preprocessing), shard, attempt

int64_t Count(const RoundRecord& r, const std::string& outcome) {
  int64_t n = 0;
  for (const auto& a : r.attempts) n += AttemptOutcomeName(a.outcome) == outcome;
  return n;
}

Key KeyOf(const faas::InvokeRequest& req) {
  auto p = nlohmann::json::parse(req.payload);
  return {p.value("round", int64_t{-1}), p.at("shard").get<int64_t>(), p.value("attempt", int64_t{0})};
}

// A small dataset in MNIST's raw IDX layout (400 train, 100 test images of 28×28, ten classes,
// each class a noisy bright band), so a job's data loads in moments: the test is about
// scheduling, and the registry's Fashion-MNIST files are gzipped (their decompression was most
// of this test's time).
void WriteTinyMnist(const std::string& dir) {
  auto be32 = [](std::string* out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
  };
  auto write = [&](const std::string& name, int n, uint32_t seed) {
    std::string images, labels;
    be32(&images, 0x00000803);
    be32(&images, static_cast<uint32_t>(n));
    be32(&images, 28);
    be32(&images, 28);
    be32(&labels, 0x00000801);
    be32(&labels, static_cast<uint32_t>(n));
    uint32_t x = seed;
    for (int i = 0; i < n; ++i) {
      const int label = i % 10;
      labels.push_back(static_cast<char>(label));
      for (int p = 0; p < 28 * 28; ++p) {
        x = x * 1664525u + 1013904223u;
        const bool band = (p / 28) / 3 == label;
        images.push_back(static_cast<char>((band ? 160 : 0) + (x >> 26)));
      }
    }
    ASSERT_TRUE(WriteFileAtomic(dir + "/" + name + "-images-idx3-ubyte", images).ok());
    ASSERT_TRUE(WriteFileAtomic(dir + "/" + name + "-labels-idx1-ubyte", labels).ok());
  };
  ASSERT_TRUE(MakeDirs(dir).ok());
  write("train", 400, 1);
  write("t10k", 100, 2);
}

class CoordinatorFakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("train-fake-test");
    WriteTinyMnist(dir_->Join("mnist"));
  }
  static void TearDownTestSuite() { delete dir_; }

  JobSpec SmallJob(const std::string& job_id) {
    JobSpec s;
    s.job_id = job_id;
    s.data.name = "mnist";
    s.data.path = dir_->Join("mnist");
    s.data.train_limit = 300;
    s.data.seed = 1;
    s.model_name = "logreg";
    s.local.lr = 0.01;
    s.local.batch_size = 32;
    s.local.threads = 1;
    s.workers = 3;
    s.epochs = 1;
    s.rounds_per_epoch = 2;
    s.memory_mb = 1024;
    s.timeout_s = 30;
    s.max_retries = 2;
    s.speculative_after = 0;
    return s;
  }

  // Scripts the job's two functions: the real handlers, taking `duration(key)` of fake time,
  // except where `faults` says otherwise.
  void Script(const std::string& job_id, std::map<Key, faas::FakeReply> faults,
              std::function<milliseconds(const Key&)> duration, const std::string& name_suffix = "") {
    auto run = [faults = std::move(faults), duration = std::move(duration)](
                   runtime::InvocationResponse (*handler)(const runtime::InvocationRequest&)) {
      return [faults, duration, handler](const faas::InvokeRequest& req) {
        const Key key = KeyOf(req);
        if (auto it = faults.find(key); it != faults.end()) return it->second;
        runtime::InvocationRequest in;
        in.payload = req.payload;
        runtime::InvocationResponse out = handler(in);
        if (!out.success) {
          faas::FakeReply r = faas::FakeReply::Error(faas::Outcome::kHandledError, "", duration(key), out.error_type);
          r.result.payload = out.payload;
          return r;
        }
        return faas::FakeReply::Ok(out.payload, duration(key));
      };
    };
    host_.Script("sl-preprocess-" + job_id + name_suffix, {.handler = run(&HandlePreprocess)});
    host_.Script("sl-train-" + job_id + name_suffix, {.handler = run(&HandleTrainShard)});
  }

  Result<TrainingResult> Run(const JobSpec& spec, bool resume = false, int64_t resume_memory_mb = 0,
                             const std::string& store_uri = "") {
    CoordinatorOptions o;
    o.resume = resume;
    o.resume_memory_mb = resume_memory_mb;
    o.store_uri = store_uri.empty() ? Store(spec.job_id) : store_uri;
    o.functions = &host_;
    o.clock = &clock_;
    o.function_environment = {{"STRAIGHTLINE_TEST", "1"}};
    return RunServerlessTraining(spec, o);
  }
  std::string Store(const std::string& job_id) { return "file://" + dir_->Join("store-" + job_id); }
  std::string FinalModel(const JobSpec& spec) {
    auto st = store::OpenObjectStore(Store(spec.job_id));
    EXPECT_TRUE(st.ok());
    auto bytes = (*st)->Get(JobKeys::Model(spec.total_rounds()));
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? *bytes : "";
  }
  // The fake host's record of one invocation of the job's train function.
  faas::FakeFunctionHost::Call CallOf(const std::string& job_id, const Key& key) {
    for (const auto& c : host_.calls("sl-train-" + job_id)) {
      if (KeyOf(c.request) == key) return c;
    }
    ADD_FAILURE() << "no invocation of round " << std::get<0>(key) << " shard " << std::get<1>(key) << " attempt "
                  << std::get<2>(key);
    return {};
  }

  FakeClock clock_;
  faas::FakeFunctionHost host_{&clock_};
  static TempDir* dir_;
};
TempDir* CoordinatorFakeTest::dir_ = nullptr;

milliseconds Second(const Key&) { return milliseconds(1000); }

// `train --provider preprocess=P1,train=P2` (issue 21 §3): each stage's function is deployed under
// its own profile and size, the record says which, and the run report's stages carry them.
TEST_F(CoordinatorFakeTest, EachStageRunsUnderItsOwnProviderAndMemory) {
  JobSpec spec = SmallJob("stages");
  spec.provider = "aws-lambda";
  spec.memory_mb = 1024;
  spec.preprocess_provider = "gcp-functions";
  spec.preprocess_memory_mb = 512;
  Script("stages", {}, Second);
  auto r = Run(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto pre = host_.Describe("sl-preprocess-stages");
  auto trn = host_.Describe("sl-train-stages");
  ASSERT_TRUE(pre.ok() && trn.ok());
  EXPECT_EQ(pre->spec.provider, "gcp-functions");
  EXPECT_EQ(pre->spec.memory_mb, 512);
  EXPECT_EQ(trn->spec.provider, "aws-lambda");
  EXPECT_EQ(trn->spec.memory_mb, 1024);
  EXPECT_EQ(r->record.provider, "aws-lambda");
  EXPECT_EQ(r->record.PreprocessProvider(), "gcp-functions");
  EXPECT_EQ(r->record.PreprocessMemoryMb(), 512);
  for (const auto& a : r->record.preprocessing) EXPECT_EQ(a.memory_mb, 512);
  for (const auto& a : r->record.rounds[0].attempts) EXPECT_EQ(a.memory_mb, 1024);
  // The record and job.json keep the stages through JSON (a resume deploys the same).
  auto back = RunRecord::FromJson(r->record.ToJson(), "record");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->preprocess_provider, "gcp-functions");
  EXPECT_EQ(back->preprocess_memory_mb, 512);
  auto spec_back = JobSpec::FromJson(r->spec.ToJson(), "job.json");
  ASSERT_TRUE(spec_back.ok()) << spec_back.status().ToString();
  EXPECT_EQ(spec_back->PreprocessProvider(), "gcp-functions");
  const RunSummary s = Summarize(r->record, 2);
  EXPECT_EQ(s.preprocessing.provider, "gcp-functions");
  EXPECT_EQ(s.preprocessing.memory_mb, 512);
  EXPECT_EQ(s.training.provider, "aws-lambda");
  EXPECT_EQ(s.total.provider, "");  // the stages differ
  EXPECT_NE(RunReportText(r->record, s).find("preprocessing 512 MB under gcp-functions, training 1024 MB under aws-lambda"),
            std::string::npos);
  // A job with one provider keeps the old JSON: no stage fields.
  RunRecord plain = r->record;
  plain.preprocess_provider.clear();
  plain.preprocess_memory_mb = 0;
  EXPECT_FALSE(plain.ToJson().contains("preprocess_provider"));
}

TEST_F(CoordinatorFakeTest, RetriesAfterCrashAndThrottleWithBackoffAndTheWeightsDoNotChange) {
  const JobSpec clean = SmallJob("clean");
  Script("clean", {}, Second);
  auto a = Run(clean);
  ASSERT_TRUE(a.ok()) << a.status().ToString();

  const JobSpec faulty = SmallJob("faulty");
  Script("faulty",
         {{{0, 1, 0}, faas::FakeReply::Error(faas::Outcome::kCrash, "exit status 139", milliseconds(300))},
          {{1, 0, 0}, faas::FakeReply::Refuse(ResourceExhausted("TooManyRequestsException"))},
          {{1, 0, 1}, faas::FakeReply::Error(faas::Outcome::kTimeout, "Task timed out", milliseconds(30'000))}},
         Second);
  auto b = Run(faulty);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->record.rounds.size(), 2u);
  const RoundRecord& r0 = b->record.rounds[0];
  EXPECT_EQ(Count(r0, "crash"), 1);
  EXPECT_EQ(Count(r0, "ok"), 3);
  EXPECT_EQ(r0.retries, 1);
  const RoundRecord& r1 = b->record.rounds[1];
  EXPECT_EQ(Count(r1, "throttled"), 1);
  EXPECT_EQ(Count(r1, "timeout"), 1);
  EXPECT_EQ(Count(r1, "ok"), 3);
  EXPECT_EQ(r1.retries, 2);

  // Each retry waited its backoff after the failure ended: 200 ms, then 400 ms, × jitter in
  // [0.5, 1.5), seen by a loop that polls every 5 ms.
  auto gap_ms = [&](const Key& failed, const Key& retry) {
    auto f = CallOf("faulty", failed);
    auto r = CallOf("faulty", retry);
    return std::chrono::duration<double, std::milli>(r.accepted - *f.ended).count();
  };
  EXPECT_GE(gap_ms({0, 1, 0}, {0, 1, 1}), 100);
  EXPECT_LE(gap_ms({0, 1, 0}, {0, 1, 1}), 310);
  EXPECT_GE(gap_ms({1, 0, 0}, {1, 0, 1}), 100);
  EXPECT_LE(gap_ms({1, 0, 0}, {1, 0, 1}), 310);
  EXPECT_GE(gap_ms({1, 0, 1}, {1, 0, 2}), 200);
  EXPECT_LE(gap_ms({1, 0, 1}, {1, 0, 2}), 610);

  // Scheduling never changes what is averaged: the final weights are the clean run's, bit for bit.
  EXPECT_EQ(FinalModel(faulty), FinalModel(clean));
  ASSERT_TRUE(a->test && b->test);
  EXPECT_EQ(a->test->accuracy, b->test->accuracy);
  EXPECT_GT(a->test->accuracy, 0.5);  // it trained: the bands are easy to tell apart
}

TEST_F(CoordinatorFakeTest, AStragglerGetsABackupAfterTwiceTheMedianAndTheOriginalIsLate) {
  JobSpec spec = SmallJob("straggler");
  spec.speculative_after = 2;
  // Round 0: shards take 400 ms, shard 2's first attempt 2 s; round 1: 1 s each, so the
  // original straggler ends (at 2 s) while round 1 runs.
  Script("straggler", {}, [](const Key& k) {
    const auto& [round, shard, attempt] = k;
    if (round == 0 && shard == 2 && attempt == 0) return milliseconds(2000);
    return milliseconds(round == 0 ? 400 : 1000);
  });
  auto r = Run(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RoundRecord& r0 = r->record.rounds.at(0);
  EXPECT_EQ(r0.speculative, 1);
  EXPECT_EQ(r0.retries, 0);
  int64_t backup_ok = 0, original_late = 0;
  for (const auto& a : r0.attempts) {
    if (a.shard != 2) continue;
    backup_ok += a.speculative && a.outcome == AttemptOutcome::kOk;
    original_late += !a.speculative && a.outcome == AttemptOutcome::kAcceptedLate;
  }
  EXPECT_EQ(backup_ok, 1);
  EXPECT_EQ(original_late, 1);
  // The backup started once the straggler had run longer than max(500 ms, 2 × 400 ms).
  auto original = CallOf("straggler", {0, 2, 0});
  auto backup = CallOf("straggler", {0, 2, 1});
  const double after_ms = std::chrono::duration<double, std::milli>(backup.accepted - original.accepted).count();
  EXPECT_GT(after_ms, 800);
  EXPECT_LE(after_ms, 810);
  EXPECT_EQ(r->record.rounds.at(1).speculative, 0);
  // The record's times are the fake clock's: the round's map ended with the backup, at
  // 805 + 400 ms, 805 ms after the median shard.
  EXPECT_DOUBLE_EQ(r0.map_ms, 1205);
  EXPECT_DOUBLE_EQ(r0.straggler_wait_ms, 805);
}

TEST_F(CoordinatorFakeTest, ExhaustedRetriesAbortNamingRoundShardAttemptsAndLastError) {
  JobSpec spec = SmallJob("exhausted");
  spec.max_retries = 1;
  Script("exhausted",
         {{{1, 2, 0}, faas::FakeReply::Error(faas::Outcome::kOutOfMemory, "memory limit", milliseconds(500))},
          {{1, 2, 1}, faas::FakeReply::Error(faas::Outcome::kCrash, "exit status 139", milliseconds(500))}},
         Second);
  auto r = Run(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kAborted);
  EXPECT_NE(r.status().message().find("round 1 shard 2: retries exhausted after 2 attempts; last error: "
                                      "sl-train-exhausted (attempt 1): crash: exit status 139"),
            std::string::npos)
      << r.status().message();
}

TEST_F(CoordinatorFakeTest, ResumeWithANewMemorySizeRedeploysTheFunctionsAtIt) {
  JobSpec spec = SmallJob("resize");
  spec.memory_mb = 128;
  spec.max_retries = 1;
  Script("resize",
         {{{1, 2, 0}, faas::FakeReply::Error(faas::Outcome::kOutOfMemory, "memory limit", milliseconds(500))},
          {{1, 2, 1}, faas::FakeReply::Error(faas::Outcome::kOutOfMemory, "memory limit", milliseconds(500))}},
         Second);
  auto failed = Run(spec);
  ASSERT_EQ(failed.status().code(), Code::kAborted) << failed.status().ToString();

  // The host outlives the coordinator (as Lambda does) and keeps the 128 MB functions: the
  // resumed job runs under functions of its own at the new size.
  Script("resize", {}, Second, "-1024mb");
  auto resumed = Run(spec, /*resume=*/true, /*resume_memory_mb=*/1024);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->resumed_from_round, 1);
  EXPECT_EQ(resumed->record.memory_mb, 1024);
  auto fn = host_.Describe("sl-train-resize-1024mb");
  ASSERT_TRUE(fn.ok()) << fn.status().ToString();
  EXPECT_EQ(fn->spec.memory_mb, 1024);
  // Round 1's shards 0 and 1 had their updates in the store already: only shard 2 runs again.
  ASSERT_EQ(host_.calls("sl-train-resize-1024mb").size(), 1u);
  EXPECT_EQ(KeyOf(host_.calls("sl-train-resize-1024mb")[0].request), Key(1, 2, 0));
  EXPECT_EQ(resumed->record.rounds.at(1).attempts.back().memory_mb, 1024);
  EXPECT_EQ(resumed->record.rounds.at(0).attempts.at(0).memory_mb, 128);  // ran at the old size
  // job.json says so, for the functions and a later resume.
  auto st = store::OpenObjectStore(Store("resize"));
  ASSERT_TRUE(st.ok());
  auto job = (*st)->Get(JobKeys::kJob);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(nlohmann::json::parse(*job).at("memory_mb"), 1024);
}

TEST_F(CoordinatorFakeTest, ResumeWithAMemorySizeTheProviderRefusesFailsNamingIt) {
  JobSpec spec = SmallJob("badsize");
  spec.max_retries = 0;
  // The crash ends after the other shards (a fake clock: nothing else would end their calls).
  Script("badsize", {{{0, 2, 0}, faas::FakeReply::Error(faas::Outcome::kCrash, "exit status 139", milliseconds(2000))}},
         Second);
  ASSERT_FALSE(Run(spec).ok());
  auto r = Run(spec, /*resume=*/true, /*resume_memory_mb=*/64);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("64 MB"), std::string::npos) << r.status().ToString();
}

// Every key under a file store, with its size.
std::map<std::string, uint64_t> Objects(const std::string& uri) {
  std::map<std::string, uint64_t> out;
  auto st = store::OpenObjectStore(uri);
  EXPECT_TRUE(st.ok());
  auto all = (*st)->List("");
  EXPECT_TRUE(all.ok());
  for (const auto& o : *all) out[o.key] = o.size;
  return out;
}

TEST_F(CoordinatorFakeTest, ByDefaultAFinishedJobKeepsOnlyWhatResumeAndTheReportNeed) {
  JobSpec spec = SmallJob("pruned");
  spec.epochs = 2;  // 4 rounds
  spec.server.momentum = 0.5;
  Script("pruned", {}, Second);
  auto r = Run(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto left = Objects(Store("pruned"));
  std::vector<std::string> keys;
  uint64_t bytes = 0;
  for (const auto& [k, size] : left) {
    keys.push_back(k);
    bytes += size;
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"checkpoint.json", "job.json", "models/v0004.velocity", "models/v0004.weights",
                                            "report.json", "rounds/r0000.json", "rounds/r0001.json", "rounds/r0002.json"}));
  EXPECT_EQ(r->store_objects, 8);
  EXPECT_EQ(r->store_bytes, bytes);
  // 4 model versions and velocities, 4 rounds × 3 updates, 3 shards.
  EXPECT_EQ(r->deleted_objects, 4 * 2 + 4 * 3 + 3);
}

TEST_F(CoordinatorFakeTest, KeepRoundsKeepsTheLastRoundsOrEverything) {
  JobSpec spec = SmallJob("keep1");
  Script("keep1", {}, Second);
  auto all_spec = SmallJob("keepall");
  Script("keepall", {}, Second);
  CoordinatorOptions o;
  o.functions = &host_;
  o.clock = &clock_;
  o.function_environment = {{"STRAIGHTLINE_TEST", "1"}};
  o.store_uri = Store("keep1");
  o.keep_rounds = 1;
  ASSERT_TRUE(RunServerlessTraining(spec, o).ok());
  const auto one = Objects(Store("keep1"));
  EXPECT_EQ(one.count("models/v0000.weights"), 0u);
  EXPECT_EQ(one.count("updates/r0000/shard-0000.update"), 0u);
  EXPECT_EQ(one.count("models/v0001.weights"), 1u);  // the last round's input
  EXPECT_EQ(one.count("updates/r0001/shard-0002.update"), 1u);
  EXPECT_EQ(one.count("shards/shard-0000.bin"), 1u);
  o.store_uri = Store("keepall");
  o.keep_rounds = -1;
  auto all = RunServerlessTraining(all_spec, o);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->deleted_objects, 0);
  const auto every = Objects(Store("keepall"));
  EXPECT_EQ(every.count("models/v0000.weights"), 1u);
  EXPECT_EQ(every.count("updates/r0000/shard-0000.update"), 1u);
  EXPECT_EQ(every.count("shards/shard-0002.bin"), 1u);
}

// A kill right after each checkpoint becomes durable, before its deletes (the store holds the
// least history a resume can meet: the previous prune done, this one not): the resumed job ends
// with the uninterrupted job's bytes.
TEST_F(CoordinatorFakeTest, ResumeFromEveryCheckpointOfAPrunedStoreIsExact) {
  JobSpec spec = SmallJob("crashpts");
  spec.epochs = 2;
  spec.server.momentum = 0.5;
  Script("crashpts", {}, Second);
  const std::string base = dir_->Join("store-crashpts");
  std::vector<std::string> snapshots;
  CoordinatorOptions o;
  o.functions = &host_;
  o.clock = &clock_;
  o.function_environment = {{"STRAIGHTLINE_TEST", "1"}};
  o.store_uri = "file://" + base;
  o.on_progress = [&](const TrainProgressEvent& e) {
    if (e.kind != TrainProgressEvent::Kind::kCheckpointed) return;
    // Through the store (the file store keeps checksums in extended attributes).
    const std::string copy = base + "-killed-after-checkpoint-" + std::to_string(e.round->round + 1);
    auto from = store::OpenObjectStore(o.store_uri);
    auto to = store::OpenObjectStore("file://" + copy);
    ASSERT_TRUE(from.ok() && to.ok());
    auto listed = (*from)->List("");
    ASSERT_TRUE(listed.ok());
    const std::vector<store::ObjectInfo> objects = std::move(*listed);
    for (const auto& obj : objects) ASSERT_TRUE((*to)->Put(obj.key, *(*from)->Get(obj.key)).ok());
    snapshots.push_back(copy);
  };
  auto whole = RunServerlessTraining(spec, o);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  ASSERT_EQ(snapshots.size(), 4u);  // next_round 1..4
  const std::string final_model = *(*store::OpenObjectStore(o.store_uri))->Get(JobKeys::Model(4));
  for (const auto& snap : snapshots) {
    SCOPED_TRACE(snap);
    CoordinatorOptions ro = o;
    ro.on_progress = nullptr;
    ro.resume = true;
    ro.store_uri = "file://" + snap;
    auto resumed = RunServerlessTraining(JobSpec{}, ro);
    ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
    EXPECT_EQ(*(*store::OpenObjectStore(ro.store_uri))->Get(JobKeys::Model(4)), final_model);
    EXPECT_EQ(resumed->record.rounds.size(), 4u);
    EXPECT_EQ(Objects(ro.store_uri).count("updates/r0003/shard-0000.update"), 0u);
  }
}

// Cross-cloud transfer priced (issue 20): the same job with its store in Google Cloud Storage (the
// in-process XML API server, gcs_test_server.h), its functions priced first as AWS Lambda, then
// as Cloud Run functions. The handlers count what their store client moved; the run report prices
// it: AWS functions reading from and writing to gs:// pay both clouds' egress, GCP functions none.
TEST_F(CoordinatorFakeTest, AStoreInAnotherCloudPricesTheTransferAndOneInTheSameCloudDoesNot) {
  auto server = store::testing::GcsTestServer::Start("sl-transfer");
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string endpoint = (*server)->endpoint();
  // The coordinator's store from GS_* / GOOGLE_CLOUD_STORAGE_ENDPOINT, the in-process functions'
  // from what a platform would hand them (STRAIGHTLINE_STORE_*).
  for (const auto& [k, v] : std::map<std::string, std::string>{
           {"GS_ACCESS_KEY_ID", store::testing::GcsTestServer::kAccessId},
           {"GS_SECRET_ACCESS_KEY", store::testing::GcsTestServer::kSecret},
           {"GOOGLE_CLOUD_STORAGE_ENDPOINT", endpoint},
           {"STRAIGHTLINE_STORE_GS_ACCESS_KEY_ID", store::testing::GcsTestServer::kAccessId},
           {"STRAIGHTLINE_STORE_GS_SECRET_ACCESS_KEY", store::testing::GcsTestServer::kSecret},
           {"STRAIGHTLINE_STORE_GCS_ENDPOINT", endpoint}}) {
    ::setenv(k.c_str(), v.c_str(), 1);
  }
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  auto gcs_prices = faas::LoadStoreCloudProfile("gcp");
  ASSERT_TRUE(gcs_prices.ok() && gcs_prices->has_value()) << gcs_prices.status().ToString();
  for (const std::string provider : {"aws-lambda", "gcp-cloud-run-functions"}) {
    JobSpec spec = SmallJob("xfer-" + provider);
    spec.provider = provider;
    Script(spec.job_id, {}, Second);
    const std::string uri = "gs://sl-transfer/" + spec.job_id;
    auto r = Run(spec, false, 0, uri);
    ASSERT_TRUE(r.ok()) << provider << ": " << r.status().ToString();
    EXPECT_EQ(r->record.store, uri);
    // What the record says the functions moved, summed here.
    int64_t read = 0, written = 0, train_attempts = 0;
    auto add = [&](const ShardAttempt& a) {
      read += a.store_bytes_read;
      written += a.store_bytes_written;
    };
    for (const auto& a : r->record.preprocessing) add(a);
    for (const auto& round : r->record.rounds) {
      for (const auto& a : round.attempts) {
        add(a);
        ++train_attempts;
      }
    }
    // Each train attempt read its round's model at least (the shards come on top); every version
    // has the final one's size (the finished job keeps only that one).
    auto st = store::OpenObjectStore(uri);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    auto model = (*st)->Head(JobKeys::Model(spec.total_rounds()));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    EXPECT_GE(read, static_cast<int64_t>(model->size) * train_attempts) << provider;
    EXPECT_GT(written, 0) << provider;

    auto profile = faas::LoadProviderProfile(provider);
    ASSERT_TRUE(profile.ok());
    RunSummary s = Summarize(r->record, 1, &*profile, &**gcs_prices);
    EXPECT_EQ(s.store_cloud, "gcp");
    EXPECT_EQ(s.total.store_io.bytes_read, read);
    EXPECT_EQ(s.total.store_io.bytes_written, written);
    EXPECT_GT(s.total.store_request_usd, 0) << provider;  // Cloud Storage's operation fees either way
    if (provider == "aws-lambda") {
      // Reads leave Google Cloud at $0.12/GiB, writes leave AWS at $0.09/GiB (docs/providers.md).
      const double expected = static_cast<double>(read) / kGiB * 0.12 + static_cast<double>(written) / kGiB * 0.09;
      EXPECT_GT(s.total.transfer_usd, 0);
      EXPECT_NEAR(s.total.transfer_usd, expected, 1e-12);
      EXPECT_NE(RunReportText(r->record, s).find("transfer between clouds $"), std::string::npos);
      EXPECT_NEAR(RunReportJson(r->record, s)["transfer"]["transfer_usd"].get<double>(), expected, 1e-12);
    } else {
      EXPECT_EQ(s.total.transfer_usd, 0) << "functions and store in one cloud move nothing between clouds";
    }
    EXPECT_TRUE(s.transfer_unpriced.empty());
    const std::string text = RunReportText(r->record, s);
    const size_t line = text.find("object store gs://");
    ASSERT_NE(line, std::string::npos) << text;
    std::printf("%s: %s", provider.c_str(), text.substr(line, text.find('\n', line) - line + 1).c_str());
  }
  for (const char* k : {"GS_ACCESS_KEY_ID", "GS_SECRET_ACCESS_KEY", "GOOGLE_CLOUD_STORAGE_ENDPOINT",
                        "STRAIGHTLINE_STORE_GS_ACCESS_KEY_ID", "STRAIGHTLINE_STORE_GS_SECRET_ACCESS_KEY",
                        "STRAIGHTLINE_STORE_GCS_ENDPOINT"}) {
    ::unsetenv(k);
  }
}

}  // namespace
}  // namespace sl::train

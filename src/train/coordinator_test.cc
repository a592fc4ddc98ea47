// The serverless trainer end to end on the real function platform: real worker processes (forked
// from the template), the real file store (and s3rver), real training. Small jobs: logreg on a
// few hundred Fashion-MNIST samples, so each test takes seconds.
#include "train/coordinator.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/file_util.h"
#include "faas/economics/ledger.h"
#include "faas/platform.h"
#include "store/gcs_test_server.h"
#include "ml/artifact.h"
#include "ml/predictor.h"
#include "store/object_store.h"
#include "store/s3_test_server.h"

namespace sl::train {
namespace {

// Attempts of a round with this outcome ("ok", "timeout", ...).
int64_t Count(const RoundRecord& r, const std::string& outcome) {
  int64_t n = 0;
  for (const auto& a : r.attempts) n += AttemptOutcomeName(a.outcome) == outcome;
  return n;
}

class CoordinatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("train-test");
    faas::PlatformOptions o;
    o.state_dir = dir_->Join("platform");
    auto p = faas::Platform::Create(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    platform_ = p->release();
  }
  static void TearDownTestSuite() {
    delete platform_;
    delete dir_;
  }

  JobSpec SmallJob(const std::string& out = "") {
    JobSpec s;
    s.data.name = "fashion-mnist";
    s.data.train_limit = 300;
    s.data.seed = 1;
    s.model_name = "logreg";
    s.local.lr = 0.01;
    s.local.batch_size = 32;
    s.local.threads = 1;
    s.workers = 3;
    s.epochs = 2;
    s.rounds_per_epoch = 2;
    s.memory_mb = 1024;
    s.timeout_s = 30;
    s.max_retries = 2;
    s.speculative_after = 0;
    s.out_dir = out;
    return s;
  }

  CoordinatorOptions Options(const std::string& store_uri) {
    CoordinatorOptions o;
    o.store_uri = store_uri;
    o.functions = platform_;
    o.function_environment = {{"STRAIGHTLINE_TEST", "1"}};
    // These tests rewind a finished job's store to the state of a death, which needs every
    // round's objects (by default they go once no resume needs them: coordinator_fake_test).
    o.keep_rounds = -1;
    return o;
  }

  std::string NewStore() { return "file://" + dir_->Join("store-" + std::to_string(++stores_)); }


  static faas::Platform* platform_;
  static TempDir* dir_;
  static inline int stores_ = 0;
};
faas::Platform* CoordinatorTest::platform_ = nullptr;
TempDir* CoordinatorTest::dir_ = nullptr;

TEST_F(CoordinatorTest, TrainsThroughFunctionsAndWritesAVerifiedArtifact) {
  const std::string uri = NewStore();
  const std::string out = dir_->Join("model-e2e");
  std::vector<std::string> round_lines;
  CoordinatorOptions o = Options(uri);
  o.on_progress = [&](const TrainProgressEvent& e) {
    if (e.kind == TrainProgressEvent::Kind::kRoundDone) round_lines.push_back(e.text);
  };
  auto r = RunServerlessTraining(SmallJob(out), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->record.rounds.size(), 4u);
  EXPECT_EQ(round_lines.size(), 4u);
  EXPECT_EQ(r->record.preprocessing.size(), 3u);
  for (const auto& round : r->record.rounds) {
    EXPECT_EQ(Count(round, "ok"), 3) << "round " << round.round;
    // Scored at the end of every epoch (rounds 1 and 3) by default.
    if (round.round % 2 == 1) {
      EXPECT_GT(round.validation_accuracy, 0.3) << "round " << round.round;
      EXPECT_GT(round.validation_loss, 0) << "round " << round.round;
    } else {
      EXPECT_EQ(round.validation_accuracy, -1) << "round " << round.round;
      EXPECT_EQ(round.validation_loss, -1) << "round " << round.round;
    }
    // Through the record's JSON (report.json) and back.
    auto back = RunRecord::RoundFromJson(RunRecord::RoundToJson(round), "test");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->validation_loss, round.validation_loss);
    int64_t samples = 0;
    for (const auto& a : round.attempts) {
      samples += a.samples;
      EXPECT_GT(a.duration_ms, 0);
      EXPECT_GT(a.cost_usd, 0);
      EXPECT_GT(a.compute_ms, 0);
    }
    // Each round trains on one of two chunks of every shard: about half the train split.
    EXPECT_NEAR(static_cast<double>(samples), 150, 3);
  }
  ASSERT_TRUE(r->test.has_value());
  EXPECT_GT(r->test->accuracy, 0.5);
  EXPECT_DOUBLE_EQ(r->record.test_accuracy, r->test->accuracy);

  // The artifact loads (checksum verified) and predicts like any single-process artifact.
  auto artifact = ml::ReadArtifact(out);
  ASSERT_TRUE(artifact.ok()) << artifact.status().ToString();
  EXPECT_EQ(artifact->manifest.model.name, "logreg");
  EXPECT_EQ(artifact->manifest.training["serverless"]["workers"], 3);
  auto predictor = ml::Predictor::Load(out);
  ASSERT_TRUE(predictor.ok()) << predictor.status().ToString();

  // The store holds every model version, the shards and the report.
  auto st = store::OpenObjectStore(uri);
  ASSERT_TRUE(st.ok());
  for (int v = 0; v <= 4; ++v) EXPECT_TRUE((*st)->Head(JobKeys::Model(v)).ok()) << v;
  EXPECT_TRUE((*st)->Head(JobKeys::Shard(2)).ok());
  EXPECT_TRUE((*st)->Head(JobKeys::kReport).ok());

  // Every invocation is in the ledger, tagged with its stage.
  auto ledger = faas::ReadLedger(platform_->LedgerPath());
  ASSERT_TRUE(ledger.ok());
  int64_t round3 = 0, pre = 0;
  for (const auto& rec : *ledger) {
    if (rec.function.find(r->spec.job_id) == std::string::npos) continue;
    round3 += rec.stage == "round-3";
    pre += rec.stage == "preprocess";
  }
  EXPECT_EQ(round3, 3);
  EXPECT_EQ(pre, 3);
  // Progress lines between scorings carry the last score and say which round it is from.
  EXPECT_NE(round_lines[0].find("validation accuracy -"), std::string::npos) << round_lines[0];
  EXPECT_NE(round_lines[2].find("(after round 1)"), std::string::npos) << round_lines[2];
  // Numbered from 0, as in the run report and the ledger; the last round's line shows the
  // validation accuracy the report has.
  EXPECT_EQ(round_lines[3].rfind("round   3 (4/4, epoch 2)", 0), 0u) << round_lines[3];
  EXPECT_NE(round_lines[3].find(fmt::format("validation accuracy {:.4f},", r->record.rounds[3].validation_accuracy)),
            std::string::npos)
      << round_lines[3];
  EXPECT_DOUBLE_EQ(r->record.rounds[3].validation_accuracy, r->validation->accuracy);
  EXPECT_DOUBLE_EQ(r->record.rounds[3].validation_loss, r->validation->loss);

  // A second job on the same store is refused.
  auto again = RunServerlessTraining(SmallJob(), Options(uri));
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
}

TEST_F(CoordinatorTest, CrashedAndFailedFunctionsAreRetried) {
  JobSpec s = SmallJob();
  s.epochs = 1;
  s.faults = {{1, 1, 0, "crash"}, {0, 2, 0, "fail"}};
  auto r = RunServerlessTraining(s, Options(NewStore()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->record.rounds.size(), 2u);
  EXPECT_EQ(Count(r->record.rounds[0], "function-error"), 1);
  EXPECT_EQ(r->record.rounds[0].retries, 1);
  EXPECT_EQ(Count(r->record.rounds[1], "crash"), 1);
  EXPECT_EQ(r->record.rounds[1].retries, 1);
  EXPECT_EQ(Count(r->record.rounds[1], "ok"), 3);
}

TEST_F(CoordinatorTest, ATimedOutFunctionIsRetried) {
  JobSpec s = SmallJob();
  s.epochs = 1;
  s.rounds_per_epoch = 1;
  // Long enough that a healthy function never times out on a loaded 2-core machine (4 s did once,
  // under a parallel build: two timeouts instead of one). An unoptimised or sanitizer build runs
  // the preprocessing functions several times slower (8 s timed out under ASan), so it gets 5×.
#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
  s.timeout_s = 40;
#else
  s.timeout_s = 8;
#endif
  s.faults = {{0, 0, 0, "hang"}};
  auto r = RunServerlessTraining(s, Options(NewStore()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->record.rounds.size(), 1u);
  EXPECT_EQ(Count(r->record.rounds[0], "timeout"), 1);
  EXPECT_EQ(Count(r->record.rounds[0], "ok"), 3);
}

TEST_F(CoordinatorTest, ACorruptedUpdateIsDetectedAndRecomputedNeverAveraged) {
  JobSpec s = SmallJob();
  s.epochs = 1;
  s.rounds_per_epoch = 1;
  s.faults = {{0, 1, 0, "corrupt"}};
  auto r = RunServerlessTraining(s, Options(NewStore()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RoundRecord& round = r->record.rounds.at(0);
  EXPECT_EQ(Count(round, "invalid-update"), 1);
  EXPECT_EQ(Count(round, "ok"), 3);
  for (const auto& a : round.attempts) {
    if (a.outcome == AttemptOutcome::kInvalidUpdate) {
      EXPECT_EQ(a.shard, 1);
      EXPECT_NE(a.error.find("CRC-32C"), std::string::npos) << a.error;
    }
  }
}

TEST_F(CoordinatorTest, AStragglerGetsASpeculativeBackupAndTheFirstValidUpdateWins) {
  JobSpec s = SmallJob();
  s.epochs = 1;
  s.rounds_per_epoch = 1;
  s.speculative_after = 2;
  s.faults = {{0, 0, 0, "slow"}};
  auto r = RunServerlessTraining(s, Options(NewStore()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RoundRecord& round = r->record.rounds.at(0);
  EXPECT_EQ(round.speculative, 1);
  int64_t backup_ok = 0, original_late = 0;
  for (const auto& a : round.attempts) {
    if (a.shard != 0) continue;
    backup_ok += a.speculative && a.outcome == AttemptOutcome::kOk;
    original_late += !a.speculative && a.outcome == AttemptOutcome::kAcceptedLate;
  }
  EXPECT_EQ(backup_ok, 1);
  // The slow original finished after the job's round and found the update written: recorded late.
  EXPECT_EQ(original_late, 1);
}

TEST_F(CoordinatorTest, ExhaustedRetriesStopTheJobAndKeepTheCheckpoint) {
  const std::string uri = NewStore();
  JobSpec s = SmallJob();
  s.max_retries = 1;
  s.faults = {{1, 0, 0, "fail"}, {1, 0, 1, "fail"}};
  auto r = RunServerlessTraining(s, Options(uri));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kAborted);
  EXPECT_NE(r.status().message().find("round 1 shard 0: retries exhausted after 2 attempts"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("injected failure"), std::string::npos);
  auto st = store::OpenObjectStore(uri);
  ASSERT_TRUE(st.ok());
  auto cp = (*st)->Get(JobKeys::kCheckpoint);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(nlohmann::json::parse(*cp)["next_round"], 1);
  EXPECT_TRUE((*st)->Head(JobKeys::Model(1)).ok());
  EXPECT_EQ((*st)->Head(JobKeys::Model(2)).status().code(), Code::kNotFound);
}

// Runs `job` to the end, rewinds the store to "died after writing model v3 but before its
// checkpoint", resumes, and checks that no round was applied twice.
void ExpectResumeAppliesNoRoundTwice(const JobSpec& job, const std::string& uri,
                                     const CoordinatorOptions& options);

TEST_F(CoordinatorTest, ResumeAfterDeathBetweenModelAndCheckpointAppliesNoRoundTwice) {
  const std::string uri = NewStore();
  ExpectResumeAppliesNoRoundTwice(SmallJob(), uri, Options(uri));
}

// FedAvgM: the velocity of every version is in the store, every round is scored when asked,
// and a resumed job continues with the stored velocity (v3 and v4 come out bit-identical).
TEST_F(CoordinatorTest, ServerMomentumSurvivesResumeAndEveryRoundCanBeScored) {
  const std::string uri = NewStore();
  JobSpec job = SmallJob();
  job.server.momentum = 0.5;
  job.evaluate_every = 1;
  ExpectResumeAppliesNoRoundTwice(job, uri, Options(uri));
  auto st = store::OpenObjectStore(uri);
  ASSERT_TRUE(st.ok());
  for (int v = 1; v <= 4; ++v) {
    auto bytes = (*st)->Get(JobKeys::Velocity(v));
    ASSERT_TRUE(bytes.ok()) << v << ": " << bytes.status().ToString();
  }
  // A momentum job's models differ from plain FedAvg's from version 2 on (version 1 is the
  // same: the first velocity is the first change).
  const std::string plain_uri = NewStore();
  auto plain = RunServerlessTraining(SmallJob(), Options(plain_uri));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  auto pst = store::OpenObjectStore(plain_uri);
  ASSERT_TRUE(pst.ok());
  EXPECT_NE(*(*pst)->Get(JobKeys::Model(3)), *(*st)->Get(JobKeys::Model(3)));
}

void ExpectResumeAppliesNoRoundTwice(const JobSpec& job, const std::string& uri,
                                     const CoordinatorOptions& options) {
  auto st = store::OpenObjectStore(uri);
  ASSERT_TRUE(st.ok());
  std::string checkpoint_after_round_2;
  CoordinatorOptions o = options;
  o.on_progress = [&](const TrainProgressEvent& e) {
    // The checkpoint of round 1 (next_round 2) is in the store from this event until round 2's
    // checkpoint is started, after model v3 is written.
    if (e.kind == TrainProgressEvent::Kind::kCheckpointed && e.round->round == 1) {
      checkpoint_after_round_2 = *(*st)->Get(JobKeys::kCheckpoint);
    }
  };
  auto first = RunServerlessTraining(job, o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  if (job.evaluate_every == 1) {
    for (const auto& round : first->record.rounds) {
      EXPECT_GT(round.validation_accuracy, 0.3) << "round " << round.round;
    }
  }
  const std::string v3 = *(*st)->Get(JobKeys::Model(3));
  const std::string v4 = *(*st)->Get(JobKeys::Model(4));
  // The coordinator "died" after writing model v3 (round 2's average) but before its checkpoint,
  // and before round 3 began.
  ASSERT_FALSE(checkpoint_after_round_2.empty());
  ASSERT_TRUE((*st)->Put(JobKeys::kCheckpoint, checkpoint_after_round_2).ok());
  ASSERT_TRUE((*st)->Delete(JobKeys::Model(4)).ok());
  for (int s = 0; s < 3; ++s) ASSERT_TRUE((*st)->Delete(JobKeys::Update(3, s)).ok());

  CoordinatorOptions ro = options;
  ro.resume = true;
  // The checkpoint keeps only the last round inline; round 0's record is an object of its own,
  // and a resume without it fails naming it (and changes nothing).
  const std::string round0 = *(*st)->Get(JobKeys::RoundRecord(0));
  ASSERT_TRUE((*st)->Delete(JobKeys::RoundRecord(0)).ok());
  auto missing = RunServerlessTraining(JobSpec{}, ro);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("rounds/r0000.json"), std::string::npos) << missing.status().ToString();
  ASSERT_TRUE((*st)->Put(JobKeys::RoundRecord(0), round0).ok());

  auto resumed = RunServerlessTraining(JobSpec{}, ro);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->resumed_from_round, 2);
  ASSERT_EQ(resumed->record.rounds.size(), 4u);
  // Rounds 0 (from its object) and 1 (inline in the checkpoint) come back as they were recorded.
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(resumed->record.rounds[r].round, r);
    EXPECT_EQ(resumed->record.rounds[r].attempts.size(), first->record.rounds[r].attempts.size());
    EXPECT_DOUBLE_EQ(resumed->record.rounds[r].wall_ms, first->record.rounds[r].wall_ms);
  }
  // Round 2 reused its accepted updates (no new invocations), round 3 ran again.
  EXPECT_EQ(resumed->record.rounds[2].attempts.size(), 0u);
  EXPECT_EQ(Count(resumed->record.rounds[3], "ok"), 3);
  // Same average from the same updates: v3 is bit-identical, and so is the retrained v4.
  EXPECT_EQ(*(*st)->Get(JobKeys::Model(3)), v3);
  EXPECT_EQ(*(*st)->Get(JobKeys::Model(4)), v4);
}

TEST_F(CoordinatorTest, ResumingAStoreWithoutAJobIsNotFound) {
  CoordinatorOptions o = Options(NewStore());
  o.resume = true;
  EXPECT_EQ(RunServerlessTraining(JobSpec{}, o).status().code(), Code::kNotFound);
}

TEST_F(CoordinatorTest, RunsAgainstAnS3CompatibleStore) {
  store::testing::S3rverProcess* s3 = store::testing::SharedS3rver();
  setenv("AWS_ENDPOINT_URL", s3->endpoint().c_str(), 1);
  setenv("AWS_ACCESS_KEY_ID", store::testing::S3rverProcess::kAccessKey, 1);
  setenv("AWS_SECRET_ACCESS_KEY", store::testing::S3rverProcess::kSecretKey, 1);
  setenv("AWS_REGION", "us-east-1", 1);
  JobSpec s = SmallJob();
  s.epochs = 1;
  CoordinatorOptions o = Options("s3://" + s3->bucket() + "/job1");
  o.function_environment.clear();  // take the AWS_* variables from this process
  auto r = RunServerlessTraining(s, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->record.rounds.size(), 2u);
  auto st = store::OpenObjectStore("s3://" + s3->bucket() + "/job1");
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE((*st)->Head(JobKeys::Model(2)).ok());
}

// A gs:// store (the in-process Cloud Storage XML API server) reached by real function processes
// (sandboxed when root: the platform opens their egress to STRAIGHTLINE_STORE_GCS_ENDPOINT), and
// the ledger's records of the train functions: the bytes and requests they reported, priced as
// AWS Lambda functions against Google Cloud's store — bytes read × $0.12/GiB + bytes written ×
// $0.09/GiB, computed here (issue 20).
TEST_F(CoordinatorTest, AGcsStoreFromLambdaPricedFunctionsPutsPricedTransferInTheLedger) {
  auto server = store::testing::GcsTestServer::Start("sl-ledger");
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  setenv("GS_ACCESS_KEY_ID", store::testing::GcsTestServer::kAccessId, 1);
  setenv("GS_SECRET_ACCESS_KEY", store::testing::GcsTestServer::kSecret, 1);
  setenv("GOOGLE_CLOUD_STORAGE_ENDPOINT", (*server)->endpoint().c_str(), 1);
  JobSpec s = SmallJob();
  s.epochs = 1;
  ASSERT_EQ(s.provider, "aws-lambda");
  CoordinatorOptions o = Options("gs://sl-ledger/job1");
  o.function_environment.clear();  // the store environment from this process (STRAIGHTLINE_STORE_GS_*)
  auto r = RunServerlessTraining(s, o);
  unsetenv("GS_ACCESS_KEY_ID");
  unsetenv("GS_SECRET_ACCESS_KEY");
  unsetenv("GOOGLE_CLOUD_STORAGE_ENDPOINT");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto ledger = faas::ReadLedger(platform_->LedgerPath());
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  int64_t priced = 0, read = 0, written = 0;
  double usd = 0;
  for (const auto& rec : *ledger) {
    if (rec.function.find(r->spec.job_id) == std::string::npos || rec.outcome != faas::Outcome::kSuccess) continue;
    ASSERT_EQ(rec.store, "gs://sl-ledger/job1") << rec.request_id;
    EXPECT_GT(rec.store_bytes_read + rec.store_bytes_written, 0) << rec.request_id;
    EXPECT_GT(rec.store_read_requests + rec.store_write_requests, 0) << rec.request_id;
    const double expected = static_cast<double>(rec.store_bytes_read) / kGiB * 0.12 +
                            static_cast<double>(rec.store_bytes_written) / kGiB * 0.09;
    EXPECT_NEAR(rec.transfer_usd, expected, 1e-15) << rec.request_id;
    EXPECT_GT(rec.transfer_usd, 0) << rec.request_id;
    EXPECT_GT(rec.store_request_usd, 0) << rec.request_id;
    ++priced;
    read += rec.store_bytes_read;
    written += rec.store_bytes_written;
    usd += rec.transfer_usd;
  }
  EXPECT_GE(priced, 3 + 2 * 3) << "every preprocess and train invocation of the job";
  std::printf("ledger: %lld invocations on gs:// read %lld and wrote %lld bytes: transfer $%.9f\n",
              static_cast<long long>(priced), static_cast<long long>(read), static_cast<long long>(written), usd);
}

}  // namespace
}  // namespace sl::train

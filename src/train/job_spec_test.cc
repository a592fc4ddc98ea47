#include "train/job_spec.h"

#include <gtest/gtest.h>

#include "ml/model.h"
#include "ml/test_util.h"
#include "ml/trainer.h"

namespace sl::train {
namespace {

TEST(JobSpec, JsonRoundTripKeepsEveryField) {
  JobSpec s;
  s.job_id = "job-1";
  s.data.name = "fashion-mnist";
  s.data.train_limit = 500;
  s.data.seed = 7;
  s.data.image_channels = 1;  // imagefolder's decode size travels with the job
  s.data.image_height = 48;
  s.data.image_width = 40;
  s.model_name = "mlp";
  s.hparams = {{"hidden", 32}};
  s.local.lr = 0.01;
  s.local.batch_size = 32;
  s.workers = 3;
  s.epochs = 2;
  s.rounds_per_epoch = 5;
  s.provider = "gcp-functions";
  s.memory_mb = 1024;
  s.timeout_s = 30;
  s.max_retries = 1;
  s.speculative_after = 0;
  s.lr_schedule = "tail";
  s.out_dir = "models/x";
  s.faults.push_back({-1, 1, 0, "crash"});
  auto back = JobSpec::FromJson(s.ToJson(), "job.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), s.ToJson());
  EXPECT_EQ(back->total_rounds(), 10);
  EXPECT_EQ(back->data.image_height, 48);
  EXPECT_EQ(back->data.image_width, 40);
  EXPECT_EQ(back->data.image_channels, 1);
  EXPECT_FALSE(back->model_resolved);
}

TEST(JobSpec, ValidateNamesTheField) {
  JobSpec s;
  s.workers = 0;
  EXPECT_NE(s.Validate().message().find("workers"), std::string::npos);
  s = JobSpec();
  s.speculative_after = 0.5;
  EXPECT_NE(s.Validate().message().find("speculative-after"), std::string::npos);
  auto bad = JobSpec::FromJson({{"format", "other"}}, "x/job.json");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

TEST(JobSpec, LocalLrFollowsTheSchedule) {
  JobSpec s;
  s.local.lr = 0.004;
  s.epochs = 2;
  s.rounds_per_epoch = 4;  // 8 rounds
  for (int64_t r = 0; r < 8; ++r) EXPECT_EQ(s.LocalLr(r), 0.004) << r;  // constant
  s.lr_schedule = "tail";  // the last quarter (2 rounds) decays: 0.75, 0.25 of lr
  for (int64_t r = 0; r < 6; ++r) EXPECT_EQ(s.LocalLr(r), 0.004) << r;
  EXPECT_DOUBLE_EQ(s.LocalLr(6), 0.004 * 0.75);
  EXPECT_DOUBLE_EQ(s.LocalLr(7), 0.004 * 0.25);
  s.lr_schedule = "cosine";
  EXPECT_LT(s.LocalLr(0), 0.004);
  EXPECT_GT(s.LocalLr(0), 0.0039);
  for (int64_t r = 1; r < 8; ++r) EXPECT_LT(s.LocalLr(r), s.LocalLr(r - 1)) << r;
  EXPECT_GT(s.LocalLr(7), 0.0);  // the last round still moves
  s.epochs = 1;
  s.rounds_per_epoch = 1;  // one round: the schedule has nothing to decay
  s.lr_schedule = "tail";
  EXPECT_EQ(s.LocalLr(0), 0.004);
}

TEST(JobSpec, AJobWithoutAScheduleIsConstantAndABadOneIsNamed) {
  JobSpec s;
  s.lr_schedule = "tail";
  nlohmann::json j = s.ToJson();
  j.erase("lr_schedule");  // job.json written before 2026-12-07
  auto old = JobSpec::FromJson(j, "job.json");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->lr_schedule, "constant");
  j["lr_schedule"] = "step";
  auto bad = JobSpec::FromJson(j, "job.json");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("lr-schedule"), std::string::npos) << bad.status().ToString();
}

TEST(FaultInjection, ParsesAndRejects) {
  auto f = FaultInjection::Parse("hang:2:1:5");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, "hang");
  EXPECT_EQ(f->shard, 2);
  EXPECT_EQ(f->attempt, 1);
  EXPECT_EQ(f->round, 5);
  auto g = FaultInjection::Parse("crash:0");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->round, -1);
  EXPECT_EQ(g->attempt, 0);
  EXPECT_EQ(FaultInjection::Parse("explode:1").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(FaultInjection::Parse("crash:x").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(FaultInjection::Parse("crash").status().code(), Code::kInvalidArgument);
}

TEST(JobSpec, ThePlanOfSamplesPartitionsTheSplitAndGivesEveryUpdatesWeight) {
  JobSpec j;
  j.workers = 3;
  j.rounds_per_epoch = 4;
  j.local.batch_size = 4;
  const int64_t n = 1001;
  int64_t covered = 0;
  for (int64_t s = 0; s < j.workers; ++s) {
    const JobSpec::Range shard = j.ShardRange(n, s);
    EXPECT_EQ(shard.begin, covered);
    covered = shard.end;
    int64_t in_chunks = 0;
    for (int64_t r = 4; r < 8; ++r) {  // the second epoch: the same chunks
      const JobSpec::Range c = j.ChunkRange(shard.size(), r);
      EXPECT_EQ(c.begin, in_chunks);
      in_chunks = c.end;
      EXPECT_EQ(j.UpdateSamples(n, r, s), c.size());  // one epoch of the chunk
    }
    EXPECT_EQ(in_chunks, shard.size());
  }
  EXPECT_EQ(covered, n);
  j.local.max_steps = 3;  // 3 batches of 4
  EXPECT_EQ(j.UpdateSamples(n, 0, 0), 12);
}

// UpdateSamples predicts what ml::Train reports, for any batch size and max_steps.
TEST(JobSpec, UpdateSamplesIsWhatTrainingReports) {
  JobSpec j;
  j.workers = 1;
  j.rounds_per_epoch = 1;
  auto data = ml::testing::MakeBlobs(37, 2, {4}, 3);
  auto spec = ml::MakeModelSpec("logreg", nullptr, ml::InputSpec::Of(data), 2).value();
  for (int64_t batch : {1, 5, 16, 37, 64}) {
    for (int64_t max_steps : {0, 1, 3, 8, 9, 17}) {
      ml::Model m = ml::Model::Create(spec, 1).value();
      j.local.batch_size = batch;
      j.local.max_steps = max_steps;
      ml::TrainConfig cfg = j.local;
      cfg.epochs = 1;
      auto stats = ml::Train(m, data, cfg);
      ASSERT_TRUE(stats.ok()) << stats.status().ToString();
      EXPECT_EQ(j.UpdateSamples(data.size(), 0, 0), stats->samples) << "batch " << batch << " max_steps " << max_steps;
    }
  }
}

TEST(JobKeys, Layout) {
  EXPECT_EQ(JobKeys::Shard(3), "shards/shard-0003.bin");
  EXPECT_EQ(JobKeys::Model(12), "models/v0012.weights");
  EXPECT_EQ(JobKeys::Update(4, 3), "updates/r0004/shard-0003.update");
}

}  // namespace
}  // namespace sl::train

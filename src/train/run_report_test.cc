#include "train/run_report.h"

#include <gtest/gtest.h>

namespace sl::train {
namespace {

ShardAttempt A(int64_t shard, std::string outcome, double init_ms, double duration_ms, double compute_ms,
               double cost) {
  ShardAttempt a;
  a.shard = shard;
  a.outcome = ParseAttemptOutcome(outcome).value();
  a.cold_start = init_ms > 0;
  a.init_ms = init_ms;
  a.duration_ms = duration_ms;
  a.billed_ms = duration_ms;
  a.memory_mb = 2048;
  a.compute_ms = compute_ms;
  a.cost_usd = cost;
  return a;
}

TEST(RunReport, SumsStagesAsTheFrameworkPaperDoes) {
  RunRecord rec;
  rec.job_id = "j";
  rec.workers = 2;
  rec.memory_mb = 2048;
  rec.provider = "aws-lambda";
  rec.preprocessing = {A(0, "ok", 10, 1000, 0, 1e-5), A(1, "ok", 20, 1500, 0, 2e-5)};
  rec.preprocessing_wall_ms = 1600;
  RoundRecord r0;
  r0.round = 0;
  r0.wall_ms = 2000;
  r0.write_model_ms = 40;
  r0.checkpoint_ms = 60;
  r0.aggregate_ms = 70;
  r0.attempts = {A(0, "ok", 0, 800, 700, 1e-5), A(1, "crash", 0, 300, 0, 1e-6), A(1, "ok", 5, 900, 800, 1e-5)};
  RoundRecord r1;
  r1.round = 1;
  r1.wall_ms = 1000;
  r1.validation_accuracy = 0.8;
  r1.write_model_ms = 20;
  r1.checkpoint_ms = 30;
  r1.attempts = {A(0, "ok", 0, 500, 450, 1e-5), A(1, "ok", 0, 600, 550, 1e-5)};
  rec.rounds = {r0, r1};
  rec.test_accuracy = 0.79;

  RunSummary s = Summarize(rec, 2);
  EXPECT_EQ(s.preprocessing.invocations, 2);
  EXPECT_EQ(s.preprocessing.cold_starts, 2);
  EXPECT_DOUBLE_EQ(s.preprocessing.t_total_s, 2.5);
  EXPECT_DOUBLE_EQ(s.preprocessing.t_parallel_s, 1.52);  // max(init + duration)
  ASSERT_EQ(s.rounds.size(), 2u);
  EXPECT_EQ(s.rounds[0].failed, 1);
  EXPECT_DOUBLE_EQ(s.rounds[0].t_total_s, 2.0);
  EXPECT_DOUBLE_EQ(s.rounds[0].t_parallel_s, 0.905);
  EXPECT_DOUBLE_EQ(s.training.t_parallel_s, 0.905 + 0.6);  // stages run one after another
  EXPECT_DOUBLE_EQ(s.total.t_parallel_s, 1.52 + 0.905 + 0.6);
  EXPECT_DOUBLE_EQ(s.total.t_total_s, 2.5 + 2.0 + 1.1);
  EXPECT_EQ(s.total.invocations, 7);
  // GB-s = Σ billed s × 2 GB.
  EXPECT_DOUBLE_EQ(s.total.gb_s, (2.5 + 2.0 + 1.1) * 2);
  EXPECT_NEAR(s.total.cost_usd, 3e-5 + 2.1e-5 + 2e-5, 1e-12);
  // A round's wall time includes its checkpoint: 2.06 s and 1.03 s.
  EXPECT_DOUBLE_EQ(s.rounds[0].wall_s, 2.06);
  // Compute 2.5 s on 2 cores in 3.09 s of round wall time: 1 - 1.25/3.09.
  EXPECT_NEAR(s.overhead_share, 1 - 1.25 / 3.09, 1e-12);
  EXPECT_DOUBLE_EQ(s.training.validation_accuracy, 0.8);
  EXPECT_DOUBLE_EQ(s.training.write_model_s, 0.06);
  EXPECT_DOUBLE_EQ(s.training.checkpoint_s, 0.09);
  // A checkpoint written in the background: the round waits only for checkpoint_wait_ms.
  rec.rounds[1].checkpoint_wait_ms = 2;
  RunSummary bg = Summarize(rec, 2);
  EXPECT_DOUBLE_EQ(bg.rounds[1].wall_s, 1.002);
  EXPECT_DOUBLE_EQ(bg.training.checkpoint_s, 0.09);  // still reported whole
  EXPECT_NEAR(bg.overhead_share, 1 - 1.25 / 3.062, 1e-12);
  EXPECT_DOUBLE_EQ(s.rounds[0].aggregate_s, 0.07);
  EXPECT_DOUBLE_EQ(s.total.provider_cold_start_s, 0);  // no profile: nothing emulated

  // With the provider's profile: 3 cold starts (2 preprocessing, 1 retry) × Lambda's 265 ms.
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  RunSummary e = Summarize(rec, 2, &*profile);
  EXPECT_EQ(e.total.cold_starts, 3);
  EXPECT_NEAR(e.preprocessing.provider_cold_start_s, 0.53, 1e-12);
  EXPECT_NEAR(e.rounds[0].provider_cold_start_s, 0.265, 1e-12);
  EXPECT_NEAR(e.total.provider_cold_start_s, 0.795, 1e-12);
  EXPECT_DOUBLE_EQ(e.total.t_parallel_s, s.total.t_parallel_s);  // measured figures unchanged
  EXPECT_NE(RunReportText(rec, e).find("emulated provider cold-start overhead (3 cold starts"), std::string::npos);
  EXPECT_DOUBLE_EQ(RunReportJson(rec, e)["total"]["provider_cold_start_s"].get<double>(), 0.795);

  std::string text = RunReportText(rec, s);
  EXPECT_NE(text.find("round-1"), std::string::npos);
  EXPECT_NE(text.find("T_parallel = 3.02 s"), std::string::npos) << text;
  nlohmann::json j = RunReportJson(rec, s);
  EXPECT_EQ(j["total"]["invocations"], 7);
  EXPECT_EQ(j["rounds"].size(), 2u);
  EXPECT_NE(text.find("functions on the local host"), std::string::npos) << text;

  // A run on a remote host says where its durations come from, and the record keeps the host.
  rec.host = "lambda";
  EXPECT_NE(RunReportText(rec, s).find("from the Lambda platform's own REPORT lines"), std::string::npos);
  EXPECT_EQ(RunReportJson(rec, s)["host"], "lambda");
  auto back = RunRecord::FromJson(rec.ToJson(), "test");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->host, "lambda");
  nlohmann::json old = rec.ToJson();
  old.erase("host");  // a record written before hosts existed
  EXPECT_EQ(RunRecord::FromJson(old, "test")->host, "local");
  rec.host = "http";
  EXPECT_NE(RunReportText(rec, s).find("caller's round trips"), std::string::npos);
}

// Transient store errors retried inside the functions and by the coordinator are summed, kept
// through the record's JSON (older records without them read as 0) and shown in the report.
TEST(RunReport, CountsStoreRetriesOfFunctionsAndCoordinator) {
  RunRecord rec;
  rec.job_id = "j";
  rec.workers = 2;
  rec.preprocessing = {A(0, "ok", 10, 100, 0, 1e-6), A(1, "ok", 10, 100, 0, 1e-6)};
  rec.preprocessing[1].store_retries = 2;
  RoundRecord r0;
  r0.attempts = {A(0, "ok", 0, 100, 90, 1e-6), A(1, "ok", 0, 100, 90, 1e-6)};
  r0.attempts[0].store_retries = 3;
  rec.rounds = {r0};
  rec.coordinator_store_retries = 4;
  auto back = RunRecord::FromJson(rec.ToJson(), "test");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->coordinator_store_retries, 4);
  EXPECT_EQ(back->rounds[0].attempts[0].store_retries, 3);
  RunSummary s = Summarize(*back, 2);
  EXPECT_EQ(s.total.store_retries, 5);
  EXPECT_NE(RunReportText(*back, s).find("object store: 5 transient errors retried with backoff inside the functions, 4 by "
                                         "the coordinator"),
            std::string::npos)
      << RunReportText(*back, s);
  EXPECT_EQ(RunReportJson(*back, s)["store_retries"]["functions"], 5);
  nlohmann::json old = rec.ToJson();
  old.erase("coordinator_store_retries");
  old["rounds"][0]["attempts"][0].erase("store_retries");
  auto older = RunRecord::FromJson(old, "old");
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  EXPECT_EQ(older->coordinator_store_retries, 0);
  EXPECT_EQ(older->rounds[0].attempts[0].store_retries, 0);
  EXPECT_EQ(Summarize(*older, 2).total.store_retries, 2);
}

}  // namespace
}  // namespace sl::train

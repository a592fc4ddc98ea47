#include "train/report/stage_plan.h"

#include <gtest/gtest.h>

#include <random>

#include "faas/economics/pricing.h"

namespace sl::train {
namespace {

// A made-up provider: sizes `sizes`, 1 vCPU per `mb_per_vcpu` MB, GB-s and request prices,
// billing per 1 ms, no cold-start overhead, a long keep-alive.
faas::ProviderProfile Provider(const std::string& name, std::vector<int64_t> sizes, double mb_per_vcpu,
                               double per_gb_s, double per_request = 0) {
  faas::ProviderProfile p;
  p.name = name;
  p.display_name = name;
  p.price_per_gb_s = per_gb_s;
  p.price_per_request = per_request;
  p.granularity_ms = 1;
  p.allowed_memory_mb = sizes;
  p.min_memory_mb = sizes.front();
  p.max_memory_mb = sizes.back();
  p.default_memory_mb = sizes.front();
  p.cpu_rule = faas::CpuRule::kProportional;
  p.mb_per_vcpu = mb_per_vcpu;
  p.max_vcpu = 8;
  p.max_timeout_s = 900;
  p.default_concurrency = 1000;
  p.keep_alive_s = 600;
  return p;
}

TrainingStageWork Work(const std::string& stage, int steps, int invocations, double ms, int64_t peak_mb = 100) {
  TrainingStageWork w;
  w.stage = stage;
  w.measured_provider = "measured";
  w.measured_cpu = 1;
  w.peak_mb = peak_mb;
  for (int s = 0; s < steps; ++s) {
    std::vector<MeasuredInvocation> step(invocations);
    for (auto& i : step) {
      i.scaled_ms = ms;
      i.peak_mb = peak_mb;
    }
    w.steps.push_back(step);
  }
  return w;
}

PlanOptions Threads(int t, double deadline = 0, double slo = 0) {
  PlanOptions o;
  o.threads = t;
  o.deadline_s = deadline;
  o.slo_p99_ms = slo;
  return o;
}

// slow: 1,024 MB = 1 vCPU at $1e-5/GB-s; fast: 2,048 MB = 2 vCPU at $2e-5/GB-s.
std::vector<faas::ProviderProfile> SlowAndFast() {
  return {Provider("slow", {1024}, 1024, 1e-5), Provider("fast", {2048}, 1024, 2e-5)};
}

TEST(StagePlan, PredictsTimeAndCostFromTheCpuEachSizeBuys) {
  const TrainingStageWork w = Work("train", 1, 1, 10000);
  auto slow = PredictTrainingStageAt(w, SlowAndFast()[0], 1024, Threads(2));
  auto fast = PredictTrainingStageAt(w, SlowAndFast()[1], 2048, Threads(2));
  ASSERT_TRUE(slow.ok() && fast.ok());
  EXPECT_DOUBLE_EQ(slow->time_s, 10);
  EXPECT_NEAR(slow->cost_usd, 10 * 1.0 * 1e-5, 1e-15);
  EXPECT_DOUBLE_EQ(fast->time_s, 5);                      // 2 vCPU, 2 threads
  EXPECT_NEAR(fast->cost_usd, 5 * 2.0 * 2e-5, 1e-15);
  auto one_thread = PredictTrainingStageAt(w, SlowAndFast()[1], 2048, Threads(1));
  EXPECT_DOUBLE_EQ(one_thread->time_s, 10);               // a 2nd vCPU does not help one thread
}

TEST(StagePlan, TheDeadlineBuysTheFasterProviderAndNoneMetIsMarked) {
  const TrainingStageWork w = Work("train", 1, 1, 10000);
  auto cheapest = PlanStagesWith(nullptr, &w, nullptr, Threads(2), SlowAndFast());
  ASSERT_TRUE(cheapest.ok()) << cheapest.status().ToString();
  EXPECT_EQ(cheapest->mixed.stages.at("train").provider, "slow");
  EXPECT_TRUE(cheapest->mixed.meets_deadline);

  auto within8 = PlanStagesWith(nullptr, &w, nullptr, Threads(2, 8), SlowAndFast());
  ASSERT_TRUE(within8.ok());
  EXPECT_EQ(within8->mixed.stages.at("train").provider, "fast");
  EXPECT_TRUE(within8->mixed.meets_deadline);
  EXPECT_DOUBLE_EQ(within8->mixed.training_time_s, 5);

  auto within3 = PlanStagesWith(nullptr, &w, nullptr, Threads(2, 3), SlowAndFast());
  ASSERT_TRUE(within3.ok());
  EXPECT_FALSE(within3->mixed.meets_deadline);
  EXPECT_EQ(within3->mixed.stages.at("train").provider, "fast");  // the fastest
  EXPECT_NE(StagePlanText(*within3).find("MISSES the deadline"), std::string::npos);
}

TEST(StagePlan, TheDeadlineCoversBothTrainingStagesTogether) {
  // preprocess 4 s / 2 s and train 4 s / 2 s on slow / fast: a 7 s deadline needs one stage fast,
  // and the cheaper one to speed up is... both cost the same, so the first found; 6 s: either.
  const TrainingStageWork pre = Work("preprocess", 1, 1, 4000);
  const TrainingStageWork train = Work("train", 2, 1, 2000);
  auto p = PlanStagesWith(&pre, &train, nullptr, Threads(2, 7), SlowAndFast());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->mixed.meets_deadline);
  EXPECT_LE(p->mixed.training_time_s, 7);
  EXPECT_NE(p->mixed.stages.at("preprocess").provider, p->mixed.stages.at("train").provider);
  EXPECT_DOUBLE_EQ(p->mixed.training_time_s, 6);
  // Single providers: slow takes 8 s (misses), fast 4 s at twice slow's cost per stage.
  EXPECT_FALSE(p->single.at("slow").meets_deadline);
  EXPECT_TRUE(p->single.at("fast").meets_deadline);
  EXPECT_LT(p->mixed.cost_usd, p->best_single.cost_usd);
}

TEST(StagePlan, EachStageGoesWhereItsWorkIsCheapest) {
  // Provider "a" charges per request, "b" per GB-s only at 10x a's GB-s price: ten 100 ms
  // preprocessing invocations are cheaper on b, one 100 s training invocation on a.
  std::vector<faas::ProviderProfile> ps = {Provider("a", {1024}, 1024, 1e-5, 1e-3), Provider("b", {1024}, 1024, 1e-4)};
  const TrainingStageWork pre = Work("preprocess", 1, 10, 100);
  const TrainingStageWork train = Work("train", 1, 1, 100000);
  auto p = PlanStagesWith(&pre, &train, nullptr, Threads(1), ps);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->mixed.stages.at("preprocess").provider, "b");
  EXPECT_EQ(p->mixed.stages.at("train").provider, "a");
  EXPECT_NEAR(p->mixed.cost_usd, 10 * 0.1 * 1e-4 + (1e-3 + 100 * 1e-5), 1e-12);
  EXPECT_NEAR(p->best_single.cost_usd, 10 * 0.1 * 1e-4 + 100 * 1e-4, 1e-12);  // b alone
  const std::string text = StagePlanText(*p);
  EXPECT_NE(text.find("--provider preprocess=b,train=a"), std::string::npos) << text;
  const nlohmann::json j = StagePlanJson(*p);
  EXPECT_EQ(j["plan"]["stages"]["preprocess"]["provider"], "b");
  EXPECT_EQ(j["best_single_provider"], "b");
}

TEST(StagePlan, TheMemoryFloorAndTheTimeoutRuleSizesOut) {
  const TrainingStageWork big = Work("train", 1, 1, 1000, /*peak_mb=*/900);  // needs 1,125 MB
  auto p = PlanStagesWith(nullptr, &big, nullptr, Threads(2), SlowAndFast());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->mixed.stages.at("train").provider, "fast");
  const ProviderStageRow& slow = p->stages[0].providers[0];
  EXPECT_FALSE(slow.feasible);
  EXPECT_NE(slow.why_not.find("peak 900 MB"), std::string::npos) << slow.why_not;

  const TrainingStageWork longer = Work("train", 1, 1, 1000 * 1000);  // 1,000 s > half of 900 s
  auto none = PlanStagesWith(nullptr, &longer, nullptr, Threads(2), SlowAndFast());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->mixed.found);
  EXPECT_NE(StagePlanText(*none).find("timeout"), std::string::npos);
}

InferenceWork Inference(double rate, double service_ms) {
  InferenceWork w;
  w.rate_per_s = rate;
  w.service_ms = service_ms;
  w.window_s = 3600;
  return w;
}

TEST(StagePlan, TheSloPicksTheProviderWhoseP99MeetsIt) {
  const InferenceWork w = Inference(10, 100);
  auto cheap = PlanStagesWith(nullptr, nullptr, &w, Threads(2), SlowAndFast());
  ASSERT_TRUE(cheap.ok()) << cheap.status().ToString();
  const StageOption& c = cheap->mixed.stages.at("inference");
  EXPECT_EQ(c.provider, "slow");
  EXPECT_DOUBLE_EQ(c.p99_ms, 100);          // warm: 4 instances for 36,000 requests
  EXPECT_LT(c.cold_share, 0.01);
  EXPECT_EQ(c.peak_instances, 4);           // 1 in flight + 3 sqrt(1)
  EXPECT_NEAR(c.cost_usd, 36000 * 0.1 * 1e-5, 1e-9);

  auto slo = PlanStagesWith(nullptr, nullptr, &w, Threads(2, 0, 80), SlowAndFast());
  ASSERT_TRUE(slo.ok());
  EXPECT_EQ(slo->mixed.stages.at("inference").provider, "fast");
  EXPECT_DOUBLE_EQ(slo->mixed.stages.at("inference").p99_ms, 50);
  EXPECT_TRUE(slo->mixed.meets_slo);

  auto none = PlanStagesWith(nullptr, nullptr, &w, Threads(2, 0, 10), SlowAndFast());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->mixed.meets_slo);
  EXPECT_EQ(none->mixed.stages.at("inference").provider, "fast");
}

TEST(StagePlan, RareRequestsPayColdStartsInTheirP99) {
  std::vector<faas::ProviderProfile> ps = SlowAndFast();
  for (auto& p : ps) {
    p.keep_alive_s = 10;
    p.cold_start_mean_ms = 300;
    p.cold_start_sd_ms = 100;
  }
  InferenceWork w = Inference(0.01, 100);  // one request per 100 s: each finds its instance gone
  w.init_ms = 50;
  auto p = PlanStagesWith(nullptr, nullptr, &w, Threads(2), ps);
  ASSERT_TRUE(p.ok());
  const StageOption& o = p->mixed.stages.at("inference");
  EXPECT_GT(o.cold_share, 0.9);
  // share ~0.905: the cold requests' quantile 1 - 0.01/0.905 = 0.989, z = 2.29.
  EXPECT_NEAR(o.p99_ms, 100 + 50 + 300 + 100 * 2.29, 3);
}

TEST(StagePlan, AStageThatCannotRunAnywhereLeavesNoPlan) {
  InferenceWork w = Inference(10, 100);
  w.peak_mb = 5000;
  auto p = PlanStagesWith(nullptr, nullptr, &w, Threads(1), SlowAndFast());
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->mixed.found);
  EXPECT_FALSE(p->best_single.found);
  auto bad = PlanStagesWith(nullptr, nullptr, nullptr, Threads(1), SlowAndFast());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  InferenceWork zero = Inference(0, 100);
  EXPECT_EQ(PlanStagesWith(nullptr, nullptr, &zero, Threads(1), SlowAndFast()).status().code(), Code::kInvalidArgument);
}

// The property of issue 21 §3: over random providers and stage profiles, the per-stage plan is
// never predicted more expensive than the best single-provider plan that meets the same deadline
// and SLO; when no single provider meets them, it is at least as fast.
TEST(StagePlan, AMixedPlanIsNeverPredictedDearerThanTheBestSingleProvider) {
  std::mt19937_64 rng(2112);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](int n) { return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng)); };
  const std::vector<int64_t> all_sizes = {128, 256, 512, 1024, 2048, 4096};
  int mixed_cheaper = 0, checked = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<faas::ProviderProfile> ps;
    const int n = 2 + pick(4);
    for (int i = 0; i < n; ++i) {
      std::vector<int64_t> sizes;
      for (int64_t m : all_sizes) {
        if (pick(2) == 0) sizes.push_back(m);
      }
      if (sizes.empty()) sizes.push_back(all_sizes[pick(6)]);
      faas::ProviderProfile p = Provider(fmt::format("p{}", i), sizes, uni(900, 2100), uni(1e-6, 3e-5),
                                         pick(2) == 0 ? 0 : uni(1e-7, 1e-5));
      p.price_per_vcpu_s = pick(3) == 0 ? uni(1e-6, 3e-5) : 0;
      p.granularity_ms = pick(2) == 0 ? 1 : 100;
      p.min_billed_ms = pick(3) == 0 ? 100 : 0;
      p.bill_init = pick(2) == 0;
      p.max_vcpu = 1 + pick(4);
      p.cold_start_mean_ms = uni(50, 2000);
      p.cold_start_sd_ms = uni(0, 500);
      p.keep_alive_s = pick(2) == 0 ? 5 : 600;
      p.default_concurrency = pick(3) == 0 ? 4 : 1000;
      p.max_timeout_s = pick(4) == 0 ? 60 : 900;
      ps.push_back(p);
    }
    TrainingStageWork pre = Work("preprocess", 1, 1 + pick(8), uni(50, 5000), static_cast<int64_t>(uni(30, 600)));
    TrainingStageWork train = Work("train", 1 + pick(5), 1 + pick(8), uni(50, 20000), static_cast<int64_t>(uni(30, 1500)));
    pre.steps[0][0].cold_start = true;
    pre.steps[0][0].init_ms = uni(10, 500);
    train.steps[0].back().cold_start = true;
    train.steps[0].back().init_ms = uni(10, 500);
    InferenceWork inf = Inference(uni(0.01, 200), uni(1, 500));
    inf.service_p99_ms = inf.service_ms * uni(1, 3);
    inf.init_ms = uni(10, 1000);
    inf.peak_mb = static_cast<int64_t>(uni(50, 900));
    PlanOptions o = Threads(1 + pick(2), pick(3) == 0 ? 0 : uni(1, 200), pick(3) == 0 ? 0 : uni(5, 3000));
    const bool with_inf = pick(2) == 0;
    auto plan = PlanStagesWith(&pre, &train, with_inf ? &inf : nullptr, o, ps);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    const StageChoice& m = plan->mixed;
    const StageChoice& s = plan->best_single;
    if (!s.found) continue;
    ASSERT_TRUE(m.found) << "trial " << trial;
    ++checked;
    if (s.meets_deadline && s.meets_slo) {
      EXPECT_TRUE(m.meets_deadline && m.meets_slo) << "trial " << trial;
      EXPECT_LE(m.cost_usd, s.cost_usd * (1 + 1e-12)) << "trial " << trial;
      mixed_cheaper += m.cost_usd < s.cost_usd * (1 - 1e-9);
    }
    // Every single-provider plan that meets the constraints is no cheaper than the mixed one; where
    // none meets the deadline (or the SLO), the mixed plan is at least as fast (or its p99 as low).
    bool any_deadline = false, any_slo = false;
    for (const auto& [name, c] : plan->single) {
      if (!c.found) continue;
      any_deadline = any_deadline || c.meets_deadline;
      any_slo = any_slo || c.meets_slo;
      if (c.meets_deadline && c.meets_slo) {
        EXPECT_LE(m.cost_usd, c.cost_usd * (1 + 1e-12)) << "trial " << trial << " " << name;
      }
    }
    EXPECT_TRUE(m.meets_deadline || !any_deadline) << "trial " << trial;
    EXPECT_TRUE(m.meets_slo || !any_slo) << "trial " << trial;
    for (const auto& [name, c] : plan->single) {
      if (!c.found) continue;
      if (!any_deadline) {
        EXPECT_LE(m.training_time_s, c.training_time_s * (1 + 1e-12)) << "trial " << trial;
      }
      if (!any_slo && with_inf) {
        EXPECT_LE(m.stages.at("inference").p99_ms, c.stages.at("inference").p99_ms * (1 + 1e-12)) << "trial " << trial;
      }
    }
  }
  EXPECT_GT(checked, 200);
  EXPECT_GT(mixed_cheaper, 10);  // the property is not vacuous: mixing often wins
}

TEST(StagePlan, ASecondRunAtAnotherCpuCalibratesTheShareThatFollowsIt) {
  // 1,000 ms at 1 vCPU, 2,000 ms at 1/3 vCPU: half of it follows CPU (500 + 500 x 3 = 2,000).
  TrainingStageWork base = Work("preprocess", 1, 2, 1000);
  TrainingStageWork other = Work("preprocess", 1, 2, 2000);
  other.measured_cpu = 1.0 / 3;
  ASSERT_TRUE(CalibrateCpuShare(&base, other).ok());
  EXPECT_NEAR(base.cpu_share, 0.5, 1e-12);
  EXPECT_NEAR(base.steps[0][0].scaled_ms, 500, 1e-9);
  EXPECT_NEAR(base.steps[0][0].fixed_ms, 500, 1e-9);
  EXPECT_NE(base.calibration.find("50 % of its time follows CPU"), std::string::npos) << base.calibration;
  // Predicted back at the other run's CPU: its own time.
  faas::ProviderProfile third = Provider("third", {1024}, 3072, 1e-5);
  auto back = PredictTrainingStageAt(base, third, 1024, Threads(1));
  ASSERT_TRUE(back.ok());
  EXPECT_NEAR(back->time_s, 2.0, 1e-9);
  // Slower than 3x: all of it (clamped); the same CPU twice, or another stage: refused.
  TrainingStageWork again = Work("preprocess", 1, 2, 1000);
  TrainingStageWork slower = Work("preprocess", 1, 2, 5000);
  slower.measured_cpu = 1.0 / 3;
  ASSERT_TRUE(CalibrateCpuShare(&again, slower).ok());
  EXPECT_DOUBLE_EQ(again.cpu_share, 1);
  EXPECT_NE(again.calibration.find("UNRELIABLE: the runs imply 200 %"), std::string::npos) << again.calibration;
  EXPECT_EQ(base.calibration.find("UNRELIABLE"), std::string::npos);
  EXPECT_EQ(CalibrateCpuShare(&again, Work("preprocess", 1, 2, 900)).code(), Code::kInvalidArgument);
  EXPECT_EQ(CalibrateCpuShare(&again, Work("train", 1, 2, 900)).code(), Code::kInvalidArgument);
}

TEST(StagePlan, StageProfilesFromARunRecord) {
  RunRecord r;
  r.job_id = "j";
  r.provider = "aws-lambda";
  r.memory_mb = 1769;
  r.preprocess_provider = "gcp-functions";
  r.preprocess_memory_mb = 512;
  r.store = "file:///tmp/x";
  ShardAttempt a;
  a.outcome = AttemptOutcome::kOk;
  a.duration_ms = 900;
  a.cold_start = true;
  a.init_ms = 30;
  a.max_memory_mb = 200;
  r.preprocessing = {a, a};
  r.preprocessing[1].outcome = AttemptOutcome::kTimeout;  // not planned for
  RoundRecord rr;
  rr.attempts = {a};
  r.rounds = {rr, rr};
  auto pre = PreprocessWorkOf(r);
  ASSERT_TRUE(pre.ok()) << pre.status().ToString();
  EXPECT_EQ(pre->measured_provider, "gcp-functions");
  EXPECT_EQ(pre->measured_memory_mb, 512);
  EXPECT_NEAR(pre->measured_cpu, 0.333, 1e-9);  // gcp-functions' table
  ASSERT_EQ(pre->steps.size(), 1u);
  EXPECT_EQ(pre->steps[0].size(), 1u);
  EXPECT_DOUBLE_EQ(pre->steps[0][0].scaled_ms, 900);  // file store: all of it follows CPU
  EXPECT_EQ(pre->peak_mb, 200);
  auto train = TrainWorkOf(r);
  ASSERT_TRUE(train.ok());
  EXPECT_EQ(train->steps.size(), 2u);
  EXPECT_NEAR(train->measured_cpu, 1.0, 1e-9);
  // Predicted at the size it ran at under its own profile: its own durations back.
  auto same = PredictTrainingStageAt(*pre, *faas::LoadProviderProfile("gcp-functions"), 512, PlanOptions{});
  ASSERT_TRUE(same.ok());
  EXPECT_NEAR(same->time_s, 0.93 + 0.493, 1e-9);  // init + duration + the profile's cold start

  r.store = "s3://b/p";
  r.rounds[0].attempts[0].download_model_ms = 100;
  r.rounds[0].attempts[0].upload_ms = 50;
  auto remote = TrainWorkOf(r);
  ASSERT_TRUE(remote.ok());
  EXPECT_DOUBLE_EQ(remote->steps[0][0].fixed_ms, 150);
  EXPECT_DOUBLE_EQ(remote->steps[0][0].scaled_ms, 750);

  RunRecord empty = r;
  empty.rounds.clear();
  EXPECT_EQ(TrainWorkOf(empty).status().code(), Code::kInvalidArgument);
  empty.provider = "nope";
  EXPECT_EQ(TrainWorkOf(empty).status().code(), Code::kNotFound);
}

TEST(StagePlan, InferenceProfileFromALedger) {
  std::vector<faas::InvocationRecord> recs;
  const WallTime t0 = WallTime(std::chrono::seconds(1'800'000'000));
  for (int i = 0; i < 101; ++i) {
    faas::InvocationRecord r;
    r.function = "predict-m";
    r.provider = "aws-lambda";
    r.memory_mb = 1769;
    r.duration_ms = i == 100 ? 50 : 10;
    r.cold_start = i == 0;
    r.init_ms = i == 0 ? 400 : 0;
    r.max_memory_used_mb = 150;
    r.start_time = t0 + std::chrono::milliseconds(100 * i);
    recs.push_back(r);
  }
  faas::InvocationRecord train = recs[0];
  train.function = "sl-train-abc";
  recs.push_back(train);
  auto w = InferenceWorkFromLedger(recs, "");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_NEAR(w->service_ms, (100 * 10 + 50) / 101.0, 1e-9);
  EXPECT_DOUBLE_EQ(w->service_p99_ms, 10);  // the 100th of 101
  EXPECT_DOUBLE_EQ(w->init_ms, 400);
  EXPECT_NEAR(w->rate_per_s, 10, 1e-9);
  EXPECT_EQ(w->peak_mb, 150);
  recs.back().function = "predict-other";
  auto two = InferenceWorkFromLedger(recs, "");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("predict-m, predict-other"), std::string::npos) << two.status().message();
  EXPECT_TRUE(InferenceWorkFromLedger(recs, "predict-m").ok());
}

}  // namespace
}  // namespace sl::train

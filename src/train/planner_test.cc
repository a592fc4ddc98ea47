#include "train/planner.h"

#include <cmath>

#include <unistd.h>

#include <gtest/gtest.h>

namespace sl::train {
namespace {

JobSpec Spec(const std::string& provider) {
  JobSpec s;
  s.provider = provider;
  s.workers = 8;
  s.epochs = 2;
  s.rounds_per_epoch = 1;
  s.timeout_s = 60;
  s.local.threads = 1;
  return s;
}

TEST(Planner, LambdaCheapestSizeForOneThreadIsAtMostOneVcpu) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  PlanInput in;
  in.spec = Spec("aws-lambda");
  in.seconds_per_sample = 200e-6;
  in.train_samples = 48000;  // 6,000 samples per invocation per round
  auto plan = PlanMemoryWithProfile(in, *profile);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  // One training thread gains nothing above 1 vCPU (1,769 MB), while the price keeps rising.
  EXPECT_LE(plan->memory_mb, 1769);
  EXPECT_EQ(plan->samples_per_invocation, 6000);
  EXPECT_EQ(plan->rounds_per_epoch, 1);
  EXPECT_FALSE(plan->reasoning.empty());
  // The predicted duration follows the CPU rule: 0.3 s + 6000 × 200 µs / min(vCPU, 1 thread).
  // Lambda's sizes here step by 64 MB from 128: 1,024 MB = 0.579 vCPU, 2,048 MB = 1.158 vCPU.
  int seen = 0;
  for (const auto& c : plan->candidates) {
    if (c.memory_mb == 1024) {
      EXPECT_NEAR(c.duration_s, 0.3 + 1.2 / (1024.0 / 1769.0), 1e-9);
      ++seen;
    }
    if (c.memory_mb == 2048) {
      EXPECT_NEAR(c.duration_s, 1.5, 1e-9);  // capped by the one thread
      EXPECT_NEAR(c.job_seconds, 3.0, 1e-9);  // 2 epochs × 1 round × 1 wave
      ++seen;
    }
  }
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(plan->invocations_per_round, 8);
  EXPECT_EQ(plan->steps_per_invocation, 94);  // ceil(6000 / 64)
  EXPECT_EQ(plan->waves_per_round, 1);        // 8 ≤ Lambda's 1,000 concurrent executions
}

TEST(Planner, ADeadlineBuysAFasterSize) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  PlanInput in;
  in.spec = Spec("aws-lambda");
  in.seconds_per_sample = 200e-6;
  in.train_samples = 48000;
  auto cheap = PlanMemoryWithProfile(in, *profile);
  ASSERT_TRUE(cheap.ok());
  // Without a deadline the per-invocation overhead makes the smallest size cheapest (CPU and
  // price both scale with memory below 1 vCPU): 2 rounds of ~17 s. A 3.2 s deadline must buy CPU.
  in.deadline_s = 3.2;
  auto fast = PlanMemoryWithProfile(in, *profile);
  ASSERT_TRUE(fast.ok());
  EXPECT_GT(fast->memory_mb, cheap->memory_mb);
  double chosen_cost = 0;
  for (const auto& c : fast->candidates) {
    if (c.memory_mb == fast->memory_mb) {
      EXPECT_LE(c.job_seconds, 3.2);
      chosen_cost = c.cost_usd;
    }
  }
  // Every cheaper size misses the deadline.
  for (const auto& c : fast->candidates) {
    if (c.cost_usd < chosen_cost) {
      EXPECT_GT(c.job_seconds, 3.2) << c.memory_mb;
    }
  }
}

TEST(Planner, RaisesRoundsPerEpochToStayInsideTheTimeout) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  PlanInput in;
  in.spec = Spec("aws-lambda");
  in.spec.timeout_s = 10;
  in.seconds_per_sample = 1e-3;  // 6,000 samples would take 6 s at 1 vCPU: over half the timeout
  in.train_samples = 48000;
  auto plan = PlanMemoryWithProfile(in, *profile);
  ASSERT_TRUE(plan.ok());
  EXPECT_GT(plan->rounds_per_epoch, 1);
  for (const auto& c : plan->candidates) {
    if (c.memory_mb == plan->memory_mb) {
      EXPECT_LE(c.duration_s, 5.0);
    }
  }
  bool said = false;
  for (const auto& line : plan->reasoning) said |= line.find("rounds per epoch raised") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(Planner, GcfTableSizesAndADeadline) {
  auto profile = faas::LoadProviderProfile("gcp-functions");
  ASSERT_TRUE(profile.ok());
  PlanInput in;
  in.spec = Spec("gcp-functions");
  in.seconds_per_sample = 200e-6;
  in.train_samples = 48000;
  // Predicted 0.3 + 1.2 / min(vCPU, 1): 1,024 MB (0.583 vCPU) 2.358 s, 2,048 MB (1 vCPU) 1.5 s,
  // 4,096 and 8,192 MB (2 vCPU, one thread) also 1.5 s but dearer. A 3.0 s deadline for 2 rounds
  // leaves exactly 2,048 MB.
  in.deadline_s = 3.0;
  auto plan = PlanMemoryWithProfile(in, *profile);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->memory_mb, 2048);
  ASSERT_EQ(plan->candidates.size(), 7u);  // the table's sizes only
  for (const auto& c : plan->candidates) {
    if (c.memory_mb == 1024) {
      EXPECT_NEAR(c.duration_s, 0.3 + 1.2 / 0.583, 1e-9);
    }
    if (c.memory_mb >= 2048) {
      EXPECT_NEAR(c.duration_s, 1.5, 1e-9);
    }
  }
}

TEST(Planner, ConcurrencyLimitRunsARoundInWaves) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  PlanInput in;
  in.spec = Spec("aws-lambda");
  in.seconds_per_sample = 200e-6;
  in.train_samples = 48000;
  in.concurrency_limit = 3;  // 8 invocations → 3 waves
  auto plan = PlanMemoryWithProfile(in, *profile);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->waves_per_round, 3);
  bool found = false;
  for (const auto& c : plan->candidates) {
    if (c.memory_mb == 2048) {
      EXPECT_NEAR(c.job_seconds, 2 * 3 * 1.5, 1e-9);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  bool said = false;
  for (const auto& line : plan->reasoning) said |= line.find("3 waves per round") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(Planner, MissedDeadlineTakesTheFastestAndSaysSo) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  PlanInput in;
  in.spec = Spec("aws-lambda");
  in.seconds_per_sample = 200e-6;
  in.train_samples = 48000;
  in.deadline_s = 0.1;  // below even the 0.3 s overhead
  auto plan = PlanMemoryWithProfile(in, *profile);
  ASSERT_TRUE(plan.ok());
  double fastest = 1e9;
  for (const auto& c : plan->candidates) fastest = std::min(fastest, c.job_seconds);
  for (const auto& c : plan->candidates) {
    if (c.memory_mb == plan->memory_mb) {
      EXPECT_DOUBLE_EQ(c.job_seconds, fastest);
    }
  }
  bool said = false;
  for (const auto& line : plan->reasoning) said |= line.find("no memory size meets") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(Planner, TimeoutBelowTheOverheadIsRefused) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  PlanInput in;
  in.spec = Spec("aws-lambda");
  in.spec.timeout_s = 0.5;  // 50 % of it (0.25 s) is below the 0.3 s per-invocation overhead
  in.seconds_per_sample = 200e-6;
  in.train_samples = 4800;
  auto plan = PlanMemoryWithProfile(in, *profile);
  EXPECT_EQ(plan.status().code(), Code::kFailedPrecondition) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find("aws-lambda"), std::string::npos);
}

TEST(Planner, RejectsZeroSamples) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  PlanInput in;
  in.spec = Spec("aws-lambda");
  in.seconds_per_sample = 200e-6;
  in.train_samples = 0;
  EXPECT_EQ(PlanMemoryWithProfile(in, *profile).status().code(), Code::kInvalidArgument);
}

// Fashion-MNIST as the functions load it: 60,000 train + 10,000 test images of 784 floats (the
// validation split is cut from train), int64 labels; the cnn's ~0.42 M parameters.
MemoryFootprint FashionMnistCnn(int64_t workers) {
  MemoryFootprint f;
  f.train_samples = 60000;
  f.train_bytes = 60000 * (784 * 4 + 8);
  f.dataset_bytes = 70000 * (784 * 4 + 8);
  f.workers = workers;
  f.rounds_per_epoch = 4;
  f.model_parameters = 421642;
  f.batch_size = 64;
  f.sample_floats = 784;
  return f;
}

TEST(Planner, StageMemoryBoundHoldsTheWholeDatasetForPreprocessing) {
  const StageMemory m = BoundStageMemory(FashionMnistCnn(2));
  // 214 MB of decoded images alone: 128 MB (and the 320 MB chosen with a deadline) cannot hold it.
  EXPECT_GT(m.preprocess_mb, 64 + 214 + 107);
  EXPECT_GT(m.train_mb, 64 + 2 * 92);
  EXPECT_GT(m.preprocess_mb, m.train_mb);
  EXPECT_NE(m.explanation.find("preprocessing"), std::string::npos);
  // More workers: smaller shards, a smaller bound; never below the worker's baseline.
  const StageMemory eight = BoundStageMemory(FashionMnistCnn(8));
  EXPECT_LT(eight.train_mb, m.train_mb);
  EXPECT_GT(eight.train_mb, kWorkerBaselineMb);
}

// The README's `train --memory auto` scaled down with --limit (issue 17, scripts/readme-test.py):
// the functions' preprocessing still decodes the whole dataset, so the floor must not shrink with
// the limit (it was 182 MB with --limit 1500, and every preprocessing function died at 192 MB).
TEST(Planner, TrainLimitDoesNotLowerThePreprocessingBound) {
  if (::access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) != 0) {
    GTEST_SKIP() << "Fashion-MNIST is not installed (scripts/install-deps.sh)";
  }
  PlanInput in;
  in.spec = Spec("aws-lambda");
  in.spec.workers = 4;
  in.spec.epochs = 1;
  in.spec.data.name = "fashion-mnist";
  in.spec.data.train_limit = 1500;
  in.spec.model_name = "logreg";
  auto plan = PlanMemory(in);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  // 70,000 decoded images of 784 floats = 214 MB, whatever the limit.
  EXPECT_GT(plan->stage_memory.preprocess_mb, kWorkerBaselineMb + 214) << plan->stage_memory.explanation;
  EXPECT_GE(static_cast<double>(plan->memory_mb), plan->stage_memory.preprocess_mb * (1 + kMemoryMargin));
}

TEST(Planner, NeverChoosesASizeBelowTheStagesPeakMemory) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  PlanInput in;
  in.spec = Spec("aws-lambda");
  in.seconds_per_sample = 200e-6;
  in.train_samples = 48000;
  auto unbounded = PlanMemoryWithProfile(in, *profile);
  ASSERT_TRUE(unbounded.ok());
  EXPECT_EQ(unbounded->memory_mb, 128);  // what the planner chose for the cnn before the floor
  const StageMemory m = BoundStageMemory(FashionMnistCnn(8));
  in.preprocess_peak_mb = m.preprocess_mb;
  in.train_peak_mb = m.train_mb;
  for (double deadline : {0.0, 60.0}) {
    in.deadline_s = deadline;
    auto plan = PlanMemoryWithProfile(in, *profile);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    EXPECT_GE(static_cast<double>(plan->memory_mb), m.preprocess_mb * (1 + kMemoryMargin)) << deadline;
    EXPECT_EQ(plan->min_memory_mb, static_cast<int64_t>(std::ceil(m.preprocess_mb * (1 + kMemoryMargin))));
    bool said = false;
    for (const auto& line : plan->reasoning) said = said || line.find("memory floor") != std::string::npos;
    EXPECT_TRUE(said);
  }
}

TEST(Planner, AFloorAboveEverySizeIsRefusedNamingIt) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  PlanInput in;
  in.spec = Spec("aws-lambda");
  in.seconds_per_sample = 200e-6;
  in.train_samples = 48000;
  in.preprocess_peak_mb = 20000;  // more than Lambda's 10,240 MB
  auto plan = PlanMemoryWithProfile(in, *profile);
  EXPECT_EQ(plan.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(plan.status().message().find("25000 MB"), std::string::npos) << plan.status().ToString();
}

ShardAttempt Ok(int64_t memory_mb, double duration_ms, double compute_ms, int64_t samples) {
  ShardAttempt a;
  a.outcome = AttemptOutcome::kOk;
  a.memory_mb = memory_mb;
  a.duration_ms = duration_ms;
  a.compute_ms = compute_ms;
  a.samples = samples;
  return a;
}

TEST(Planner, CalibratesFromAMeasuredRound) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  RoundRecord round;
  round.round = 4;
  // 3,538 MB = 2 vCPU on Lambda. Two accepted shards: 1.2 s + 1.0 s of compute for 6,000 + 5,000
  // samples; durations 1.5 s and 1.4 s. A crashed attempt does not count.
  ShardAttempt crashed = Ok(3538, 9000, 9000, 100);
  crashed.outcome = AttemptOutcome::kCrash;
  round.attempts = {Ok(3538, 1500, 1200, 6000), Ok(3538, 1400, 1000, 5000), crashed};
  // One thread: the 2 vCPU do not help, 2.2 s / 11,000 samples = 200 µs per sample at 1 vCPU.
  auto one = CalibrateFromRound(round, *profile, 1);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_NEAR(one->seconds_per_sample, 200e-6, 1e-12);
  EXPECT_NEAR(one->overhead_s, (0.3 + 0.4) / 2, 1e-12);
  // Two threads used both vCPUs: the same work would take twice as long on 1 vCPU.
  auto two = CalibrateFromRound(round, *profile, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_NEAR(two->seconds_per_sample, 400e-6, 1e-12);

  RoundRecord failed;
  failed.round = 7;
  failed.attempts = {crashed};
  auto none = CalibrateFromRound(failed, *profile, 1);
  EXPECT_EQ(none.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("round 7"), std::string::npos);
}

}  // namespace
}  // namespace sl::train

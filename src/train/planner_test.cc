#include "train/planner.h"

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
  // The predicted duration at the chosen size follows the CPU rule: 0.3 s + 6000 × 200 µs / vCPU.
  for (const auto& c : plan->candidates) {
    if (c.memory_mb == 1769) {
      EXPECT_NEAR(c.duration_s, 0.3 + 1.2 / c.vcpu, 1e-9);
    }
  }
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

}  // namespace
}  // namespace sl::train

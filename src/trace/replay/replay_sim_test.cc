#include "trace/replay/replay_sim.h"

#include <gtest/gtest.h>

#include "faas/economics/provider_profile.h"
#include "trace/replay/host_replay.h"

namespace sl::trace {
namespace {

using std::chrono::seconds;

// One function, calls of 10 s (trace time) at 0 s and 690 s, a 20-minute window at --speed 10.
ReplayPlan OneFunctionPlan(bool scale_durations) {
  ReplayPlan p;
  p.options.speed = 10;
  p.options.scale_durations = scale_durations;
  p.trace_horizon = std::chrono::minutes(20);
  p.replay_horizon = seconds(120);
  ReplayFunction f;
  f.name = "trace-000-x";
  f.calls = 2;
  p.functions.push_back(f);
  WorkloadUnit u;
  u.key = "app/f";
  u.app = "app";
  u.calls = {{seconds(0), seconds(10)}, {seconds(690), seconds(10)}};
  p.workload.units.push_back(u);
  p.calls = {{0, seconds(0), 1000.0}, {0, seconds(69), 1000.0}};
  return p;
}

TEST(ReplaySimTest, PlaysThePlansCallsAgainstThePolicyInTraceTime) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  const ReplayPlan plan = OneFunctionPlan(true);
  // fixed:10m: the instance idle from 10 s is gone at 610 s, so the call at 690 s is cold again;
  // idle 600 s, then 1200 - 700 = 500 s to the end of the window.
  auto sim = SimulateReplay(plan, {1024}, "fixed:10m", *profile, {Nanos(0)});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  ASSERT_EQ(sim->functions.size(), 1u);
  EXPECT_EQ(sim->functions[0].cold_starts, 2);
  EXPECT_NEAR(sim->functions[0].idle_seconds, 600 + 500, 1e-6);
  EXPECT_NEAR(sim->functions[0].wasted_gb_s, 1100, 1e-6);  // at the deployed 1024 MB
  // fixed:15m keeps it: one cold start.
  sim = SimulateReplay(plan, {1024}, "fixed:15m", *profile, {Nanos(0)});
  ASSERT_TRUE(sim.ok());
  EXPECT_EQ(sim->functions[0].cold_starts, 1);
  // Uncompressed durations ran 10 s real = 100 s of trace time: the first call ends at 100 s,
  // so under fixed:10m the instance is still there at 690 s.
  sim = SimulateReplay(OneFunctionPlan(false), {1024}, "fixed:10m", *profile, {Nanos(0)});
  ASSERT_TRUE(sim.ok());
  EXPECT_EQ(sim->functions[0].cold_starts, 1);
}

TEST(ReplaySimTest, BadInputsAreErrors) {
  auto profile = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  const ReplayPlan plan = OneFunctionPlan(true);
  EXPECT_EQ(SimulateReplay(plan, {}, "fixed", *profile, {}).status().code(), Code::kInvalidArgument);
  auto bad = SimulateReplay(plan, {128}, "forever", *profile, {Nanos(0)});
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

TEST(ReplaySimTest, MeasuredColdStartsArePerFunctionInTraceTime) {
  ReplayPlan plan = OneFunctionPlan(true);
  plan.functions.push_back(plan.functions[0]);
  plan.calls.push_back({1, seconds(80), 5.0});
  ReplayResult r;
  r.calls.resize(3);
  r.calls[0].cold = true;
  r.calls[0].init_ms = 30;
  r.calls[1].cold = true;
  r.calls[1].init_ms = 50;
  auto cold = MeasuredColdStarts(plan, r);
  ASSERT_EQ(cold.size(), 2u);
  EXPECT_EQ(cold[0], std::chrono::milliseconds(400));  // mean 40 ms x speed 10
  EXPECT_EQ(cold[1], std::chrono::milliseconds(400));  // no cold call: the overall mean
}

}  // namespace
}  // namespace sl::trace

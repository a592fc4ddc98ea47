// The simulator on small traces whose cold starts and idle time are worked out by hand in the
// comments, against the platform's own policy objects.
#include "trace/keep_alive_sim.h"

#include <gtest/gtest.h>

namespace sl::trace {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

WorkloadUnit Unit(std::vector<Call> calls, double memory_mb = 1024) {
  WorkloadUnit u;
  u.key = "app";
  u.app = "app";
  u.memory_mb = memory_mb;
  u.calls = std::move(calls);
  return u;
}

TEST(KeepAliveSim, FixedKeepAliveColdStartsAndIdleTime) {
  // Calls of 1 s at 0, 5 min and 20 min; keep-alive 10 min; horizon 30 min.
  //   0:00 cold; idle 0:01..5:00 (299 s), warm at 5:00; idle from 5:01, unloaded at 15:01 (600 s);
  //   20:00 cold; idle 20:01..30:00 (599 s, cut at the horizon). 2 of 3 cold, 1,498 s idle.
  faas::FixedKeepAlive policy(minutes(10));
  auto out = SimulateUnit(Unit({{seconds(0), seconds(1)}, {minutes(5), seconds(1)},
                                {minutes(20), seconds(1)}}),
                          minutes(30), policy, SimOptions{});
  EXPECT_EQ(out.invocations, 3);
  EXPECT_EQ(out.cold_starts, 2);
  EXPECT_EQ(out.instances_started, 2);
  EXPECT_EQ(out.prewarms, 0);
  EXPECT_DOUBLE_EQ(out.idle_seconds, 1498);
  EXPECT_DOUBLE_EQ(out.wasted_gb_s, 1498);  // 1 GB
}

TEST(KeepAliveSim, AnArrivalAtTheUnloadTimeIsCold) {
  // Idle from 1 s, keep-alive 60 s: unloaded at 61 s; the call at 61 s finds nothing, the one at
  // 60.999 s would have found it.
  faas::FixedKeepAlive policy(seconds(60));
  auto cold = SimulateUnit(Unit({{seconds(0), seconds(1)}, {seconds(61), seconds(1)}}),
                           seconds(100), policy, SimOptions{});
  EXPECT_EQ(cold.cold_starts, 2);
  faas::FixedKeepAlive policy2(seconds(60));
  auto warm = SimulateUnit(Unit({{seconds(0), seconds(1)}, {milliseconds(60999), seconds(1)}}),
                           seconds(100), policy2, SimOptions{});
  EXPECT_EQ(warm.cold_starts, 1);
}

TEST(KeepAliveSim, OneInvocationPerInstanceStartsOneInstancePerOverlap) {
  // Concurrency 1: calls at 0 s (10 s) and 5 s (10 s) overlap: two cold starts; the call at 20 s
  // takes the older idle instance. Keep-alive 30 s, horizon 60 s. Idle: instance 1 10..20 s and
  // 21..51 s (unloaded) = 40 s; instance 2 15..45 s = 30 s.
  faas::FixedKeepAlive policy(seconds(30));
  SimOptions o;
  o.instance_concurrency = 1;
  auto out = SimulateUnit(Unit({{seconds(0), seconds(10)}, {seconds(5), seconds(10)},
                                {seconds(20), seconds(1)}}, 512),
                          seconds(60), policy, o);
  EXPECT_EQ(out.cold_starts, 2);
  EXPECT_DOUBLE_EQ(out.idle_seconds, 70);
  EXPECT_DOUBLE_EQ(out.wasted_gb_s, 35);
  // Unlimited concurrency (the paper's model): one instance, one cold start; idle 15..20 and
  // 21..51 s.
  faas::FixedKeepAlive policy2(seconds(30));
  auto one = SimulateUnit(Unit({{seconds(0), seconds(10)}, {seconds(5), seconds(10)},
                                {seconds(20), seconds(1)}}, 512),
                          seconds(60), policy2, SimOptions{});
  EXPECT_EQ(one.cold_starts, 1);
  EXPECT_DOUBLE_EQ(one.idle_seconds, 35);
}

TEST(KeepAliveSim, PrefersABusyInstanceWithAFreeSlotAsThePlatformDoes) {
  // Concurrency 2, keep-alive 10 s. X1 0..5 s and X2 1..101 s on instance 0; X3 2..102 s cold on
  // instance 1. At 101.5 s instance 0 is idle (since 101 s) and instance 1 busy with a free slot:
  // X4 (1 s) goes to instance 1. Idle: instance 0 101..111 s, instance 1 102.5..112.5 s = 20 s.
  // (Had X4 taken the idle instance: 0.5 + 10 + 10 = 20.5 s.)
  faas::FixedKeepAlive policy(seconds(10));
  SimOptions o;
  o.instance_concurrency = 2;
  auto out = SimulateUnit(Unit({{seconds(0), seconds(5)}, {seconds(1), seconds(100)},
                                {seconds(2), seconds(100)}, {milliseconds(101500), seconds(1)}}),
                          seconds(200), policy, o);
  EXPECT_EQ(out.cold_starts, 2);
  EXPECT_DOUBLE_EQ(out.idle_seconds, 20);
}

TEST(KeepAliveSim, ColdStartTimeKeepsTheInstanceBusyLonger) {
  // 2 s cold start: the first call holds its instance 0..3 s, so the call at 2 s needs another
  // (concurrency 1).
  faas::FixedKeepAlive policy(seconds(10));
  SimOptions o;
  o.instance_concurrency = 1;
  o.cold_start = seconds(2);
  auto out = SimulateUnit(Unit({{seconds(0), seconds(1)}, {seconds(2), seconds(1)}}), seconds(100),
                          policy, o);
  EXPECT_EQ(out.cold_starts, 2);
}

TEST(KeepAliveSim, HybridHistogramPreWarmsAPeriodicFunction) {
  // A call of 1 s every 30 min, 20 calls, horizon 20 x 30 min. Idle times are 1,799 s: bin 29.
  // Calls 0..9 end with fewer than 10 idle samples: the fallback keep-alive (10 min) unloads the
  // instance 600 s after each, so calls 0..10 are cold. From call 10's end the histogram is one
  // spike (high CV): pre_warm = 29 min x 0.9 = 1,566 s, keep_alive = 30 min x 1.1 - 1,566 s =
  // 414 s: unload at once, load a fresh instance 1,566 s later, which the call 1,799 s after the
  // end finds warm. Idle: 10 x 600 s + 10 pre-warmed instances x 233 s (the last cut by the
  // horizon at 233 s too) = 8,330 s.
  faas::HybridHistogramPolicy::Options opt;
  opt.fallback_keep_alive = minutes(10);
  faas::HybridHistogramPolicy policy(opt);
  std::vector<Call> calls;
  for (int k = 0; k < 20; ++k) calls.push_back({minutes(30) * k, seconds(1)});
  auto out = SimulateUnit(Unit(calls), minutes(30) * 20, policy, SimOptions{});
  EXPECT_EQ(out.invocations, 20);
  EXPECT_EQ(out.cold_starts, 11);
  EXPECT_EQ(out.prewarms, 10);
  EXPECT_EQ(out.instances_started, 21);
  EXPECT_NEAR(out.idle_seconds, 8330, 1e-6);
  // Decide ran at each of the 20 ends: 1 without history, 9 with too few samples, 10 histogram.
  EXPECT_EQ(out.decisions, (std::map<std::string, int64_t>{
                               {"no-history", 1}, {"too-few-samples", 9}, {"histogram", 10}}));
  EXPECT_NEAR(out.keep_alive_s_sum, 10 * 600 + 10 * 414, 1e-6);
  auto h = policy.Histogram("app");
  EXPECT_EQ(h.in_range, 19);
  EXPECT_EQ(h.bins[29], 19);
}

TEST(KeepAliveSim, PolicyMadeFromASpecAsThePlatformMakesIt) {
  faas::ProviderProfile profile;
  profile.keep_alive_s = 1200;
  auto policy = faas::MakeKeepAlivePolicy("fixed", profile);
  ASSERT_TRUE(policy.ok());
  // 20 min keep-alive: the call at 19 min is warm, the one 21 min after that is cold.
  auto out = SimulateUnit(Unit({{seconds(0), seconds(0)}, {minutes(19), seconds(0)},
                                {minutes(40), seconds(0)}}),
                          minutes(60), **policy, SimOptions{});
  EXPECT_EQ(out.cold_starts, 2);
  EXPECT_DOUBLE_EQ(out.idle_seconds, 19 * 60 + 20 * 60 + 20 * 60);
}

}  // namespace
}  // namespace sl::trace

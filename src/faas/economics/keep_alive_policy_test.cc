#include "faas/economics/keep_alive_policy.h"

#include <gtest/gtest.h>

#include <random>

namespace sl::faas {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

double Sec(Nanos d) { return std::chrono::duration<double>(d).count(); }

// Drives a policy like the platform does: each invocation arrives, runs `run`, completes.
void Invoke(KeepAlivePolicy& p, FakeClock& clock, const std::string& fn, Nanos run) {
  p.RecordArrival(fn, clock.Now());
  clock.Advance(run);
  p.RecordCompletion(fn, clock.Now());
}

TEST(KeepAlivePolicyTest, FixedKeepsLoadedForTheIdleTimeThenUnloads) {
  FakeClock clock;
  FixedKeepAlive fixed(minutes(10));
  KeepAliveDecision d = fixed.Decide("f");
  EXPECT_EQ(d.pre_warm, Nanos(0));
  EXPECT_EQ(d.keep_alive, minutes(10));
  TimePoint idle = clock.Now();
  clock.Advance(seconds(599));
  EXPECT_FALSE(ShouldUnload(d, idle, clock.Now()));
  clock.Advance(seconds(1));
  EXPECT_TRUE(ShouldUnload(d, idle, clock.Now()));
}

TEST(KeepAlivePolicyTest, PeriodicFunctionIsPreWarmedBeforeNextArrivalAndReapedAfter) {
  FakeClock clock;
  HybridHistogramPolicy policy({});
  const Nanos period = minutes(10), run = seconds(1);
  // 20 invocations every 10 minutes: idle time = 10 min - 1 s = 599 s -> bin 9 ([9, 10) min).
  for (int i = 0; i < 20; ++i) {
    Invoke(policy, clock, "cron", run);
    clock.Advance(period - run);
  }
  clock.Advance(-(period - run));  // back to the end of the last execution
  auto snap = policy.Histogram("cron");
  EXPECT_EQ(snap.in_range, 19);
  EXPECT_EQ(snap.bins[9], 19);
  EXPECT_GT(snap.cv, 2.0);  // one spike: representative

  KeepAliveDecision d = policy.Decide("cron");
  EXPECT_EQ(d.reason, "histogram");
  // head = tail = bin 9: pre-warm = 9 min x (1 - 0.1) = 486 s;
  // loaded until (9 + 1) min x (1 + 0.1) = 660 s after the idle start -> keep_alive = 174 s.
  EXPECT_DOUBLE_EQ(Sec(d.pre_warm), 486);
  EXPECT_DOUBLE_EQ(Sec(d.keep_alive), 174);

  const TimePoint idle = clock.Now();
  IdlePlan plan = PlanIdle(d, idle);
  EXPECT_EQ(plan.unload_at, idle);  // unloaded right away: no idle memory held for 486 s
  ASSERT_TRUE(plan.prewarm_at.has_value());
  const TimePoint next_arrival = idle + (period - run);
  EXPECT_LT(*plan.prewarm_at, next_arrival);  // warm before the next call...
  EXPECT_GT(plan.expire_at, next_arrival);    // ...still loaded when it comes
  // If the call does not come, the pre-warmed instance is reaped after expire_at.
  clock.Advance(seconds(660));
  EXPECT_GE(clock.Now(), plan.expire_at);
  // Loaded time per period: 174 s instead of the fixed policy's 599 s.
  EXPECT_LT(d.keep_alive, FixedKeepAlive(minutes(10)).Decide("cron").keep_alive);
}

TEST(KeepAlivePolicyTest, RandomArrivalsFallBackToFixedKeepAlive) {
  FakeClock clock;
  HybridHistogramPolicy::Options o;
  o.fallback_keep_alive = minutes(20);
  HybridHistogramPolicy policy(o);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> idle_s(0, 200 * 60);  // idle times spread over 200 minutes
  for (int i = 0; i < 300; ++i) {
    Invoke(policy, clock, "web", milliseconds(50));
    clock.Advance(seconds(idle_s(rng)));
  }
  auto snap = policy.Histogram("web");
  EXPECT_LT(snap.cv, 2.0) << "spread-out idle times must not look like a pattern";
  KeepAliveDecision d = policy.Decide("web");
  EXPECT_EQ(d.reason, "low-cv");
  EXPECT_EQ(d.pre_warm, Nanos(0));
  EXPECT_EQ(d.keep_alive, minutes(20));
}

TEST(KeepAlivePolicyTest, TooFewSamplesUseTheFallback) {
  FakeClock clock;
  HybridHistogramPolicy policy({});
  EXPECT_EQ(policy.Decide("new").reason, "no-history");
  for (int i = 0; i < 4; ++i) {
    Invoke(policy, clock, "rare", seconds(1));
    clock.Advance(minutes(5));
  }
  KeepAliveDecision d = policy.Decide("rare");
  EXPECT_EQ(d.reason, "too-few-samples");
  EXPECT_EQ(d.keep_alive, minutes(10));
}

TEST(KeepAlivePolicyTest, IdleTimesBeyondTheRangeUseThePredictor) {
  FakeClock clock;
  HybridHistogramPolicy policy({});
  // Every 6 hours (beyond the 4-hour histogram): predicted idle time = 6 h - 1 s.
  for (int i = 0; i < 5; ++i) {
    Invoke(policy, clock, "nightly", seconds(1));
    clock.Advance(hours(6) - seconds(1));
  }
  KeepAliveDecision d = policy.Decide("nightly");
  EXPECT_EQ(d.reason, "out-of-bounds");
  const double pred = 6 * 3600 - 1;
  // pre-warm = 85 % of the prediction, keep-alive = 2 x 15 % around it.
  EXPECT_NEAR(Sec(d.pre_warm), 0.85 * pred, 1e-3);
  EXPECT_NEAR(Sec(d.keep_alive), 0.30 * pred, 1e-3);
  IdlePlan plan = PlanIdle(d, TimePoint());
  EXPECT_LT(*plan.prewarm_at, TimePoint() + seconds(static_cast<int64_t>(pred)));
  EXPECT_GT(plan.expire_at, TimePoint() + seconds(static_cast<int64_t>(pred)));
}

TEST(KeepAlivePolicyTest, OverlappingInvocationsCountAsZeroIdleTime) {
  FakeClock clock;
  HybridHistogramPolicy policy({});
  // Bursts of two overlapping calls every 5 minutes: idle times alternate 0 and ~5 min.
  for (int i = 0; i < 20; ++i) {
    TimePoint t = clock.Now();
    policy.RecordArrival("burst", t);
    policy.RecordArrival("burst", t + milliseconds(10));
    policy.RecordCompletion("burst", t + milliseconds(500));
    policy.RecordCompletion("burst", t + milliseconds(600));
    clock.Advance(minutes(5));
  }
  auto snap = policy.Histogram("burst");
  // The second call of each burst (the very first burst has no earlier execution to measure from).
  EXPECT_EQ(snap.bins[0], 19);
  EXPECT_EQ(snap.bins[4], 19);  // 5 min - 0.6 s
  KeepAliveDecision d = policy.Decide("burst");
  EXPECT_EQ(d.reason, "histogram");
  EXPECT_EQ(d.pre_warm, Nanos(0));  // head in bin 0: stay loaded
  EXPECT_DOUBLE_EQ(Sec(d.keep_alive), 5 * 60 * 1.1);
}

TEST(KeepAlivePolicyTest, PrewarmScheduleLoadsOnlyWhenDueAndNothingIsLoaded) {
  FakeClock clock;
  const TimePoint idle = clock.Now();
  PrewarmSchedule p;
  p.OnUnload(KeepAliveDecision{Nanos(0), minutes(10), "fixed"}, idle);  // no pre-warm asked
  EXPECT_FALSE(p.due().has_value());
  p.OnUnload(KeepAliveDecision{seconds(486), seconds(174), "histogram"}, idle);
  ASSERT_TRUE(p.due().has_value());
  EXPECT_EQ(*p.due(), idle + seconds(486));
  EXPECT_FALSE(p.TakeDue(idle + seconds(485), false));  // not yet: still pending
  EXPECT_TRUE(p.due().has_value());
  EXPECT_TRUE(p.TakeDue(idle + seconds(486), false));   // due, nothing loaded: load one
  EXPECT_FALSE(p.due().has_value());
  EXPECT_EQ(p.Decision().keep_alive, seconds(174));
  EXPECT_EQ(p.Decision().pre_warm, Nanos(0));
  EXPECT_EQ(p.Decision().reason, "prewarm");
  p.OnUnload(KeepAliveDecision{seconds(60), seconds(30), "histogram"}, idle);
  EXPECT_FALSE(p.TakeDue(idle + seconds(61), true));    // an instance is loaded: none needed
  EXPECT_FALSE(p.due().has_value());                    // and the pre-warm is dropped
}

TEST(KeepAlivePolicyTest, MakeFromSpec) {
  ProviderProfile p;
  p.keep_alive_s = 600;
  auto fixed = MakeKeepAlivePolicy("fixed", p);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ((*fixed)->Decide("x").keep_alive, minutes(10));
  auto custom = MakeKeepAlivePolicy("fixed:90s", p);
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ((*custom)->Decide("x").keep_alive, seconds(90));
  EXPECT_EQ((*MakeKeepAlivePolicy("fixed:2m", p))->Decide("x").keep_alive, minutes(2));
  auto hybrid = MakeKeepAlivePolicy("hybrid", p);
  ASSERT_TRUE(hybrid.ok());
  EXPECT_EQ((*hybrid)->Name(), "hybrid-histogram");
  EXPECT_EQ((*hybrid)->Decide("x").keep_alive, minutes(10));  // fallback = profile default
  // Options of the hybrid policy: range and fallback keep-alive.
  auto ranged = MakeKeepAlivePolicy("hybrid:range=2h:fallback=4h", p);
  ASSERT_TRUE(ranged.ok()) << ranged.status().ToString();
  EXPECT_EQ((*ranged)->Decide("x").keep_alive, hours(4));
  auto* h = dynamic_cast<HybridHistogramPolicy*>(ranged->get());
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->Histogram("x").bins.size(), 120u);  // 2 h of 1-minute bins
  EXPECT_EQ((*MakeKeepAlivePolicy("hybrid:fallback=90s", p))->Decide("x").keep_alive, seconds(90));
  for (const char* bad : {"fixed:", "fixed:10parsecs", "lru", "fixed:-5s", "hybrid:", "hybrid:range",
                          "hybrid:range=30s", "hybrid:size=2h", "hybrid:range=2h:", "hybridx"}) {
    auto r = MakeKeepAlivePolicy(bad, p);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find(bad), std::string::npos);
  }
}

}  // namespace
}  // namespace sl::faas

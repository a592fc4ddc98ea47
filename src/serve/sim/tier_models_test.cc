// Each tier model against queueing worked out by hand (fixed work, no randomness).
#include "serve/sim/tier_models.h"

#include <gtest/gtest.h>

#include <vector>

namespace sl::serve::sim {
namespace {

struct Answer {
  double at_ms = -1;
  InferenceResponse r;
};

double NowMs(EventLoop& loop) { return loop.Seconds() * 1000; }

WorkFn Fixed(double ms) {
  return [ms](int64_t samples) { return ms * static_cast<double>(samples); };
}

// Submits one request at `at_ms`; its answer lands in answers[i].
void SubmitAt(EventLoop& loop, SimTier& tier, double at_ms, std::vector<Answer>& answers, size_t i,
              int64_t samples = 1, double deadline_after_ms = 0) {
  loop.Schedule(EventLoop::At(at_ms / 1000), [&loop, &tier, &answers, i, samples, deadline_after_ms] {
    SimRequest req;
    req.samples = samples;
    req.arrival = loop.Now();
    if (deadline_after_ms > 0) {
      req.deadline = loop.Now() + Nanos(static_cast<int64_t>(deadline_after_ms * 1e6));
    }
    tier.Submit(req, [&loop, &answers, i](InferenceResponse r) {
      answers[i].at_ms = NowMs(loop);
      answers[i].r = std::move(r);
    });
  });
}

TEST(SimLocalTierTest, TwoCoresTenMsServiceArrivalsEveryFourMs) {
  // Two threads on two cores, no batching, 10 ms per request, arrivals at 0, 4, ..., 20 ms.
  //   r0 0→10 (thread 1)   r1 4→14 (thread 2)   r2 waits 8→10, 10→20   r3 waits 12→14, 14→24
  //   r4 waits 16→20, 20→30   r5 waits 20→24, 24→34
  EventLoop loop;
  CpuPool cores(&loop, 2);
  SimLocalOptions o;
  o.threads = 2;
  o.max_batch = 1;
  SimLocalTier tier(&loop, &cores, o, Fixed(10), false);
  std::vector<Answer> a(6);
  for (size_t i = 0; i < 6; ++i) SubmitAt(loop, tier, 4.0 * static_cast<double>(i), a, i);
  loop.Run();
  const double done[6] = {10, 14, 20, 24, 30, 34};
  const double queued[6] = {0, 0, 2, 2, 4, 4};
  for (size_t i = 0; i < 6; ++i) {
    ASSERT_TRUE(a[i].r.status.ok()) << i;
    EXPECT_NEAR(a[i].at_ms, done[i], 1e-6) << i;
    EXPECT_NEAR(a[i].r.queue_ms, queued[i], 1e-6) << i;
    EXPECT_NEAR(a[i].r.service_ms, 10, 1e-6) << i;
  }
  EXPECT_EQ(tier.stats().answered_ok, 6);
  const TierState s = tier.State();
  EXPECT_EQ(s.capacity, 256 + 2 * 1);
  EXPECT_EQ(s.replicas, 2);
  EXPECT_NEAR(s.service_ms_ewma, 10, 1e-6);
}

TEST(SimLocalTierTest, QueueLimitRefusesAtOnce) {
  EventLoop loop;
  CpuPool cores(&loop, 1);
  SimLocalOptions o;
  o.threads = 1;
  o.max_batch = 1;
  o.queue_limit = 1;
  SimLocalTier tier(&loop, &cores, o, Fixed(10), false);
  std::vector<Answer> a(3);
  for (size_t i = 0; i < 3; ++i) SubmitAt(loop, tier, 0, a, i);
  loop.Run();
  EXPECT_NEAR(a[0].at_ms, 10, 1e-6);
  EXPECT_NEAR(a[1].at_ms, 20, 1e-6);
  EXPECT_EQ(a[2].r.status.code(), Code::kResourceExhausted);
  EXPECT_NEAR(a[2].at_ms, 0, 1e-9);
  EXPECT_EQ(tier.stats().refused, 1);
}

TEST(SimLocalTierTest, TheLastFreeWorkerCollectsABatchForMaxQueueDelay) {
  // One thread, batches up to 4, 0.5 ms delay, 1 ms of work per sample. Arrivals at 0, 0.1, 0.2:
  // the worker takes r0 and waits until 0.5 ms for company; r1 and r2 join; the batch of 3
  // runs 0.5 → 3.5 ms. r3 at 0.6 ms queues and runs alone 3.5 → 4.5 (nothing else waits for it,
  // but it is the only free worker again and the queue is empty: it waits until 1.1 ms, which has
  // passed, so it runs at once).
  EventLoop loop;
  CpuPool cores(&loop, 1);
  SimLocalOptions o;
  o.threads = 1;
  o.max_batch = 4;
  o.max_queue_delay = std::chrono::microseconds(500);
  SimLocalTier tier(&loop, &cores, o, Fixed(1), false);
  std::vector<Answer> a(4);
  SubmitAt(loop, tier, 0, a, 0);
  SubmitAt(loop, tier, 0.1, a, 1);
  SubmitAt(loop, tier, 0.2, a, 2);
  SubmitAt(loop, tier, 0.6, a, 3);
  loop.Run();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(a[i].at_ms, 3.5, 1e-6) << i;
    EXPECT_EQ(a[i].r.batch_size, 3) << i;
    EXPECT_NEAR(a[i].r.service_ms, 3, 1e-6) << i;
  }
  EXPECT_NEAR(a[3].at_ms, 4.5, 1e-6);
  EXPECT_EQ(a[3].r.batch_size, 1);
}

TEST(SimLocalTierTest, ADeadlinePassedInTheQueueIsAnsweredWithoutRunning) {
  EventLoop loop;
  CpuPool cores(&loop, 1);
  SimLocalOptions o;
  o.threads = 1;
  o.max_batch = 1;
  SimLocalTier tier(&loop, &cores, o, Fixed(10), false);
  std::vector<Answer> a(2);
  SubmitAt(loop, tier, 0, a, 0);
  SubmitAt(loop, tier, 1, a, 1, 1, /*deadline_after_ms=*/5);  // waits until 10 ms, due at 6
  loop.Run();
  EXPECT_TRUE(a[0].r.status.ok());
  EXPECT_EQ(a[1].r.status.code(), Code::kDeadlineExceeded);
  EXPECT_NEAR(a[1].at_ms, 10, 1e-6);
  EXPECT_NEAR(a[1].r.queue_ms, 9, 1e-6);
  EXPECT_EQ(tier.stats().expired, 1);
}

TEST(SimContainerTierTest, LeastLoadedReplicaThenAStartThenScaleDown) {
  // min 1, max 2 replicas, 1 request at a time, 2 queued each, 10 ms per request on its own CPU,
  // a start takes 100 ms. Five requests at 0: r0 runs on A (0→10), r1 and r2 queue on A (10→20,
  // 20→30); A is full, so r3 starts B and waits for it (100→110, cold); r4 queues on the starting
  // B (110→120). A is idle from 30 ms, B from 120 ms; with 1 s idle before scale down and a
  // round every 50 ms, the round at 1,050 ms stops A (one replica per round, never below min).
  EventLoop loop;
  SimContainerOptions o;
  o.min_replicas = 1;
  o.max_replicas = 2;
  o.replica_concurrency = 1;
  o.queue_per_replica = 2;
  o.start_ms = 100;
  o.idle_before_scale_down = std::chrono::seconds(1);
  o.supervise_interval = std::chrono::milliseconds(50);
  SimContainerTier tier(&loop, nullptr, o, Fixed(10));
  std::vector<Answer> a(6);
  for (size_t i = 0; i < 5; ++i) SubmitAt(loop, tier, 0, a, i);
  SubmitAt(loop, tier, 0, a, 5);  // A and B full (2 queued each): refused
  int64_t live_at_1040 = -1, live_at_1060 = -1;
  loop.Schedule(EventLoop::At(1.04), [&] { live_at_1040 = tier.live_replicas(); });
  loop.Schedule(EventLoop::At(1.06), [&] { live_at_1060 = tier.live_replicas(); });
  loop.Schedule(EventLoop::At(2), [&] { tier.Stop(); });
  loop.Run();
  const double done[5] = {10, 20, 30, 110, 120};
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(a[i].r.status.ok()) << i;
    EXPECT_NEAR(a[i].at_ms, done[i], 1e-6) << i;
  }
  EXPECT_FALSE(a[0].r.cold_start);
  EXPECT_TRUE(a[3].r.cold_start);
  EXPECT_TRUE(a[4].r.cold_start);
  EXPECT_EQ(a[5].r.status.code(), Code::kResourceExhausted);
  EXPECT_EQ(tier.stats().starts, 1);
  EXPECT_EQ(tier.stats().stops, 1);
  EXPECT_EQ(tier.stats().peak_replicas, 2);
  EXPECT_EQ(live_at_1040, 2);
  EXPECT_EQ(live_at_1060, 1);
  const TierState s = tier.State();
  EXPECT_EQ(s.capacity, 2 * (2 + 1));
  EXPECT_NEAR(s.start_ms_ewma, 100, 1e-6);
  EXPECT_FALSE(s.shares_gateway_cpu);
}

TEST(SimContainerTierTest, TheSupervisorScalesUpOnQueueDepth) {
  // max 2, queue 8, threshold 2: four requests at 0 on A (1 running, 3 queued); the round at
  // 50 ms sees 3 > 2 queued per replica and starts B (ready at 150 ms). The queue stays on A.
  EventLoop loop;
  SimContainerOptions o;
  o.min_replicas = 1;
  o.max_replicas = 2;
  o.replica_concurrency = 1;
  o.queue_per_replica = 8;
  o.start_ms = 100;
  SimContainerTier tier(&loop, nullptr, o, Fixed(100));
  std::vector<Answer> a(4);
  for (size_t i = 0; i < 4; ++i) SubmitAt(loop, tier, 0, a, i);
  int64_t ready_at_140 = -1, ready_at_160 = -1;
  loop.Schedule(EventLoop::At(0.14), [&] { ready_at_140 = tier.State().replicas; });
  loop.Schedule(EventLoop::At(0.16), [&] { ready_at_160 = tier.State().replicas; });
  loop.Schedule(EventLoop::At(1), [&] { tier.Stop(); });
  loop.Run();
  EXPECT_EQ(tier.stats().starts, 1);
  EXPECT_EQ(ready_at_140, 1);
  EXPECT_EQ(ready_at_160, 2);
  EXPECT_NEAR(a[3].at_ms, 400, 1e-6);
}

faas::ProviderProfile Lambda() {
  auto p = faas::LoadProviderProfile("aws-lambda");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return *p;
}

TEST(SimFunctionTierTest, ConcurrencyLimitColdStartsWarmReuseAndKeepAlive) {
  // Limit 2, INIT 100 ms, no platform cold start, 10 ms of work, keep-alive 1 s.
  // r0, r1 at 0: two cold starts, done at 110; r2 at 0: over the limit, refused. r3 at 200: warm,
  // done at 210. r4 at 2,000: both instances idle for over 1 s are gone: cold again, 2,110.
  EventLoop loop;
  SimFunctionOptions o;
  o.concurrency_limit = 2;
  o.init_ms = 100;
  o.profile_cold_start = false;
  o.keep_alive = std::chrono::seconds(1);
  o.memory_mb = 1024;
  auto tier = SimFunctionTier::Make(&loop, nullptr, o, Lambda(), Fixed(10));
  ASSERT_TRUE(tier.ok()) << tier.status().ToString();
  std::vector<Answer> a(5);
  SubmitAt(loop, **tier, 0, a, 0);
  SubmitAt(loop, **tier, 0, a, 1);
  SubmitAt(loop, **tier, 0, a, 2);
  SubmitAt(loop, **tier, 200, a, 3);
  SubmitAt(loop, **tier, 2000, a, 4);
  int64_t warm_at_500 = -1;
  loop.Schedule(EventLoop::At(0.5), [&] { warm_at_500 = (*tier)->State().replicas; });
  loop.Run();
  EXPECT_NEAR(a[0].at_ms, 110, 1e-6);
  EXPECT_NEAR(a[1].at_ms, 110, 1e-6);
  EXPECT_TRUE(a[0].r.cold_start);
  EXPECT_NEAR(a[0].r.service_ms, 110, 1e-6);
  EXPECT_EQ(a[2].r.status.code(), Code::kResourceExhausted);
  EXPECT_NEAR(a[3].at_ms, 210, 1e-6);
  EXPECT_FALSE(a[3].r.cold_start);
  EXPECT_NEAR(a[4].at_ms, 2110, 1e-6);
  EXPECT_TRUE(a[4].r.cold_start);
  EXPECT_EQ(warm_at_500, 2);
  EXPECT_EQ((*tier)->stats().starts, 3);
  EXPECT_EQ((*tier)->stats().refused, 1);
  // Billed as Lambda bills: 1,024 MB, 1 ms granularity, INIT billed (since 2025-08): the cold
  // ones 110 ms, the warm one 10 ms; each + the request price.
  EXPECT_GT(a[0].r.cost_usd, a[3].r.cost_usd);
  EXPECT_GT(a[3].r.cost_usd, 0);
}

TEST(SimFunctionTierTest, ProfileColdStartsHaveTheProfilesMean) {
  EventLoop loop;
  SimFunctionOptions o;
  o.concurrency_limit = 100000;
  o.init_ms = 0;
  o.keep_alive = Nanos(0);  // every call cold
  auto profile = Lambda();
  auto tier = SimFunctionTier::Make(&loop, nullptr, o, profile, Fixed(0));
  ASSERT_TRUE(tier.ok());
  const size_t n = 20000;
  std::vector<Answer> a(n);
  for (size_t i = 0; i < n; ++i) SubmitAt(loop, **tier, static_cast<double>(i) * 10000, a, i);
  loop.Run();
  double sum = 0;
  for (const Answer& x : a) sum += x.r.service_ms;
  // Lambda's profile: mean 265 ms, sd 354 ms; the mean of 20,000 lognormal draws within 3 %.
  EXPECT_NEAR(sum / n, profile.cold_start_mean_ms, 0.03 * profile.cold_start_mean_ms);
}

TEST(SimFunctionTierTest, AMemorySizeTheProfileRefusesIsAnError) {
  EventLoop loop;
  SimFunctionOptions o;
  o.memory_mb = 64;  // Lambda: 128..10,240
  auto tier = SimFunctionTier::Make(&loop, nullptr, o, Lambda(), Fixed(1));
  ASSERT_FALSE(tier.ok());
  EXPECT_EQ(tier.status().code(), Code::kInvalidArgument);
  EXPECT_NE(tier.status().message().find("aws-lambda"), std::string::npos) << tier.status().message();
}

}  // namespace
}  // namespace sl::serve::sim

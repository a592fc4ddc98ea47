#include "serve/placement/adaptive_placer.h"

#include <gtest/gtest.h>

#include <vector>

namespace sl::serve {
namespace {

TierState Local(int64_t inflight, int64_t queued, double service_ms = 2) {
  TierState s;
  s.kind = TierKind::kLocal;
  s.available = true;
  s.replicas = 2;
  s.max_replicas = 2;
  s.capacity = 64;
  s.inflight = inflight;
  s.queued = queued;
  s.service_ms_ewma = service_ms;
  return s;
}
TierState Container(int64_t replicas, int64_t inflight, int64_t queued) {
  TierState s;
  s.kind = TierKind::kContainer;
  s.available = true;
  s.replicas = replicas;
  s.max_replicas = 4;
  s.capacity = 64;
  s.inflight = inflight;
  s.queued = queued;
  s.service_ms_ewma = 4;
  s.start_ms_ewma = 1500;
  return s;
}
TierState Function(int64_t warm, int64_t inflight, double cost = 2e-6) {
  TierState s;
  s.kind = TierKind::kFunction;
  s.available = true;
  s.replicas = warm;
  s.max_replicas = 16;
  s.capacity = 64;
  s.inflight = inflight;
  s.service_ms_ewma = 10;
  s.start_ms_ewma = 700;
  s.cost_per_request_usd = cost;
  return s;
}

Decision Place(AdaptivePlacer& p, const std::vector<TierState>& tiers, int64_t bytes = 1000) {
  PlacementInput in;
  in.wire_bytes = bytes;
  in.tiers = tiers;
  return p.Place(in);
}

TEST(AdaptivePolicyTest, IdleLocalIsFastest) {
  FakeClock clock;
  AdaptivePlacer p({}, &clock);
  Decision d = Place(p, {Local(0, 0), Container(1, 0, 0), Function(1, 0)});
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.tier, TierKind::kLocal);
  EXPECT_NE(d.reason.find("local=2.0ms"), std::string::npos) << d.reason;
}

TEST(AdaptivePolicyTest, AvoidsASaturatedTier) {
  FakeClock clock;
  AdaptivePlacer p({}, &clock);
  // 2 threads, 2 running + 40 queued at 2 ms: 41 × 2 / 2 = 41 ms wait; the container is idle.
  AdaptivePlacer::Prediction local = p.Predict(Local(2, 40), 1000);
  EXPECT_DOUBLE_EQ(local.wait_ms, 41.0);
  Decision d = Place(p, {Local(2, 40), Container(2, 0, 0), Function(1, 0)});
  EXPECT_EQ(d.tier, TierKind::kContainer);
}

TEST(AdaptivePolicyTest, AvoidsColdStartsWhenWarmCapacityExists) {
  FakeClock clock;
  AdaptivePlacer p({}, &clock);
  // Local queued 20 × 2 / 2 = ~21 ms; container busy too; function: every warm instance busy →
  // a cold start (700 ms) is predicted, so it stays on the queued local tier.
  std::vector<TierState> tiers = {Local(2, 20), Container(1, 1, 30), Function(2, 2)};
  AdaptivePlacer::Prediction f = p.Predict(tiers[2], 1000);
  EXPECT_DOUBLE_EQ(f.start_ms, 700.0);
  EXPECT_EQ(Place(p, tiers).tier, TierKind::kLocal);
  // With an idle warm instance, the function wins over the queues.
  tiers[2] = Function(3, 2);
  EXPECT_DOUBLE_EQ(p.Predict(tiers[2], 1000).start_ms, 0.0);
  EXPECT_EQ(Place(p, tiers).tier, TierKind::kFunction);
}

TEST(AdaptivePolicyTest, NeverWaitsForAStartWhileWarmCapacityExists) {
  FakeClock clock;
  AdaptivePlacer p({}, &clock);
  // Local is predicted far slower than a cold start (255 queued at 8 ms: ~1 s against 700 ms),
  // but it has room: the request stays warm, since a start would take the cores it shares.
  std::vector<TierState> tiers = {Local(2, 255, 8.0), Function(0, 0)};
  tiers[0].capacity = 300;
  ASSERT_GT(p.Predict(tiers[0], 1000).total_ms(), p.Predict(tiers[1], 1000).total_ms());
  Decision d = Place(p, tiers);
  EXPECT_EQ(d.tier, TierKind::kLocal) << d.reason;
  EXPECT_EQ(d.rule, "fastest");
  // The same with a learned correction that makes local look 50x slower.
  Decision first = Place(p, {Local(0, 0)});
  p.Completed({TierKind::kLocal, 1, first.predicted_ms, 50 * first.predicted_ms}, InferenceResponse{});
  EXPECT_EQ(Place(p, tiers).tier, TierKind::kLocal);
  // Every warm tier full: now the start is taken, and the reason says so.
  tiers[0].queued = 298;
  Decision overflow = Place(p, tiers);
  EXPECT_EQ(overflow.tier, TierKind::kFunction) << overflow.reason;
  EXPECT_EQ(overflow.rule, "start");
  EXPECT_NE(overflow.reason.find("no warm capacity"), std::string::npos) << overflow.reason;
  // A container tier scaled to zero counts as a start too.
  tiers = {Local(2, 255, 8.0), Container(0, 0, 0)};
  tiers[0].capacity = 300;
  EXPECT_EQ(Place(p, tiers).tier, TierKind::kLocal);
}

TEST(AdaptivePolicyTest, WithAnSloAStartIsTakenOnlyWhenNoWarmTierMeetsIt) {
  FakeClock clock;
  AdaptivePlacer::Options o;
  o.latency_slo_ms = 800;
  AdaptivePlacer p(o, &clock);
  // Local ~1 s misses the 800 ms SLO; a cold start (700 + 10 ms) meets it → the start.
  std::vector<TierState> tiers = {Local(2, 255, 8.0), Function(0, 0)};
  tiers[0].capacity = 300;
  Decision d = Place(p, tiers);
  EXPECT_EQ(d.tier, TierKind::kFunction) << d.reason;
  EXPECT_EQ(d.rule, "slo_cheapest");
  // Local within the SLO (queue of 100 at 8 ms: ~404 ms): warm wins, the start is not considered.
  tiers[0].queued = 100;
  EXPECT_EQ(Place(p, tiers).tier, TierKind::kLocal);
  // Neither meets a 100 ms SLO: the fastest warm tier, not the start.
  o.latency_slo_ms = 100;
  AdaptivePlacer tight(o, &clock);
  tiers[0].queued = 255;
  Decision t = Place(tight, tiers);
  EXPECT_EQ(t.tier, TierKind::kLocal) << t.reason;
  EXPECT_EQ(t.rule, "slo_fastest");
}

TEST(AdaptivePolicyTest, TiersOnTheGatewaysCoresDoNotTakeWorkWhileLocalHasRoom) {
  FakeClock clock;
  AdaptivePlacer p({}, &clock);
  // The local queue (41 ms) is predicted slower than an idle warm container (4 ms); on other
  // hosts the container wins, on the gateway's own cores it adds no CPU and local keeps it.
  std::vector<TierState> tiers = {Local(2, 40), Container(2, 0, 0), Function(3, 0)};
  ASSERT_EQ(Place(p, tiers).tier, TierKind::kContainer);
  for (TierState& t : tiers) t.shares_gateway_cpu = true;
  Decision d = Place(p, tiers);
  EXPECT_EQ(d.tier, TierKind::kLocal) << d.reason;
  EXPECT_NE(d.reason.find("share its cores (cpu unknown)"), std::string::npos) << d.reason;
  // Local full: the co-located tiers are the overflow, fastest first.
  tiers[0].queued = tiers[0].capacity;
  EXPECT_EQ(Place(p, tiers).tier, TierKind::kContainer);
  // A tier on another host still competes by prediction.
  tiers[0].queued = 40;
  tiers[1].shares_gateway_cpu = false;
  EXPECT_EQ(Place(p, tiers).tier, TierKind::kContainer);
  // With an SLO local misses (41 ms > 20 ms), a co-located tier that meets it is taken.
  AdaptivePlacer::Options o;
  o.latency_slo_ms = 20;
  AdaptivePlacer slo(o, &clock);
  tiers[1].shares_gateway_cpu = true;
  EXPECT_EQ(Place(slo, tiers).tier, TierKind::kContainer);
  o.latency_slo_ms = 100;  // local meets it: local
  AdaptivePlacer loose(o, &clock);
  EXPECT_EQ(Place(loose, tiers).tier, TierKind::kLocal);
  // With colocated_below_cpu set, the rule is lifted while the host's CPU is known to be less
  // busy than that: the co-located tiers can add throughput, and prediction decides.
  AdaptivePlacer::Options gated;
  gated.colocated_below_cpu = 0.85;
  AdaptivePlacer g(gated, &clock);
  PlacementInput in;
  in.wire_bytes = 1000;
  in.tiers = tiers;
  in.host_cpu_busy = 0.95;
  Decision busy = g.Place(in);
  EXPECT_EQ(busy.tier, TierKind::kLocal);
  EXPECT_NE(busy.reason.find("its cores (cpu 95%)"), std::string::npos) << busy.reason;
  in.host_cpu_busy = 0.5;
  EXPECT_EQ(g.Place(in).tier, TierKind::kContainer);
  in.host_cpu_busy = -1;  // unknown: the rule holds
  EXPECT_EQ(g.Place(in).tier, TierKind::kLocal);
  in.host_cpu_busy = 0.5;  // without the option the CPU does not matter
  EXPECT_EQ(p.Place(in).tier, TierKind::kLocal);
}

TEST(AdaptivePolicyTest, NeverChoosesATierWithoutCapacity) {
  FakeClock clock;
  AdaptivePlacer p({}, &clock);
  TierState local = Local(0, 0);
  local.capacity = 0;
  Decision d = Place(p, {local, Function(0, 0)});
  EXPECT_EQ(d.tier, TierKind::kFunction);
  TierState fn = Function(0, 0);
  fn.capacity = 0;
  EXPECT_EQ(Place(p, {local, fn}).status.code(), Code::kResourceExhausted);
}

TEST(AdaptivePolicyTest, RespectsTheCostBudget) {
  FakeClock clock;
  AdaptivePlacer::Options o;
  o.cost_budget_usd = 1e-6;
  AdaptivePlacer p(o, &clock);
  // The function is the fastest (idle warm) but costs 2e-6 > budget: the queued local tier wins.
  std::vector<TierState> tiers = {Local(2, 30), Function(4, 0, 2e-6)};
  EXPECT_EQ(Place(p, tiers).tier, TierKind::kLocal);
  AdaptivePlacer q({}, &clock);
  EXPECT_EQ(Place(q, tiers).tier, TierKind::kFunction);
  // Only the function deployed: over budget → refused.
  EXPECT_EQ(Place(p, {Function(4, 0, 2e-6)}).status.code(), Code::kResourceExhausted);
}

TEST(AdaptivePolicyTest, SloPrefersTheCheapestTierThatMeetsIt) {
  FakeClock clock;
  AdaptivePlacer::Options o;
  o.latency_slo_ms = 50;
  AdaptivePlacer p(o, &clock);
  // Function 10 ms (costs), local ~21 ms (free): both within 50 ms → local (cheaper).
  std::vector<TierState> tiers = {Local(2, 20), Function(4, 0)};
  Decision d = Place(p, tiers);
  EXPECT_EQ(d.tier, TierKind::kLocal);
  EXPECT_NE(d.reason.find("cheapest within SLO=50ms"), std::string::npos) << d.reason;
  // Local at ~101 ms misses the SLO → the function.
  tiers[0] = Local(2, 100);
  EXPECT_EQ(Place(p, tiers).tier, TierKind::kFunction);
  // Neither meets a 5 ms SLO → the fastest.
  o.latency_slo_ms = 5;
  AdaptivePlacer tight(o, &clock);
  Decision t = Place(tight, tiers);
  EXPECT_EQ(t.tier, TierKind::kFunction);
  EXPECT_NE(t.reason.find("none within SLO"), std::string::npos) << t.reason;
}

TEST(AdaptivePolicyTest, LearnsServiceTimeAndRefusalsFromCompletions) {
  FakeClock clock;
  AdaptivePlacer p({}, &clock);
  TierState c = Container(1, 0, 0);
  c.service_ms_ewma = 0;  // the tier does not report: the placer's own measurements are used
  InferenceResponse r;
  r.service_ms = 30;
  p.Completed({TierKind::kContainer}, r);
  EXPECT_DOUBLE_EQ(p.Predict(c, 0).service_ms, 30.0);
  r.service_ms = 10;
  p.Completed({TierKind::kContainer}, r);
  EXPECT_DOUBLE_EQ(p.Predict(c, 0).service_ms, 26.0);  // 0.8 × 30 + 0.2 × 10
  InferenceResponse refused;
  refused.status = ResourceExhausted("full");
  p.Completed({TierKind::kContainer}, refused);
  EXPECT_DOUBLE_EQ(p.Predict(c, 0).failure_ms, 200.0);  // 0.2 × 1000 ms
}

TEST(AdaptivePolicyTest, ObservedSlownessCorrectsPredictionsPerSizeClassAndFades) {
  FakeClock clock;
  AdaptivePlacer p({}, &clock);  // alpha 0.2, half-life 5 s
  // Idle: the container (4 ms) would beat a local tier with a short queue (2 × 2 ms / 2 + 2).
  const std::vector<TierState> tiers = {Local(2, 2), Container(1, 0, 0)};
  Decision first = Place(p, tiers);
  ASSERT_EQ(first.tier, TierKind::kContainer) << first.reason;
  ASSERT_GT(first.predicted_ms, 0);
  // The container then takes 10x what was predicted (it shares the cores): the next
  // single-sample request stays local; a batch request (another size class) is not affected.
  p.Completed({TierKind::kContainer, 1, first.predicted_ms, 10 * first.predicted_ms},
              InferenceResponse{});
  EXPECT_DOUBLE_EQ(p.CorrectionFor(TierKind::kContainer, 1), 10.0);
  EXPECT_DOUBLE_EQ(p.CorrectionFor(TierKind::kContainer, 64), 1.0);
  Decision again = Place(p, tiers);
  EXPECT_EQ(again.tier, TierKind::kLocal) << again.reason;
  PlacementInput batch;
  batch.wire_bytes = 1000;
  batch.batch = 64;
  batch.tiers = tiers;
  EXPECT_EQ(p.Place(batch).tier, TierKind::kContainer);
  // A second observation is averaged in (0.8 × 10 + 0.2 × 1 = 8.2).
  p.Completed({TierKind::kContainer, 1, 4, 4}, InferenceResponse{});
  EXPECT_NEAR(p.CorrectionFor(TierKind::kContainer, 1), 8.2, 1e-9);
  // Without news the correction halves its distance to 1 every 5 s.
  clock.Advance(std::chrono::seconds(5));
  EXPECT_NEAR(p.CorrectionFor(TierKind::kContainer, 1), 1 + 7.2 / 2, 1e-9);
  clock.Advance(std::chrono::seconds(60));
  EXPECT_NEAR(p.CorrectionFor(TierKind::kContainer, 1), 1.0, 1e-3);
  EXPECT_EQ(Place(p, tiers).tier, TierKind::kContainer);
  // Refusals and completions without a prediction do not move it.
  InferenceResponse refused;
  refused.status = ResourceExhausted("full");
  p.Completed({TierKind::kContainer, 1, 4, 400}, refused);
  p.Completed({TierKind::kContainer, 1, 0, 400}, InferenceResponse{});
  EXPECT_NEAR(p.CorrectionFor(TierKind::kContainer, 1), 1.0, 1e-3);
}

TEST(AdaptivePolicyTest, TransferGrowsWithSize) {
  FakeClock clock;
  AdaptivePlacer p({}, &clock);
  EXPECT_DOUBLE_EQ(p.Predict(Local(0, 0), 10'000'000).transfer_ms, 0.0);
  EXPECT_DOUBLE_EQ(p.Predict(Container(1, 0, 0), 10'000'000).transfer_ms, 10.0);
  EXPECT_DOUBLE_EQ(p.Predict(Function(1, 0), 10'000'000).transfer_ms, 30.0);
}

}  // namespace
}  // namespace sl::serve

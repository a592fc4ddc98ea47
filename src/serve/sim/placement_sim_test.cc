// The whole simulation: the client and gateway rules worked out by hand, and the placers it calls
// are the real ones (replaying its calls on a fresh MakePlacer gives the same decisions).
#include "serve/sim/placement_sim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "serve/load/load_report.h"

namespace sl::serve::sim {
namespace {

Calibration FixedCalibration(double local_ms, double container_ms, double function_ms) {
  Calibration c;
  c.file = "hand-made";
  auto fixed = [](double ms) {
    ServiceFit f;
    f.measured = true;
    f.a_ms = ms;
    f.points = 1;
    return f;
  };
  c.local = fixed(local_ms);
  c.container = fixed(container_ms);
  c.function = fixed(function_ms);
  c.container_start_ms = 500;
  c.function_start_ms = 200;
  return c;
}

PlacementSimOptions Base(const std::string& policy) {
  PlacementSimOptions o;
  o.spec.model = "m";
  o.spec.concurrency = 64;
  o.calibration = FixedCalibration(10, 12, 15);
  auto p = faas::LoadProviderProfile("aws-lambda");
  EXPECT_TRUE(p.ok());
  o.profile = *p;
  o.placer.policy = policy;
  o.input = DefaultInput();
  o.topology.function_options.profile_cold_start = false;
  return o;
}

TEST(PlacementSimTest, TwoCoresFixedTenMsArrivalsEveryFourMs) {
  // Policy local, 2 threads on 2 cores, 10 ms per request, no batching; one request per session,
  // 6 sessions 4 ms apart (250/s for 24 ms: at 4, 8, ..., 24 ms). By hand, response times
  // 10, 10, 12, 12, 14, 14 ms (see SimLocalTierTest for the timeline).
  PlacementSimOptions o = Base("local");
  o.spec.phases = {load::Phase{"p", 0.024, 250, -1}};
  o.topology.container = o.topology.function = false;
  o.topology.local_cores = 2;
  o.topology.local_options.max_batch = 1;
  std::vector<RequestTrace> seen;
  o.on_request = [&](const RequestTrace& t) { seen.push_back(t); };
  auto r = RunPlacementSim(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(seen.size(), 6u);
  std::sort(seen.begin(), seen.end(), [](const RequestTrace& a, const RequestTrace& b) { return a.sent < b.sent; });
  const double want[6] = {10, 10, 12, 12, 14, 14};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(seen[i].outcome.status, 200) << i;
    EXPECT_EQ(seen[i].outcome.tier, "local") << i;
    EXPECT_EQ(seen[i].outcome.rule, "fixed") << i;
    EXPECT_NEAR(seen[i].outcome.response_ms, want[i], 1e-6) << i;
    EXPECT_NEAR(std::chrono::duration<double>(seen[i].sent.time_since_epoch()).count(),
                0.004 * static_cast<double>(i + 1), 1e-9) << i;
  }
  EXPECT_EQ(r->load.recorded->PhaseSessions(0).sessions, 6);
  EXPECT_EQ(r->placements.at("local").at("fixed"), 6);
  // The load report's own summary of the simulated records.
  auto rows = load::Summarize(o.spec, r->load);
  EXPECT_EQ(rows[0].tier, "all");
  EXPECT_EQ(rows[0].requests, 6);
  EXPECT_NEAR(rows[0].p50_ms, 12, 12 * 0.016);  // the recorder's histogram: within 1.6 %
  EXPECT_NEAR(rows[0].session_mean_ms, 12, 1e-3);  // means are exact
  // The recorder's per-second timeline: all six sessions arrived in second 0.
  ASSERT_FALSE(r->load.recorded->seconds().empty());
  EXPECT_EQ(r->load.recorded->seconds()[0].sessions_launched, 6);
}

TEST(PlacementSimTest, ClientConnectionsBacklogAndFailedSessions) {
  // One connection, backlog 1, 3 requests per session, 3 sessions at 1, 2, 3 ms; 10 ms each.
  // s0 runs 1→11→21→31; s1 waits in the backlog and runs 31→61; s2 finds the backlog full: a
  // dropped session, one failed request with tier "client-backlog".
  PlacementSimOptions o = Base("local");
  o.spec.phases = {load::Phase{"p", 0.003, 1000, -1}};
  o.spec.concurrency = 1;
  o.spec.backlog = 1;
  o.spec.session_requests = 3;
  o.topology.container = o.topology.function = false;
  o.topology.local_options.max_batch = 1;
  std::vector<RequestTrace> seen;
  o.on_request = [&](const RequestTrace& t) { seen.push_back(t); };
  auto r = RunPlacementSim(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->load.dropped_sessions, 1);
  ASSERT_EQ(seen.size(), 7u);
  int backlog = 0, ok = 0;
  for (const auto& q : seen) {
    if (q.outcome.tier == "client-backlog") ++backlog;
    if (q.outcome.status == 200) ++ok;
  }
  EXPECT_EQ(backlog, 1);
  EXPECT_EQ(ok, 6);
  const load::SessionAccumulator& ses = r->load.recorded->PhaseSessions(0);
  EXPECT_EQ(ses.sessions, 3);
  EXPECT_EQ(ses.failed, 1);
  EXPECT_NEAR(ses.length_ms.mean_ms(), (30 + 59) / 2.0, 1e-3);  // s1 arrived at 2 ms, done at 61
}

TEST(PlacementSimTest, AFullTierIsRetriedOnceElsewhereAndTimeoutsAre504) {
  // Algorithm 1 with F and D out of reach: the capacity branch. local: 1 thread, batches up to
  // 32, a queue of 1, 100 ms per request; container: 1 replica, 1 at a time, 1 queued; function:
  // limit 1, no INIT. The local tier's TierState capacity (1 + 1 × 32) says it has room while its
  // queue of 1 is full, so the placer picks it, it refuses, and the gateway places the request
  // once more without it. Sessions at 1..5 ms:
  //   r0 local: its worker waits 0.5 ms for company, runs 1.5 → 101.5 (100.5 ms)
  //   r1 local: queued; runs 101.5 → 201.5, but the gateway answers 504 at 152 ms
  //   r2 local refuses → container 3 → 103 (100 ms)
  //   r3 local refuses → container, queued; runs 103 → 203; 504 at 154
  //   r4 local refuses → container full (1 running + 1 queued) → function 5 → 105 (overflow)
  PlacementSimOptions o = Base("straightline");
  o.calibration = FixedCalibration(100, 100, 100);
  o.placer.frequency_threshold = 1e9;
  o.placer.size_threshold = 1 << 30;
  o.spec.phases = {load::Phase{"p", 0.005, 1000, -1}};
  o.topology.local_cores = 1;
  o.topology.local_options.queue_limit = 1;
  o.topology.container_options.min_replicas = 1;
  o.topology.container_options.max_replicas = 1;
  o.topology.container_options.replica_concurrency = 1;
  o.topology.container_options.queue_per_replica = 1;
  o.topology.function_options.concurrency_limit = 1;
  o.topology.function_options.init_ms = 0;
  o.topology.request_timeout_ms = 150;
  std::vector<RequestTrace> seen;
  o.on_request = [&](const RequestTrace& t) { seen.push_back(t); };
  auto r = RunPlacementSim(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(seen.size(), 5u);
  std::sort(seen.begin(), seen.end(), [](const RequestTrace& a, const RequestTrace& b) { return a.sent < b.sent; });
  std::vector<std::string> tiers, rules;
  std::vector<int> statuses;
  std::vector<double> ms;
  for (const auto& q : seen) {
    tiers.push_back(q.outcome.tier);
    rules.push_back(q.outcome.rule);
    statuses.push_back(q.outcome.status);
    ms.push_back(q.outcome.response_ms);
  }
  EXPECT_EQ(tiers, (std::vector<std::string>{"local", "none", "container", "none", "function"}));
  EXPECT_EQ(rules, (std::vector<std::string>{"local_capacity", "timeout", "container_capacity", "timeout", "overflow"}));
  EXPECT_EQ(statuses, (std::vector<int>{200, 504, 200, 504, 200}));
  const double want_ms[5] = {100.5, 150, 100, 150, 100};
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(ms[i], want_ms[i], 1e-6) << i;
  EXPECT_EQ(r->placements.at("local").at("local_capacity"), 5);
  EXPECT_EQ(r->placements.at("container").at("container_capacity"), 2);
  EXPECT_EQ(r->placements.at("function").at("overflow"), 1);
  // The tiers' own counts: three refusals by local; the timed-out requests still ran.
  EXPECT_EQ(r->tiers[0].stats.refused, 3);
  EXPECT_EQ(r->tiers[0].stats.answered_ok, 2);
  EXPECT_EQ(r->tiers[1].stats.answered_ok, 2);
  EXPECT_EQ(r->tiers[2].stats.answered_ok, 1);
}

TEST(PlacementSimTest, AdmissionBySamplesInFlightAndReleasedWhenTheTierIsDone) {
  // Limit 1 sample in flight. Two requests 1 ms apart on a 100 ms local tier: the second is
  // answered 429 by admission at once.
  {
    PlacementSimOptions o = Base("local");
    o.calibration = FixedCalibration(100, 100, 100);
    o.spec.phases = {load::Phase{"p", 0.002, 1000, -1}};
    o.topology.container = o.topology.function = false;
    o.topology.max_inflight_samples = 1;
    std::vector<RequestTrace> seen;
    o.on_request = [&](const RequestTrace& t) { seen.push_back(t); };
    ASSERT_TRUE(RunPlacementSim(o).ok());
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].outcome.status, 429);
    EXPECT_EQ(seen[0].outcome.rule, "admission");
    EXPECT_EQ(seen[0].outcome.tier, "none");
    EXPECT_NEAR(seen[0].outcome.response_ms, 0, 1e-9);
    EXPECT_EQ(seen[1].outcome.status, 200);
  }
  // Half of the 100 ms is CPU (κ = 0.5), the other 50 ms a wait on the way back; timeout 70 ms.
  // r0 at 80 ms: CPU 80 → 130, answer due at 180, the gateway's 504 at 150. The tier was done at
  // 130, so r1 at 160 is admitted (and times out the same way) instead of a 429.
  PlacementSimOptions o = Base("local");
  o.calibration = FixedCalibration(100, 100, 100);
  o.spec.phases = {load::Phase{"p", 0.16, 12.5, -1}};
  o.topology.container = o.topology.function = false;
  o.topology.max_inflight_samples = 1;
  o.topology.cpu_fraction = 0.5;
  o.topology.request_timeout_ms = 70;
  std::vector<RequestTrace> seen;
  o.on_request = [&](const RequestTrace& t) { seen.push_back(t); };
  ASSERT_TRUE(RunPlacementSim(o).ok());
  ASSERT_EQ(seen.size(), 2u);
  for (const RequestTrace& t : seen) {
    EXPECT_EQ(t.outcome.status, 504);
    EXPECT_EQ(t.outcome.rule, "timeout");
    EXPECT_NEAR(t.outcome.response_ms, 70, 1e-6);
  }
}

TEST(PlacementSimTest, BadInputsAreRefusedNamingTheOption) {
  PlacementSimOptions o = Base("straightline");
  o.spec.phases = {load::Phase{"p", 1, 10, -1}};
  {
    PlacementSimOptions x = o;
    x.placer.policy = "fastest";
    auto r = RunPlacementSim(x);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("unknown policy 'fastest'"), std::string::npos);
  }
  {
    PlacementSimOptions x = o;
    x.topology.local = x.topology.container = x.topology.function = false;
    auto r = RunPlacementSim(x);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("no tier"), std::string::npos);
  }
  {
    PlacementSimOptions x = o;
    x.topology.function_options.memory_mb = 50;
    auto r = RunPlacementSim(x);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("aws-lambda"), std::string::npos) << r.status().message();
  }
  {
    PlacementSimOptions x = o;
    x.spec.phases.clear();
    auto r = RunPlacementSim(x);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
}

// Replays every call the simulation made on its placer on a fresh placer from MakePlacer, on a
// clock set to each call's time: the decisions must be the same, in the same order.
void ExpectRealPlacer(const std::string& policy) {
  PlacementSimOptions o = Base(policy);
  o.spec.phases = {load::Phase{"ramp", 4, 20, 400}};
  o.spec.session_requests = 3;
  auto mix = load::ParsePayloadMix("json:8,pixels:1,batch:1:32");
  ASSERT_TRUE(mix.ok());
  o.spec.payloads = *mix;
  o.calibration = FixedCalibration(2, 3, 5);
  o.calibration.local.m_ms = 0.05;
  o.calibration.local.sigma = 0.3;
  o.placer.frequency_threshold = 300;  // the ramp crosses F: Algorithm 1 sends small requests to functions
  o.placer.size_threshold = 100000;    // the 32-image requests are larger: containers
  o.topology.local_cores = 1;
  std::vector<PlacerCall> calls;
  o.on_placer_call = [&](const PlacerCall& c) { calls.push_back(c); };
  auto r = RunPlacementSim(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  SimClock clock;
  PlacerOptions po = o.placer;
  po.clock = &clock;
  auto fresh = MakePlacer(po);
  ASSERT_TRUE(fresh.ok());
  int64_t places = 0;
  std::set<TierKind> chosen;
  for (const PlacerCall& c : calls) {
    clock.Set(c.at);
    switch (c.kind) {
      case PlacerCall::kObserve: (*fresh)->Observe(); break;
      case PlacerCall::kCompleted: (*fresh)->Completed(c.completion, c.response); break;
      case PlacerCall::kPlace: {
        PlacementInput in;
        in.model = "m";
        in.wire_bytes = c.wire_bytes;
        in.batch = c.batch;
        in.tiers = c.tiers;
        const Decision d = (*fresh)->Place(in);
        ASSERT_EQ(d.status.code(), c.decision.status.code()) << places;
        ASSERT_EQ(d.tier, c.decision.tier) << places;
        ASSERT_EQ(d.rule, c.decision.rule) << places;
        ASSERT_EQ(d.reason, c.decision.reason) << places;
        ASSERT_DOUBLE_EQ(d.predicted_ms, c.decision.predicted_ms) << places;
        if (d.status.ok()) chosen.insert(d.tier);
        ++places;
        break;
      }
    }
  }
  int64_t placed = 0;
  for (const auto& [tier, rules] : r->placements) {
    for (const auto& [rule, n] : rules) placed += n;
  }
  EXPECT_EQ(places, placed);
  EXPECT_GT(places, 1000);
  EXPECT_GE(chosen.size(), 2u) << "the run must exercise more than one tier";
}

TEST(PlacementSimTest, AlgorithmOneIsTheRealPlacer) { ExpectRealPlacer("straightline"); }
TEST(PlacementSimTest, AdaptiveIsTheRealPlacer) { ExpectRealPlacer("adaptive"); }

}  // namespace
}  // namespace sl::serve::sim

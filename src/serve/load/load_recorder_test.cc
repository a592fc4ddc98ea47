// The load generator's per-second and per-phase aggregation, on a FakeClock (no server, no sleep).
#include "serve/load/load_recorder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "serve/load/load_report.h"

namespace sl::serve::load {
namespace {

using std::chrono::milliseconds;

RequestOutcome Answer(int32_t phase, int status, double ms, std::string tier, std::string rule,
                      double f_t = -1, double threshold = -1) {
  RequestOutcome r;
  r.phase = phase;
  r.status = status;
  r.response_ms = ms;
  r.tier = std::move(tier);
  r.rule = std::move(rule);
  r.f_t = f_t;
  r.threshold = threshold;
  return r;
}

TEST(LoadRecorder, ParsesTheGatewayHeaders) {
  double f = 0, F = 0;
  ParseFrequencyHeader("f_t=812.250; F=500.000", &f, &F);
  EXPECT_EQ(f, 812.25);
  EXPECT_EQ(F, 500);
  ParseFrequencyHeader("f_t=3.000", &f, &F);
  EXPECT_EQ(f, 3);
  EXPECT_EQ(F, -1);
  for (const char* bad : {"", "f_t=", "f_t=abc; F=1", "F=5", "f_t=-1", "f_t=1x"}) {
    ParseFrequencyHeader(bad, &f, &F);
    EXPECT_EQ(f, -1) << bad;
    EXPECT_EQ(F, -1) << bad;
  }
  EXPECT_EQ(TierOfHeader(" function ; reason=f_t=9/s>F=5"), "function");
  EXPECT_EQ(TierOfHeader(""), "");
  EXPECT_EQ(CauseOfStatus(0), FailureCause::kNoResponse);
  EXPECT_EQ(CauseOfStatus(429), FailureCause::kRefused);
  EXPECT_EQ(CauseOfStatus(503), FailureCause::kRefused);
  EXPECT_EQ(CauseOfStatus(504), FailureCause::kTimeout);
  EXPECT_EQ(CauseOfStatus(404), FailureCause::kClientError);
  EXPECT_EQ(CauseOfStatus(500), FailureCause::kServerError);
}

// Three seconds of a hand-made run: second 0 two sessions (one ok on local, one refused), second
// 1 nothing, second 2 one session on function with f_t above F and one dropped by the backlog.
TEST(LoadRecorder, AggregatesPerSecondOfArrivalAndPerPhaseAndTier) {
  FakeClock clock;
  const TimePoint t0 = clock.Now();
  LoadRecorder rec(2, t0);
  const TimePoint a = t0 + milliseconds(100), b = t0 + milliseconds(900);
  rec.Request(a, Answer(0, 200, 10, "local", "local_capacity", 4, 100));
  rec.Request(a, Answer(0, 200, 30, "local", "local_capacity", 6, 100));
  rec.Session(a, a + milliseconds(45), 0, true, FailureCause::kServerError);
  // Its second request ends after the second is over: still counted in the arrival's second.
  rec.Request(b, Answer(0, 429, 2, "none", "overflow", 8, 100));
  rec.Session(b, b + milliseconds(1200), 0, false, FailureCause::kRefused);
  const TimePoint c = t0 + milliseconds(2500);
  rec.Request(c, Answer(1, 200, 80, "function", "frequent_small", 150, 100));
  rec.Session(c, c + milliseconds(90), 1, true, FailureCause::kServerError);
  rec.Dropped(c, 1);

  const auto& sec = rec.seconds();
  ASSERT_EQ(sec.size(), 3u);
  EXPECT_EQ(sec[0].sessions_launched, 2);
  EXPECT_EQ(sec[0].sessions_completed, 1);
  EXPECT_EQ(sec[0].sessions_failed, 1);
  EXPECT_EQ(sec[0].failed_by_cause[static_cast<size_t>(FailureCause::kRefused)], 1);
  EXPECT_EQ(sec[0].session_ms_sum, 45);
  EXPECT_EQ(sec[0].requests, 3);
  EXPECT_EQ(sec[0].request_failures, 1);
  EXPECT_EQ(sec[0].response_ms.count(), 3);
  EXPECT_EQ(sec[0].f_t_samples, 3);
  EXPECT_EQ(sec[0].f_t_sum, 18);
  EXPECT_EQ(sec[0].f_t_max, 8);
  EXPECT_EQ(sec[0].threshold, 100);
  EXPECT_EQ(sec[1].sessions_launched, 0);
  EXPECT_EQ(sec[1].requests, 0);
  EXPECT_EQ(sec[2].sessions_launched, 2);
  EXPECT_EQ(sec[2].sessions_failed, 1);
  EXPECT_EQ(sec[2].failed_by_cause[static_cast<size_t>(FailureCause::kClientBacklog)], 1);
  EXPECT_EQ(sec[2].requests, 2);  // the function request and the unsent one
  EXPECT_EQ(sec[2].request_failures, 1);
  EXPECT_EQ(rec.dropped_sessions(), 1);

  const auto& keys = rec.placement_keys();
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].tier, "local");
  EXPECT_EQ(keys[0].rule, "local_capacity");
  EXPECT_EQ(keys[1].tier, "none");
  EXPECT_EQ(keys[2].rule, "frequent_small");
  EXPECT_EQ(sec[0].placements, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(sec[0].placement_failures, (std::vector<int64_t>{0, 1}));  // the 429
  EXPECT_EQ(sec[2].placements, (std::vector<int64_t>{0, 0, 1}));

  EXPECT_EQ(rec.PhaseTiers(0).at("local").requests, 2);
  EXPECT_EQ(rec.PhaseTiers(0).at("none").failures, 1);
  EXPECT_EQ(rec.PhaseTiers(1).at("client-backlog").requests, 1);
  EXPECT_EQ(rec.PhaseSessions(0).sessions, 2);
  EXPECT_EQ(rec.PhaseSessions(0).failed, 1);
  EXPECT_EQ(rec.PhaseSessions(1).length_ms.count(), 1);

  // The JSON timeline: one entry per second in every series, null where nothing was measured.
  const nlohmann::json t = TimelineJson(rec);
  EXPECT_EQ(t["t_s"], nlohmann::json({0, 1, 2}));
  EXPECT_EQ(t["sessions_launched"], nlohmann::json({2, 0, 2}));
  EXPECT_EQ(t["sessions_completed"], nlohmann::json({1, 0, 1}));
  EXPECT_EQ(t["sessions_failed_by_cause"]["refused"], nlohmann::json({1, 0, 0}));
  EXPECT_EQ(t["sessions_failed_by_cause"]["client-backlog"], nlohmann::json({0, 0, 1}));
  EXPECT_EQ(t["session_mean_ms"], nlohmann::json({45.0, nullptr, 90.0}));
  // Nearest rank of {2, 10, 30}: the 10 ms bucket [9.984, 10.240) ms, its midpoint.
  EXPECT_EQ(t["p50_ms"][0], 10.112);
  EXPECT_EQ(t["p99_ms"][0], 29.952);  // [29.696, 30.208) ms: within 1/64 of 30
  EXPECT_TRUE(t["p99_ms"][1].is_null());
  EXPECT_EQ(t["f_t_mean"], nlohmann::json({6.0, nullptr, 150.0}));
  EXPECT_EQ(t["F"], nlohmann::json({100.0, nullptr, 100.0}));
  ASSERT_EQ(t["placements"].size(), 3u);
  EXPECT_EQ(t["placements"][2], nlohmann::json({{"tier", "function"}, {"rule", "frequent_small"},
                                                {"counts", {0, 0, 1}}, {"failed", {0, 0, 0}}}));
  EXPECT_EQ(t["placements"][1]["failed"], nlohmann::json({1, 0, 0}));
}

// Tiers and rules come from the server: distinct ones beyond the caps count as "other"; many
// requests in one second add to that second's counters, not to any list.
TEST(LoadRecorder, StaysBoundedWhateverTheServerNames) {
  FakeClock clock;
  LoadRecorder rec(1, clock.Now());
  for (int i = 0; i < 5000; ++i) {
    rec.Request(clock.Now(), Answer(0, 200, 1, "tier" + std::to_string(i % 100), "rule" + std::to_string(i)));
  }
  EXPECT_EQ(rec.placement_keys().size(), LoadRecorder::kMaxPlacementKeys);
  EXPECT_EQ(rec.placement_keys().back().tier, "other");
  EXPECT_EQ(rec.PhaseTiers(0).size(), LoadRecorder::kMaxTiers + 1);  // + "other"
  EXPECT_EQ(rec.seconds().size(), 1u);
  EXPECT_EQ(rec.seconds()[0].requests, 5000);
  int64_t placed = 0;
  for (int64_t n : rec.seconds()[0].placements) placed += n;
  EXPECT_EQ(placed, 5000);
}

}  // namespace
}  // namespace sl::serve::load

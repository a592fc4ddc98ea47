#include "trace/keep_alive_study.h"

#include <gtest/gtest.h>

namespace sl::trace {
namespace {

const std::string kSamples = SL_TRACE_SAMPLES_DIR;

faas::ProviderProfile Azure() {
  faas::ProviderProfile p;
  p.name = "test-azure";
  p.keep_alive_s = 1200;
  return p;
}

TEST(Quantile, LinearBetweenOrderStatistics) {
  EXPECT_DOUBLE_EQ(Quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Quantile({4, 1, 3, 2}, 0.75), 3.25);
  EXPECT_DOUBLE_EQ(Quantile({5}, 0.99), 5);
  EXPECT_DOUBLE_EQ(Quantile({}, 0.5), 0);
}

TEST(KeepAliveStudy, AggregatesPerAppOverItsFunctions) {
  // App a: functions f (calls at 0 and 30 min) and g (a call at 5 min); app b: one call.
  // Per function with a 10 min keep-alive, f's second call is cold (3 of 3 cold in a); per app,
  // g's call at 5 min finds a's instance warm, and f's at 30 min does not (2 of 3).
  Workload w;
  w.horizon = std::chrono::hours(1);
  auto unit = [](std::string key, std::string app, std::vector<Call> calls) {
    WorkloadUnit u;
    u.key = std::move(key);
    u.app = std::move(app);
    u.memory_mb = 512;
    u.calls = std::move(calls);
    return u;
  };
  using std::chrono::minutes;
  using std::chrono::seconds;
  w.units = {unit("a/f", "a", {{minutes(0), seconds(1)}, {minutes(30), seconds(1)}}),
             unit("a/g", "a", {{minutes(5), seconds(1)}}),
             unit("b/h", "b", {{minutes(1), seconds(1)}})};
  w.invocations = 4;
  auto r = RunKeepAliveStudy(w, {"fixed:10m"}, Azure(), SimOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->policies.size(), 1u);
  const PolicyOutcome& p = r->policies[0];
  EXPECT_EQ(p.name, "fixed(600s)");
  ASSERT_EQ(p.apps.size(), 2u);
  EXPECT_EQ(p.apps[0].app, "a");
  EXPECT_EQ(p.apps[0].memory_mb, 1024);  // two 512 MB functions
  EXPECT_EQ(p.apps[0].outcome.cold_starts, 3);
  EXPECT_DOUBLE_EQ(p.apps[0].cold_start_pct(), 100);
  EXPECT_EQ(p.cold_starts, 4);
  EXPECT_DOUBLE_EQ(p.cold_pct_quantiles[2].second, 100);  // p75

  Workload per_app = w;
  per_app.units = {unit("a", "a", {{minutes(0), seconds(1)}, {minutes(5), seconds(1)},
                                   {minutes(30), seconds(1)}}),
                   unit("b", "b", {{minutes(1), seconds(1)}})};
  auto r2 = RunKeepAliveStudy(per_app, {"fixed:10m"}, Azure(), SimOptions{});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->policies[0].apps[0].outcome.cold_starts, 2);
  EXPECT_NEAR(r2->policies[0].apps[0].cold_start_pct(), 200.0 / 3, 1e-9);
}

TEST(KeepAliveStudy, RejectsBadSpecsNamingThem) {
  Workload w;
  auto r = RunKeepAliveStudy(w, {"fixed:10m", "lru"}, Azure(), SimOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'lru'"), std::string::npos);
  EXPECT_FALSE(RunKeepAliveStudy(w, {}, Azure(), SimOptions{}).ok());
}

TEST(KeepAliveStudy, SampleDayLongerKeepAliveFewerColdStartsMoreWaste) {
  auto t = ReadTrace(kSamples + "/sample104_inv.csv");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto w = BuildWorkload(*t, WorkloadOptions{});
  ASSERT_TRUE(w.ok());
  FakeClock clock;
  auto r = RunKeepAliveStudy(*w, {"fixed:10m", "fixed:60m", "hybrid"}, Azure(), SimOptions{}, &clock);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->policies.size(), 3u);
  const auto& f10 = r->policies[0];
  const auto& f60 = r->policies[1];
  const auto& hybrid = r->policies[2];
  EXPECT_EQ(f10.invocations, 452556);
  EXPECT_GT(f10.cold_starts, f60.cold_starts);
  EXPECT_LT(f10.wasted_gb_s, f60.wasted_gb_s);
  EXPECT_GT(hybrid.prewarms, 0);  // some apps are predictable enough to pre-warm
  EXPECT_EQ(f10.seconds, 0);      // timed on the fake clock
  // Every app with invocations has at least its first one cold.
  for (const auto& p : r->policies) {
    for (const auto& a : p.apps) EXPECT_GE(a.outcome.cold_starts, 1) << p.spec << " " << a.app;
  }
  auto j = StudyToJson(*r, true);
  EXPECT_EQ(j["policies"][0]["spec"], "fixed:10m");
  EXPECT_EQ(j["policies"][1]["wasted_vs_first"].get<double>(), f60.wasted_gb_s / f10.wasted_gb_s);
  EXPECT_TRUE(j["policies"][2]["cold_start_pct_over_apps"].contains("p75"));
  EXPECT_EQ(j["policies"][2]["per_app"].size(), hybrid.apps.size());
  const std::string text = FormatStudy(*r);
  EXPECT_NE(text.find("hybrid-histogram"), std::string::npos) << text;
}

}  // namespace
}  // namespace sl::trace

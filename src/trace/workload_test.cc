#include "trace/workload.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace sl::trace {
namespace {

const std::string kSamples = SL_TRACE_SAMPLES_DIR;

TEST(InverseCdf, LinearBetweenGivenPercentiles) {
  PercentilePoints p{{{0.0, 10}, {0.5, 20}, {0.99, 120}, {1.0, 1000}}};
  EXPECT_DOUBLE_EQ(InverseCdf(p, 0.0), 10);
  EXPECT_DOUBLE_EQ(InverseCdf(p, 0.25), 15);
  EXPECT_DOUBLE_EQ(InverseCdf(p, 0.5), 20);
  EXPECT_DOUBLE_EQ(InverseCdf(p, 0.745), 70);
  EXPECT_DOUBLE_EQ(InverseCdf(p, 0.995), 560);
  EXPECT_DOUBLE_EQ(InverseCdf(p, 1.0), 1000);
  // Memory percentiles start at p1: below it, the p1 value.
  PercentilePoints m{{{0.01, 300}, {1.0, 400}}};
  EXPECT_DOUBLE_EQ(InverseCdf(m, 0.001), 300);
  EXPECT_DOUBLE_EQ(InverseCdf(PercentilePoints{}, 0.5), 0);
}

TEST(MinuteArrivals, CountsInsideTheMinuteSortedAndSeeded) {
  for (ArrivalMode mode : {ArrivalMode::kUniform, ArrivalMode::kPoisson, ArrivalMode::kEquidistant}) {
    std::mt19937_64 a(7), b(7);
    auto x = MinuteArrivals(500, mode, a);
    auto y = MinuteArrivals(500, mode, b);
    ASSERT_EQ(x.size(), 500u) << ArrivalModeName(mode);
    EXPECT_EQ(x, y) << ArrivalModeName(mode);
    EXPECT_TRUE(std::is_sorted(x.begin(), x.end()));
    EXPECT_GE(x.front(), 0);
    EXPECT_LT(x.back(), 60);
    // Spread over the whole minute, not bunched at its start.
    EXPECT_GT(x.back(), 50) << ArrivalModeName(mode);
    EXPECT_LT(x.front(), 10) << ArrivalModeName(mode);
  }
  std::mt19937_64 r(1);
  EXPECT_EQ(MinuteArrivals(4, ArrivalMode::kEquidistant, r), (std::vector<double>{0, 15, 30, 45}));
  EXPECT_TRUE(MinuteArrivals(0, ArrivalMode::kPoisson, r).empty());
  EXPECT_EQ(ParseArrivalMode("gamma").status().message(),
            "arrivals 'gamma': want uniform, poisson or equidistant");
}

Trace TinyTrace() {
  Trace t;
  EXPECT_TRUE(ParseInvocations2019("HashOwner,HashApp,HashFunction,1,2,3\n"
                                   "o,a,f1,2,0,1\no,a,f2,0,1,0\no,b,g,3,0,0\n", "inv.csv", &t).ok());
  t.app_memory["a"].average_mb = 512;
  t.functions[0].has_durations = true;
  t.functions[0].durations.percentiles.points = {{0.0, 100}, {1.0, 200}};
  t.functions[1].has_durations = true;
  t.functions[1].durations.percentiles.points = {{0.0, 5000}, {1.0, 5000}};
  return t;
}

TEST(BuildWorkload, PerAppUnitsWithDrawnDurationsAndAppMemory) {
  WorkloadOptions o;
  o.arrivals = ArrivalMode::kEquidistant;
  auto w = BuildWorkload(TinyTrace(), o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->horizon, std::chrono::minutes(3));
  EXPECT_EQ(w->invocations, 7);
  ASSERT_EQ(w->units.size(), 2u);
  const WorkloadUnit& a = w->units[0];
  EXPECT_EQ(a.key, "a");
  EXPECT_EQ(a.memory_mb, 512);
  ASSERT_EQ(a.calls.size(), 4u);  // f1: 0 s, 30 s, 120 s; f2: 60 s
  EXPECT_EQ(a.calls[0].start, std::chrono::seconds(0));
  EXPECT_EQ(a.calls[1].start, std::chrono::seconds(30));
  EXPECT_EQ(a.calls[2].start, std::chrono::seconds(60));
  EXPECT_EQ(a.calls[2].duration, std::chrono::seconds(5));  // f2's only value
  EXPECT_EQ(a.calls[3].start, std::chrono::seconds(120));
  for (int i : {0, 1, 3}) {
    EXPECT_GE(a.calls[i].duration, std::chrono::milliseconds(100));
    EXPECT_LE(a.calls[i].duration, std::chrono::milliseconds(200));
  }
  // b: no memory row, no durations: the defaults, and the notes say so.
  EXPECT_EQ(w->units[1].memory_mb, 256);
  EXPECT_EQ(w->units[1].calls[0].duration, std::chrono::seconds(1));
  std::string notes;
  for (const auto& n : w->notes) notes += n + "\n";
  EXPECT_NE(notes.find("1 functions without execution-time percentiles run 1000 ms"), std::string::npos) << notes;
  EXPECT_NE(notes.find("1 of 2 units have no memory in the trace: 256 MB assumed"), std::string::npos) << notes;
}

TEST(BuildWorkload, PerFunctionUnitsSplitAppMemory) {
  WorkloadOptions o;
  o.unit = KeepAliveUnit::kFunction;
  auto w = BuildWorkload(TinyTrace(), o);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->units.size(), 3u);
  EXPECT_EQ(w->units[0].key, "a/f1");
  EXPECT_EQ(w->units[0].app, "a");
  EXPECT_EQ(w->units[0].memory_mb, 256);  // 512 MB over two functions
  EXPECT_EQ(w->units[1].calls.size(), 1u);
}

TEST(BuildWorkload, SampleDurationsFollowTheirPercentiles) {
  auto t = ReadTrace(kSamples + "/sample104_inv.csv");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  WorkloadOptions o;
  o.seed = 42;
  auto w = BuildWorkload(*t, o);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->invocations, 452556);
  EXPECT_EQ(w->units.size(), 104u);
  EXPECT_EQ(w->horizon, std::chrono::hours(24));
  // The busiest function: the median of its drawn durations is its p50 within 3 %, and every
  // draw lies within [p0, p100].
  size_t busiest = 0;
  for (size_t i = 0; i < w->units.size(); ++i) {
    if (w->units[i].calls.size() > w->units[busiest].calls.size()) busiest = i;
  }
  const WorkloadUnit& u = w->units[busiest];
  const auto& p = t->functions[busiest].durations.percentiles.points;  // one function per app here
  ASSERT_EQ(t->functions[busiest].app, u.app);
  std::vector<double> ms;
  for (const auto& c : u.calls) ms.push_back(std::chrono::duration<double, std::milli>(c.duration).count());
  std::sort(ms.begin(), ms.end());
  ASSERT_GT(ms.size(), 10000u);
  EXPECT_NEAR(ms[ms.size() / 2], p[3].second, 0.03 * p[3].second);
  EXPECT_GE(ms.front(), p.front().second - 1e-3);
  EXPECT_LE(ms.back(), p.back().second + 1e-3);
  // Same seed, same workload; another seed, other times.
  auto again = BuildWorkload(*t, o);
  EXPECT_EQ(again->units[busiest].calls[100].start, u.calls[100].start);
  o.seed = 43;
  auto other = BuildWorkload(*t, o);
  EXPECT_NE(other->units[busiest].calls[100].start, u.calls[100].start);
}

TEST(BuildWorkload, Sample2021KeepsRecordedTimes) {
  auto t = ReadTrace(kSamples + "/azure2021_sample200.csv");
  ASSERT_TRUE(t.ok());
  auto w = BuildWorkload(*t, WorkloadOptions{});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->invocations, 199);
  EXPECT_EQ(w->units.size(), 13u);  // apps
  for (const auto& u : w->units) {
    EXPECT_EQ(u.memory_mb, 256);
    EXPECT_TRUE(std::is_sorted(u.calls.begin(), u.calls.end(),
                               [](const Call& a, const Call& b) { return a.start < b.start; }));
  }
}

}  // namespace
}  // namespace sl::trace

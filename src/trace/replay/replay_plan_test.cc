#include "trace/replay/replay_plan.h"

#include <gtest/gtest.h>

namespace sl::trace {
namespace {

const std::string kSamples = SL_TRACE_SAMPLES_DIR;

const Trace& Trace2019() {
  static const Trace* t = [] {
    auto r = ReadTrace(kSamples + "/sample104_inv.csv");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return new Trace(std::move(*r));
  }();
  return *t;
}
const Trace& Trace2021() {
  static const Trace* t = [] {
    auto r = ReadTrace(kSamples + "/azure2021_sample200.csv");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return new Trace(std::move(*r));
  }();
  return *t;
}

int64_t CallsIn(const Trace& t, int64_t a, int64_t b) {
  int64_t n = 0;
  for (const auto& f : t.functions) {
    for (int64_t m = a; m < b; ++m) n += f.per_minute[m];
  }
  return n;
}

bool HasNote(const ReplayPlan& p, const std::string& text) {
  for (const auto& n : p.notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ReplayPlanTest, WindowKeepsEveryInvocationOfItsMinutesAtSpeed) {
  ReplayOptions o;
  o.minute_begin = 600;
  o.minute_end = 610;
  o.speed = 60;
  auto p = BuildReplayPlan(Trace2019(), o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(static_cast<int64_t>(p->calls.size()), CallsIn(Trace2019(), 600, 610));
  EXPECT_EQ(p->trace_horizon, std::chrono::minutes(10));
  EXPECT_EQ(p->replay_horizon, std::chrono::seconds(10));
  for (size_t i = 0; i < p->calls.size(); ++i) {
    EXPECT_LT(p->calls[i].at, std::chrono::seconds(10));
    if (i > 0) {
      EXPECT_LE(p->calls[i - 1].at, p->calls[i].at);
    }
  }
  // Handler durations are the trace-time durations / speed, call for call.
  for (size_t f = 0; f < p->functions.size(); ++f) {
    std::vector<double> plan_ms;
    for (const auto& c : p->calls) {
      if (c.function == static_cast<int32_t>(f)) plan_ms.push_back(c.ms);
    }
    const auto& unit = p->workload.units[f];
    ASSERT_EQ(plan_ms.size(), unit.calls.size());
    std::vector<double> unit_ms;
    for (const auto& c : unit.calls) unit_ms.push_back(std::chrono::duration<double, std::milli>(c.duration).count() / 60);
    std::sort(plan_ms.begin(), plan_ms.end());
    std::sort(unit_ms.begin(), unit_ms.end());
    for (size_t k = 0; k < plan_ms.size(); ++k) EXPECT_NEAR(plan_ms[k], unit_ms[k], 1e-6);
  }
  EXPECT_TRUE(HasNote(*p, "minutes replayed: 600-610")) << p->notes.front();
  EXPECT_TRUE(HasNote(*p, "speed 60: send times and handler durations divided by 60"));
}

TEST(ReplayPlanTest, SamplesNFunctionsSeededAndSaysSo) {
  ReplayOptions o;
  o.minute_end = 60;
  o.functions = 5;
  o.seed = 7;
  auto a = BuildReplayPlan(Trace2019(), o);
  auto b = BuildReplayPlan(Trace2019(), o);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->functions.size(), 5u);
  EXPECT_GT(a->functions_with_calls, 5);
  EXPECT_EQ(a->trace_functions, 104);
  EXPECT_TRUE(HasNote(*a, fmt::format("sampled 5 of the {} with invocations", a->functions_with_calls)));
  ASSERT_EQ(a->calls.size(), b->calls.size());
  for (size_t i = 0; i < a->calls.size(); ++i) {
    EXPECT_EQ(a->calls[i].at, b->calls[i].at);
    EXPECT_EQ(a->calls[i].ms, b->calls[i].ms);
  }
  for (const auto& f : a->functions) {
    EXPECT_GT(f.calls, 0) << f.name;
    EXPECT_GT(f.memory_mb, 0) << f.name;
    EXPECT_EQ(f.name.rfind("trace-", 0), 0u);
    EXPECT_LE(f.name.size(), 64u);
  }
  o.seed = 8;
  auto c = BuildReplayPlan(Trace2019(), o);
  ASSERT_TRUE(c.ok());
  std::vector<std::string> names_a, names_c;
  for (const auto& f : a->functions) names_a.push_back(f.function);
  for (const auto& f : c->functions) names_c.push_back(f.function);
  EXPECT_NE(names_a, names_c) << "another seed should sample other functions";
}

TEST(ReplayPlanTest, MemoryFromTheAppAverageOrAPercentile) {
  // The sample's first app (one function): AverageAllocatedMb 373, pct50 380, pct100 388.
  const std::string app = "1779fd3337dd353e424d808d9190aff8f09e46a8cbbe6469079b2d7f0e246e37";
  auto memory_of = [&](double percentile) {
    ReplayOptions o;
    o.memory_percentile = percentile;
    auto p = BuildReplayPlan(Trace2019(), o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    for (const auto& f : p->functions) {
      if (f.app == app) return f.memory_mb;
    }
    ADD_FAILURE() << "app not replayed";
    return 0.0;
  };
  EXPECT_DOUBLE_EQ(memory_of(-1), 373);
  EXPECT_DOUBLE_EQ(memory_of(0.5), 380);
  EXPECT_DOUBLE_EQ(memory_of(1.0), 388);
  ReplayOptions bad;
  bad.memory_percentile = 1.5;
  auto r = BuildReplayPlan(Trace2019(), bad);
  EXPECT_NE(r.status().message().find("--memory-percentile 150"), std::string::npos) << r.status().ToString();
}

TEST(ReplayPlanTest, ScaleThinsAndRepeats) {
  ReplayOptions o;
  o.minute_end = 120;
  auto one = BuildReplayPlan(Trace2019(), o);
  o.scale = 2;
  auto two = BuildReplayPlan(Trace2019(), o);
  o.scale = 0.25;
  auto quarter = BuildReplayPlan(Trace2019(), o);
  ASSERT_TRUE(one.ok() && two.ok() && quarter.ok());
  EXPECT_EQ(two->calls.size(), 2 * one->calls.size());
  const double q = static_cast<double>(quarter->calls.size()) / static_cast<double>(one->calls.size());
  EXPECT_NEAR(q, 0.25, 0.02) << one->calls.size() << " calls";
  EXPECT_TRUE(HasNote(*quarter, "load scaled by 0.25"));
}

TEST(ReplayPlanTest, Trace2021WindowAndUncompressedDurations) {
  ReplayOptions o;
  o.minute_begin = 1;
  o.minute_end = 3;
  o.speed = 10;
  o.scale_durations = false;
  auto p = BuildReplayPlan(Trace2021(), o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  int64_t want = 0;
  double longest = 0;
  for (const auto& inv : Trace2021().invocations) {
    if (inv.start_s >= 60 && inv.start_s < 180) {
      ++want;
      longest = std::max(longest, inv.duration_s);
    }
  }
  ASSERT_GT(want, 0);
  EXPECT_EQ(static_cast<int64_t>(p->calls.size()), want);
  double plan_longest = 0;
  for (const auto& c : p->calls) {
    plan_longest = std::max(plan_longest, c.ms);
    EXPECT_LT(c.at, std::chrono::seconds(12));
  }
  EXPECT_NEAR(plan_longest, longest * 1000, 1e-3) << "durations are not divided by the speed";
  EXPECT_TRUE(HasNote(*p, "not divided by the speed"));
  EXPECT_TRUE(HasNote(*p, "2021 format"));
}

TEST(ReplayPlanTest, BadOptionsNameTheFlag) {
  ReplayOptions o;
  o.speed = 0;
  auto r = BuildReplayPlan(Trace2019(), o);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("--speed"), std::string::npos);
  o = {};
  o.scale = -1;
  EXPECT_NE(BuildReplayPlan(Trace2019(), o).status().message().find("--scale"), std::string::npos);
  o = {};
  o.functions = -2;
  EXPECT_NE(BuildReplayPlan(Trace2019(), o).status().message().find("--functions"), std::string::npos);
  o = {};
  o.minute_begin = 1400;
  o.minute_end = 1500;
  r = BuildReplayPlan(Trace2019(), o);
  EXPECT_NE(r.status().message().find("has minutes 0-1440"), std::string::npos) << r.status().ToString();
  // A window where nothing is invoked.
  Trace quiet = Trace2019();
  for (auto& f : quiet.functions) f.per_minute.assign(f.per_minute.size(), 0);
  o = {};
  o.minute_end = 5;
  r = BuildReplayPlan(quiet, o);
  EXPECT_NE(r.status().message().find("no invocation"), std::string::npos) << r.status().ToString();

  ReplayOptions m;
  EXPECT_TRUE(ParseMinuteRange("600-630", &m).ok());
  EXPECT_EQ(m.minute_begin, 600);
  EXPECT_EQ(m.minute_end, 630);
  for (const char* bad : {"630-600", "5", "a-b", "-3-4", "3-3", "1-2x"}) {
    Status s = ParseMinuteRange(bad, &m);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("--minutes"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace sl::trace

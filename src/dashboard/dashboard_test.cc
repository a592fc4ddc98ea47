#include "dashboard/dashboard.h"

#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "common/wait_until.h"
#include "dashboard/server_charts.h"

namespace sl::dashboard {
namespace {

struct Fixture {
  FakeClock clock;
  MetricsRegistry reg;
  Counter* ok = nullptr;
  Counter* refused = nullptr;
  Gauge* queued = nullptr;
  Histogram* latency = nullptr;
  double extra = 0;  // a value the "server" adds, like the placer's f_t
  bool fail = false;

  Fixture() {
    auto* req = *reg.AddCounter("t_requests_total", "Requests.", {"outcome"});
    ok = *req->WithLabels({"ok"});
    refused = *req->WithLabels({"refused"});
    queued = *(*reg.AddGauge("t_queued", "Queued.", {"tier"}))->WithLabels({"local"});
    latency = *(*reg.AddHistogram("t_seconds", "Latency.", {}, {0.01, 0.1, 1}))->WithLabels({});
  }
  MetricsReader Reader() {
    return [this]() -> Result<std::vector<MetricSample>> {
      if (fail) return Unavailable("no metrics now");
      SL_ASSIGN_OR_RETURN(auto s, ParsePrometheusText(reg.Render()));
      s.push_back({"t_extra", {}, extra});
      return s;
    };
  }
  DashboardOptions Options(size_t history = 300) {
    DashboardOptions o;
    o.title = "test <server>";
    o.clock = &clock;
    o.history = history;
    o.charts = {
        {"rate", "Requests per second", "requests/s", "note",
         {{"", "t_requests_total", {}, "outcome", SeriesKind::kRate}}},
        {"latency", "Latency", "ms", "",
         {{"p50", "t_seconds", {}, "", SeriesKind::kQuantile, 0.5, 1000},
          {"p99", "t_seconds", {}, "", SeriesKind::kQuantile, 0.99, 1000}}},
        {"mixed", "Queue and extra", "n", "",
         {{"queued", "t_queued", {}, "tier", SeriesKind::kValue}, {"extra", "t_extra", {}, ""}, {"absent", "t_none", {}, ""}}},
    };
    return o;
  }
};

nlohmann::json Chart(const nlohmann::json& state, const std::string& id) {
  for (const auto& c : state["charts"]) {
    if (c["id"] == id) return c;
  }
  ADD_FAILURE() << "no chart " << id;
  return {};
}

nlohmann::json Series(const nlohmann::json& chart, const std::string& name) {
  for (const auto& s : chart["series"]) {
    if (s["name"] == name) return s;
  }
  ADD_FAILURE() << "no series " << name << " in " << chart["id"];
  return {};
}

TEST(DashboardTest, RatesQuantilesAndValuesPerSecond) {
  Fixture f;
  Dashboard d(f.Options(), f.Reader());
  f.ok->Inc(5);
  f.queued->Set(3);
  f.extra = 812;
  ASSERT_TRUE(d.SampleNow().ok());  // t = 0: values only; rates and quantiles need a previous one
  f.clock.Advance(std::chrono::seconds(1));
  f.ok->Inc(100);
  f.refused->Inc(10);
  for (int i = 0; i < 10; ++i) f.latency->Observe(0.05);  // all in (0.01, 0.1]
  ASSERT_TRUE(d.SampleNow().ok());
  f.clock.Advance(std::chrono::seconds(2));
  f.ok->Inc(50);
  f.queued->Set(0);
  ASSERT_TRUE(d.SampleNow().ok());  // no observation in this interval: no latency point

  const auto state = nlohmann::json::parse(d.StateJson());
  EXPECT_EQ(state["title"], "test <server>");
  EXPECT_EQ(state["samples"], 3);
  EXPECT_DOUBLE_EQ(state["uptime_s"].get<double>(), 3);
  const auto rate = Chart(state, "rate");
  EXPECT_EQ(Series(rate, "ok")["points"], 2);
  EXPECT_DOUBLE_EQ(Series(rate, "ok")["last"].get<double>(), 25);  // 50 over 2 s
  EXPECT_EQ(Series(rate, "refused")["points"], 2);
  EXPECT_DOUBLE_EQ(Series(rate, "refused")["last"].get<double>(), 0);
  const auto latency = Chart(state, "latency");
  EXPECT_EQ(Series(latency, "p50")["points"], 1);
  EXPECT_TRUE(Series(latency, "p50")["last"].is_null());  // none this second
  const auto mixed = Chart(state, "mixed");
  EXPECT_EQ(Series(mixed, "queued local")["points"], 3);
  EXPECT_EQ(Series(mixed, "queued local")["last"], 0);
  EXPECT_EQ(Series(mixed, "extra")["last"], 812);
  EXPECT_EQ(mixed["series"].size(), 2u);  // a metric that does not exist draws no series

  // The SVG is the report's line chart with one <g class="series"> per series, its point count.
  const std::string svg = rate["svg"];
  EXPECT_NE(svg.find("data-name=\"ok\" data-points=\"2\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("<polyline "), std::string::npos);
  EXPECT_EQ(svg.find("<circle "), std::string::npos);  // lines only, no marker per second
  const std::string lat_svg = latency["svg"];
  // p50 of 10 observations in (0.01, 0.1]: half-way, 55 ms.
  EXPECT_NE(lat_svg.find("data-name=\"p50\" data-points=\"1\""), std::string::npos);
  EXPECT_NE(lat_svg.find("<title>p50: (1, 55)</title>"), std::string::npos) << lat_svg;
}

TEST(DashboardTest, HistoryIsBoundedAndTheStateCachedPerSample) {
  Fixture f;
  Dashboard d(f.Options(/*history=*/4), f.Reader());
  for (int i = 0; i < 10; ++i) {
    f.ok->Inc(1);
    ASSERT_TRUE(d.SampleNow().ok());
    f.clock.Advance(std::chrono::seconds(1));
  }
  const std::string first = d.StateJson();
  EXPECT_EQ(d.StateJson(), first);  // nothing new: the same answer
  const auto state = nlohmann::json::parse(first);
  EXPECT_EQ(Series(Chart(state, "rate"), "ok")["points"], 4);
  EXPECT_EQ(Series(Chart(state, "mixed"), "extra")["points"], 4);
  f.ok->Inc(1);
  ASSERT_TRUE(d.SampleNow().ok());
  EXPECT_NE(d.StateJson(), first);
}

TEST(DashboardTest, AFailedReadSkipsTheSampleAndCounterResetsDrawNoNegativeRate) {
  Fixture f;
  DashboardOptions o = f.Options();
  o.charts.push_back({"reset", "A counter that restarts", "per s", "", {{"x", "t_extra", {}, "", SeriesKind::kRate}}});
  Dashboard d(o, f.Reader());
  f.fail = true;
  Status s = d.SampleNow();
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(d.samples_taken(), 0);
  f.fail = false;
  f.extra = 10;
  ASSERT_TRUE(d.SampleNow().ok());
  f.clock.Advance(std::chrono::seconds(1));
  f.extra = 5;
  ASSERT_TRUE(d.SampleNow().ok());
  f.clock.Advance(std::chrono::seconds(1));
  f.extra = 8;
  ASSERT_TRUE(d.SampleNow().ok());
  EXPECT_EQ(d.samples_taken(), 3);
  const auto x = Series(Chart(nlohmann::json::parse(d.StateJson()), "reset"), "x");
  EXPECT_EQ(x["points"], 1);  // 10 -> 5 is a restart, not -5/s; 5 -> 8 is 3/s
  EXPECT_EQ(x["last"], 3);
}

TEST(DashboardTest, GroupsBeyondTheLimitAreNotDrawn) {
  Fixture f;
  DashboardOptions o = f.Options();
  o.max_series_per_chart = 2;
  auto* g = *f.reg.AddGauge("t_many", "Many.", {"function"});
  for (int i = 0; i < 5; ++i) (*g->WithLabels({"fn" + std::to_string(i)}))->Set(i);
  o.charts = {{"many", "Many", "n", "", {{"", "t_many", {}, "function", SeriesKind::kValue}}}};
  Dashboard d(o, f.Reader());
  ASSERT_TRUE(d.SampleNow().ok());
  const auto state = nlohmann::json::parse(d.StateJson());
  EXPECT_EQ(Chart(state, "many")["series"].size(), 2u);
}

TEST(DashboardTest, TheSamplerThreadSamplesUntilStopped) {
  Fixture f;
  Dashboard d(f.Options(), f.Reader());
  d.StartSampling(std::chrono::milliseconds(5));
  d.StartSampling(std::chrono::milliseconds(5));  // idempotent
  EXPECT_TRUE(WaitUntil([&] { return d.samples_taken() >= 3; }, std::chrono::seconds(10)));
  d.StopSampling();
  const int64_t n = d.samples_taken();
  d.StopSampling();
  EXPECT_EQ(d.samples_taken(), n);
}

TEST(ServerChartsTest, EveryChartHasAnIdTitleUnitAndSeries) {
  for (const auto& charts : {ServeCharts(), PlatformCharts()}) {
    EXPECT_GE(charts.size(), 6u);
    for (const auto& c : charts) {
      EXPECT_TRUE(std::regex_match(c.id, std::regex("[a-z0-9-]+"))) << c.id;
      EXPECT_FALSE(c.title.empty());
      EXPECT_FALSE(c.y_label.empty()) << c.id;
      EXPECT_FALSE(c.note.empty()) << c.id;
      EXPECT_FALSE(c.series.empty()) << c.id;
    }
  }
}

}  // namespace
}  // namespace sl::dashboard

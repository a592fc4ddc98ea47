#include "dashboard/metric_samples.h"

#include <cmath>

#include <gtest/gtest.h>

#include "common/metrics.h"

namespace sl::dashboard {
namespace {

TEST(ParsePrometheusTextTest, ReadsBackWhatTheRegistryRenders) {
  MetricsRegistry reg;
  auto* requests = *reg.AddCounter("sl_x_requests_total", "Requests.", {"tier", "outcome"});
  (*requests->WithLabels({"local", "ok"}))->Inc(7);
  (*requests->WithLabels({"function", "ok"}))->Inc(2);
  (*requests->WithLabels({"local", "refused"}))->Inc(1);
  auto* odd = *reg.AddGauge("sl_x_odd", "Escapes.", {"name"});
  (*odd->WithLabels({"a \"quoted\" \\ name\nline"}))->Set(-1.5);
  auto* h = *reg.AddHistogram("sl_x_seconds", "Latency.", {"tier"}, {0.1, 1});
  (*h->WithLabels({"local"}))->Observe(0.05);
  (*h->WithLabels({"local"}))->Observe(0.5);
  (*h->WithLabels({"function"}))->Observe(5);

  auto parsed = ParsePrometheusText(reg.Render());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  MetricsView v(std::move(parsed).value());
  EXPECT_EQ(v.Sum("sl_x_requests_total"), 10);
  EXPECT_EQ(v.Sum("sl_x_requests_total", {{"outcome", "ok"}}), 9);
  bool found = true;
  EXPECT_EQ(v.Sum("sl_x_requests_total", {{"outcome", "timeout"}}, &found), 0);
  EXPECT_FALSE(found);
  const auto by_tier = v.SumBy("sl_x_requests_total", "tier");
  ASSERT_EQ(by_tier.size(), 2u);
  EXPECT_EQ(by_tier.at("local"), 8);
  EXPECT_EQ(by_tier.at("function"), 2);
  EXPECT_EQ(v.SumBy("sl_x_odd", "name").at("a \"quoted\" \\ name\nline"), -1.5);

  const auto all = v.BucketsBy("sl_x_seconds", "");
  ASSERT_EQ(all.size(), 1u);
  const Buckets& b = all.at("");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.at(0.1), 1);
  EXPECT_EQ(b.at(1), 2);
  EXPECT_EQ(b.at(INFINITY), 3);
  EXPECT_EQ(v.BucketsBy("sl_x_seconds", "tier").at("function").at(1), 0);
}

TEST(ParsePrometheusTextTest, SpecialValuesTimestampsAndErrors) {
  auto ok = ParsePrometheusText("# HELP a x\n\na 1 1700000000000\nb{} +Inf\nc NaN\r\nd -2e-3\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 4u);
  EXPECT_EQ((*ok)[0].value, 1);
  EXPECT_TRUE(std::isinf((*ok)[1].value));
  EXPECT_TRUE(std::isnan((*ok)[2].value));
  EXPECT_DOUBLE_EQ((*ok)[3].value, -0.002);

  auto no_value = ParsePrometheusText("a 1\nb{x=\"1\"}\n");
  ASSERT_FALSE(no_value.ok());
  EXPECT_NE(no_value.status().message().find("line 2"), std::string::npos) << no_value.status().message();
  auto bad = ParsePrometheusText("a{x=\"1} 2\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unterminated"), std::string::npos);
  auto nan = ParsePrometheusText("a one\n");
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("'one' is not a number"), std::string::npos);
  EXPECT_FALSE(ParsePrometheusText("{x=\"1\"} 2\n").ok());
}

TEST(BucketQuantileTest, InterpolatesLikeHistogramQuantile) {
  // 10 observations: 4 in (0, 0.1], 4 in (0.1, 1], 2 above 1.
  Buckets b = {{0.1, 4}, {1, 8}, {INFINITY, 10}};
  EXPECT_DOUBLE_EQ(BucketQuantile(b, 0.2), 0.05);          // rank 2 of 4 in the first bucket
  EXPECT_DOUBLE_EQ(BucketQuantile(b, 0.6), 0.1 + 0.9 * 0.5);  // rank 6: half-way into (0.1, 1]
  EXPECT_DOUBLE_EQ(BucketQuantile(b, 0.99), 1);            // in +Inf: the largest finite bound
  EXPECT_TRUE(std::isnan(BucketQuantile({{0.1, 0}, {INFINITY, 0}}, 0.5)));
  EXPECT_TRUE(std::isnan(BucketQuantile({}, 0.5)));
  // The observations between two readings.
  const Buckets later = {{0.1, 4}, {1, 18}, {INFINITY, 20}};
  const Buckets d = Subtract(later, b);
  EXPECT_EQ(d.at(0.1), 0);
  EXPECT_EQ(d.at(1), 10);
  EXPECT_EQ(d.at(INFINITY), 10);
  EXPECT_DOUBLE_EQ(BucketQuantile(d, 0.5), 0.1 + 0.9 * 0.5);
}

}  // namespace
}  // namespace sl::dashboard

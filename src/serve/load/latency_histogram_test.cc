#include "serve/load/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "serve/load/load_report.h"

namespace sl::serve::load {
namespace {

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGaps) {
  EXPECT_EQ(LatencyHistogram::BucketOf(0), 0);
  EXPECT_EQ(LatencyHistogram::BucketOf(31), 31);
  EXPECT_EQ(LatencyHistogram::BucketOf(32), 32);
  for (int i = 0; i + 1 < LatencyHistogram::kBuckets; ++i) {
    ASSERT_EQ(LatencyHistogram::BucketUpper(i), LatencyHistogram::BucketLower(i + 1)) << i;
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketLower(i)), i) << i;
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketUpper(i) - 1), i) << i;
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(uint64_t{1} << 40), LatencyHistogram::kBuckets - 1);
}

// Against the exact nearest-rank percentile of the same values (load_report.h's Percentile):
// within 1/64 plus the rounding to whole microseconds; count, mean, min and max exact.
TEST(LatencyHistogram, PercentilesWithinOnePointSixPercentOfExact) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(std::log(20.0), 1.2);  // ms, long tail
  LatencyHistogram h;
  std::vector<float> exact;
  double sum = 0;
  for (int i = 0; i < 20000; ++i) {
    const double v = dist(rng);
    h.Add(v);
    exact.push_back(static_cast<float>(v));
    sum += v;
  }
  EXPECT_EQ(h.count(), 20000);
  EXPECT_NEAR(h.mean_ms(), sum / 20000, 1e-9 * sum);
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    const double want = Percentile(exact, p);
    EXPECT_NEAR(h.Percentile(p), want, want / 64 + 0.001) << "p" << p;
  }
  EXPECT_FLOAT_EQ(static_cast<float>(h.max_ms()), *std::max_element(exact.begin(), exact.end()));
  EXPECT_FLOAT_EQ(static_cast<float>(h.min_ms()), *std::min_element(exact.begin(), exact.end()));
}

TEST(LatencyHistogram, MergeEqualsAddingBothAndEmptyIsZero) {
  LatencyHistogram a, b, both;
  EXPECT_EQ(a.Percentile(50), 0);
  EXPECT_EQ(a.max_ms(), 0);
  for (double v : {0.5, 3.0, 12.0}) a.Add(v), both.Add(v);
  for (double v : {0.01, 250.0}) b.Add(v), both.Add(v);
  a.Merge(b);
  EXPECT_EQ(a.count(), 5);
  EXPECT_EQ(a.min_ms(), 0.01);
  EXPECT_EQ(a.max_ms(), 250.0);
  for (double p : {20.0, 50.0, 80.0, 100.0}) EXPECT_EQ(a.Percentile(p), both.Percentile(p)) << p;
  // Small values are exact (whole microseconds), negative or NaN ones count as 0.
  LatencyHistogram s;
  s.Add(0.007);
  s.Add(-3);
  s.Add(std::nan(""));
  EXPECT_EQ(s.Percentile(100), 0.007);
  EXPECT_EQ(s.Percentile(50), 0);
}

}  // namespace
}  // namespace sl::serve::load

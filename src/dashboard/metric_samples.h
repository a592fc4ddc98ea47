// Metric samples as a dashboard reads them: the Prometheus text exposition (format 0.0.4, what
// MetricsRegistry::Render() and every /metrics endpoint write) parsed back into samples, and the
// sums a chart needs over them (issue 19 §3).
//
//   SL_ASSIGN_OR_RETURN(std::vector<MetricSample> s, ParsePrometheusText(registry->Render()));
//   MetricsView v(std::move(s));
//   double ok = v.Sum("sl_serve_requests_total", {{"outcome", "ok"}});
//   std::map<std::string, double> by_tier = v.SumBy("sl_serve_placements_total", "tier");
//
// Why text and not the registry's objects: the text is the servers' published surface (the same
// numbers /metrics serves), it needs no change to common/metrics, and reading it once a second
// costs the server one Render() (which never blocks an increment; metrics.h).
// Failure contract: ParsePrometheusText returns INVALID_ARGUMENT naming the line number and what
// was wrong (a missing value, an unterminated label value, a value that is not a number).
// Thread safety: MetricsView is immutable after construction; the functions are pure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sl::dashboard {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct MetricSample {
  std::string name;   // e.g. "sl_serve_request_duration_seconds_bucket"
  Labels labels;      // in the text's order, values unescaped
  double value = 0;
};

Result<std::vector<MetricSample>> ParsePrometheusText(std::string_view text);

// A histogram's buckets summed over the series that match: upper bound → cumulative count
// (+Inf included as infinity). Series with other bounds simply add to the bounds they have.
using Buckets = std::map<double, double>;

// The q-quantile (0 < q < 1) of the observations in `buckets` (cumulative counts), interpolated
// linearly inside the bucket it falls in, as Prometheus' histogram_quantile(): NaN when there is
// no observation; the largest finite bound when it falls in the +Inf bucket.
double BucketQuantile(const Buckets& buckets, double q);
// a - b bucket by bucket (the observations between two readings); bounds only in `a` keep a's count.
Buckets Subtract(const Buckets& a, const Buckets& b);

class MetricsView {
 public:
  MetricsView() = default;
  explicit MetricsView(std::vector<MetricSample> samples);

  // Sum of the samples named `name` whose labels include every (label, value) of `match`.
  // `found` (may be null) says whether any sample matched.
  double Sum(std::string_view name, const Labels& match = {}, bool* found = nullptr) const;
  // The same sums grouped by the value of `label` (samples without it are left out).
  std::map<std::string, double> SumBy(std::string_view name, std::string_view label,
                                      const Labels& match = {}) const;
  // The buckets of histogram `base` (its "<base>_bucket" samples) matching `match`; grouped by
  // `label` when it is not empty (key "" otherwise).
  std::map<std::string, Buckets> BucketsBy(std::string_view base, std::string_view label,
                                           const Labels& match = {}) const;
  size_t size() const { return samples_.size(); }

 private:
  std::vector<MetricSample> samples_;
};

}  // namespace sl::dashboard

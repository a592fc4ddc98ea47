// Dashboard: the live charts of a running server (issue 19 §3) — `serve`'s gateway and `platform
// serve`'s embedded platform. Once a second a sampler thread reads the server's own metrics (the
// text its /metrics endpoint serves, plus values the server adds, e.g. the placer's f_t) and keeps
// one point per series in a fixed-size history (DashboardOptions::history samples; the oldest is
// dropped). The page (dashboard_http.h) polls StateJson() once a second; the charts in it are SVG
// written here by the report's own chart code (report/svg_chart.h), so the dashboard looks like
// the report and the page needs no charting script and no external URL.
//
// What a series shows (SeriesSpec::kind), from the samples of one metric matching its labels,
// summed, or one series per value of `group_by`:
//   kValue     the value as read (a gauge, or a counter's total so far, e.g. cost)
//   kRate      a counter's increase per second since the previous sample
//   kQuantile  the quantile of a histogram's observations since the previous sample
//              (histogram_quantile over the bucket increases)
// A series has no point for a second in which it cannot say (no previous sample, no observation,
// a counter that went down); points are (seconds since the dashboard started, value × scale).
//
// Cost: the request path is not touched — a sample is one metrics Render() and a parse on the
// sampler thread; charts are drawn at most once per sample, on the first poll after it, and the
// JSON is cached until the next sample. docs/benchmarks.md measures the gateway with the page
// open against closed.
// Ownership: owns its history and its sampler thread (stopped by StopSampling() or the destructor).
// Thread safety: SampleNow, StateJson and the accessors may be called from any thread (one mutex);
// the reader is called from one thread at a time, without that mutex held.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "dashboard/metric_samples.h"

namespace sl::dashboard {

enum class SeriesKind { kValue, kRate, kQuantile };

struct SeriesSpec {
  std::string name;      // legend; with group_by, put before each group's value ("" : the value alone)
  std::string metric;    // family name (kQuantile: the histogram's base name)
  Labels match;          // samples must carry these label values
  std::string group_by;  // "" : one series, the sum
  SeriesKind kind = SeriesKind::kValue;
  double quantile = 0.5; // kQuantile
  double scale = 1;      // e.g. 1000: seconds → ms
};

struct ChartSpec {
  std::string id;        // stable, for the page and tests: [a-z0-9-]
  std::string title;
  std::string y_label;   // with its unit
  std::string note;      // what is measured here, shown under the chart
  std::vector<SeriesSpec> series;
};

struct DashboardOptions {
  std::string title = "straightline";
  std::vector<ChartSpec> charts;
  size_t history = 300;              // samples kept per series (5 minutes at 1 Hz)
  size_t max_series_per_chart = 8;   // further group values are not drawn (bounded page)
  Clock* clock = nullptr;            // null: Clock::Real(); stamps the samples
};

// The server's metrics now. Called once per sample.
using MetricsReader = std::function<Result<std::vector<MetricSample>>()>;

class Dashboard {
 public:
  Dashboard(DashboardOptions options, MetricsReader read);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // Takes one sample now (tests; the sampler thread). The reader's error is returned and the
  // sample skipped.
  Status SampleNow();
  // Starts a thread that calls SampleNow() every `period` of real time, the first at once.
  // Idempotent. A failing reader is logged once per minute at most.
  void StartSampling(std::chrono::milliseconds period = std::chrono::seconds(1));
  void StopSampling();  // idempotent

  // {"title", "uptime_s", "samples", "period_s", "charts": [{"id", "title", "note", "svg",
  //  "series": [{"name", "points", "last"}]}]} — "last" is the newest point's value or null.
  std::string StateJson();
  int64_t samples_taken() const;
  const DashboardOptions& options() const { return options_; }

 private:
  struct Sample {
    double t_s = 0;
    // per chart: (series name, value) of the series that had a point this second
    std::vector<std::vector<std::pair<std::string, double>>> charts;
  };
  void Derive(const MetricsView& view, double t_s, Sample* out);  // REQUIRES(mu_)
  std::string Render();                                           // REQUIRES(mu_)

  DashboardOptions options_;
  MetricsReader read_;
  Clock* clock_;
  TimePoint start_;
  std::mutex read_mu_;  // one reader call at a time
  mutable std::mutex mu_;
  std::deque<Sample> history_;                          // GUARDED_BY(mu_)
  std::map<std::string, double> prev_totals_;           // GUARDED_BY(mu_) kRate: last total per key
  std::map<std::string, Buckets> prev_buckets_;         // GUARDED_BY(mu_) kQuantile
  double prev_t_s_ = -1;                                // GUARDED_BY(mu_)
  std::vector<std::vector<std::string>> series_order_;  // GUARDED_BY(mu_) per chart, first seen first
  int64_t samples_ = 0;                                 // GUARDED_BY(mu_)
  int64_t rendered_at_ = -1;                            // GUARDED_BY(mu_) samples_ of cached_
  std::string cached_;                                  // GUARDED_BY(mu_)

  std::mutex thread_mu_;
  std::condition_variable thread_cv_;
  bool stop_ = false;  // GUARDED_BY(thread_mu_)
  std::thread sampler_;
};

}  // namespace sl::dashboard

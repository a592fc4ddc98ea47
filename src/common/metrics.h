// A small Prometheus metrics registry: counters, gauges and histograms with labels, rendered in
// the text exposition format 0.0.4 (what `curl /metrics` and Prometheus scrape).
//
//   MetricsRegistry& reg = *MetricsRegistry::Default();
//   SL_ASSIGN_OR_RETURN(CounterFamily* inv, reg.AddCounter("sl_faas_invocations_total",
//                                                           "Invocations.", {"function"}));
//   SL_ASSIGN_OR_RETURN(Counter* c, inv->WithLabels({"echo"}));   // look up once, keep c
//   c->Inc();                                                      // hot path: one atomic add
//
// Ownership: the registry owns families, families own their cells; pointers stay valid for the
// registry's lifetime (Default() lives for the process).
// Thread safety: everything is thread-safe. Inc/Set/Observe are lock-free atomics;
// WithLabels takes a per-family mutex (cache the returned pointer on hot paths); Render holds
// each mutex only to copy pointers (the families, then one family's cells) and formats without
// any lock, so a scrape never blocks WithLabels or an increment for the time it takes to format
// (issue 16: a 393 MB /metrics blocked inference for 1.7 s). A scrape concurrent with Observe may
// see _sum and _count of one histogram from slightly different instants (as in the official
// client libraries).
// Cardinality: a family holds at most max_series() label sets (default kDefaultMaxSeries); the
// label sets that come after share one series whose every label value is kOverflowLabelValue
// (logged once per family). Callers should still map unbounded inputs (e.g. a model name from a
// URL) to a fixed value themselves; the cap only keeps a mistake from growing the registry.
// Failure contract: invalid metric/label names, a name re-registered with another type, help,
// label set or buckets (ALREADY_EXISTS), and a wrong number of label values (INVALID_ARGUMENT)
// are errors naming the metric.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sl {

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
// Series per family before new label sets go to the overflow series.
inline constexpr size_t kDefaultMaxSeries = 2000;
inline constexpr std::string_view kOverflowLabelValue = "__overflow__";

class Counter {
 public:
  // v must be >= 0 (a negative or NaN increment is ignored: counters only go up).
  void Inc(double v = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Dec(double v = 1) { value_.fetch_sub(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // upper_bounds: strictly increasing, finite; +Inf is implicit.
  explicit Histogram(const std::vector<double>& upper_bounds);
  Histogram() : Histogram(std::vector<double>{}) {}  // only the +Inf bucket
  void Observe(double v);

  struct Snapshot {
    std::vector<double> upper_bounds;   // without +Inf
    std::vector<uint64_t> cumulative;   // one per bound, then one for +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (last: +Inf)
  std::atomic<double> sum_{0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

class MetricFamilyBase {
 public:
  MetricFamilyBase(std::string name, std::string help, MetricType type,
                   std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), type_(type),
        label_names_(std::move(label_names)) {}
  virtual ~MetricFamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Appends this family's exposition (HELP, TYPE, samples) to out. `after_snapshot` (may be
  // null) is called with the family's name once its series are copied, before formatting.
  virtual void Render(std::string* out,
                      const std::function<void(const std::string&)>* after_snapshot) const = 0;
  void Render(std::string* out) const { Render(out, nullptr); }

 protected:
  Status CheckArity(const std::vector<std::string>& values) const;
  std::string name_, help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

template <typename Cell>
class MetricFamily : public MetricFamilyBase {
 public:
  using MetricFamilyBase::MetricFamilyBase;
  // The cell for these label values (created on first use). Values in label_names() order.
  // Past max_series() label sets: the overflow series (see the top of this file).
  Result<Cell*> WithLabels(const std::vector<std::string>& values);
  using MetricFamilyBase::Render;
  void Render(std::string* out,
              const std::function<void(const std::string&)>* after_snapshot) const override;

  size_t max_series() const { return max_series_.load(std::memory_order_relaxed); }
  void set_max_series(size_t n) { max_series_.store(n, std::memory_order_relaxed); }
  size_t series() const;  // label sets held, the overflow series included

 protected:
  // Label values and cell of every series, copied under mu_ (nodes and cells are never erased,
  // so the pointers stay valid), in label order.
  std::vector<std::pair<const std::vector<std::string>*, const Cell*>> Snapshot() const;
  virtual std::unique_ptr<Cell> MakeCell() const { return std::make_unique<Cell>(); }
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Cell>> cells_;  // GUARDED_BY(mu_)
  std::atomic<size_t> max_series_{kDefaultMaxSeries};
  bool overflow_logged_ = false;  // GUARDED_BY(mu_)
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;

class HistogramFamily final : public MetricFamily<Histogram> {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds)
      : MetricFamily<Histogram>(std::move(name), std::move(help), MetricType::kHistogram,
                                std::move(label_names)),
        bounds_(std::move(bounds)) {}
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::unique_ptr<Histogram> MakeCell() const override {
    return std::make_unique<Histogram>(bounds_);
  }
  std::vector<double> bounds_;
};

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registering an identical family again returns the existing one.
  Result<CounterFamily*> AddCounter(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names = {});
  Result<GaugeFamily*> AddGauge(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names = {});
  Result<HistogramFamily*> AddHistogram(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> upper_bounds);

  // Text exposition format 0.0.4, families sorted by name, series sorted by label values.
  std::string Render() const;

  // Test seam: called by Render after copying each family's series and before formatting them,
  // with no lock held (tests check that nothing is locked while formatting). Not thread-safe
  // against a concurrent Render; set it before scraping.
  void SetFormatHookForTesting(std::function<void(const std::string& family)> hook) {
    format_hook_ = std::move(hook);
  }

  // The process-wide registry served on /metrics (never destroyed).
  static MetricsRegistry* Default();

 private:
  Status CheckNew(const std::string& name, const std::vector<std::string>& label_names,
                  MetricType type) const;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamilyBase>> families_;  // GUARDED_BY(mu_)
  std::function<void(const std::string&)> format_hook_;
};

// Bucket helpers: {start, start*factor, ...} (count values) and {start, start+width, ...}.
std::vector<double> ExponentialBuckets(double start, double factor, int count);
std::vector<double> LinearBuckets(double start, double width, int count);
// Prometheus client defaults: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 (seconds).
std::vector<double> DefaultBuckets();

// Exposition helpers (also used by tests): label value escaping (\ " newline), HELP escaping
// (\ newline), and sample value formatting (+Inf, -Inf, NaN, shortest round-trip decimal).
std::string EscapeLabelValue(std::string_view v);
std::string EscapeHelp(std::string_view v);
std::string FormatSampleValue(double v);

}  // namespace sl

#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/log.h"

namespace sl {
namespace {

bool ValidMetricName(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ValidLabelName(std::string_view n) {
  if (n.empty() || n.substr(0, 2) == "__") return false;  // "__" prefix is reserved
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void AppendLabels(std::string* out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out->push_back(',');
    first = false;
    fmt::format_to(std::back_inserter(*out), "{}=\"{}\"", names[i], EscapeLabelValue(values[i]));
  }
  if (!extra_name.empty()) {
    if (!first) out->push_back(',');
    fmt::format_to(std::back_inserter(*out), "{}=\"{}\"", extra_name, extra_value);
  }
  out->push_back('}');
}

void AppendHeader(std::string* out, const MetricFamilyBase& f) {
  static constexpr std::string_view kTypes[] = {"counter", "gauge", "histogram"};
  fmt::format_to(std::back_inserter(*out), "# HELP {} {}\n# TYPE {} {}\n", f.name(),
                 EscapeHelp(f.help()), f.name(), kTypes[static_cast<int>(f.type())]);
}

}  // namespace

void Counter::Inc(double v) {
  if (!(v >= 0)) return;  // also rejects NaN
  value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(const std::vector<double>& upper_bounds)
    : bounds_(upper_bounds), counts_(new std::atomic<uint64_t>[upper_bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  // First bucket whose upper bound is >= v ("le" is inclusive); past the end = +Inf bucket.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  if (std::isnan(v)) i = bounds_.size();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

Status MetricFamilyBase::CheckArity(const std::vector<std::string>& values) const {
  if (values.size() != label_names_.size()) {
    return InvalidArgument("metric {}: {} label value(s) given, labels are [{}]", name_,
                           values.size(), fmt::join(label_names_, ", "));
  }
  return Status::Ok();
}

template <typename Cell>
Result<Cell*> MetricFamily<Cell>::WithLabels(const std::vector<std::string>& values) {
  SL_RETURN_IF_ERROR(CheckArity(values));
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = cells_.find(values); it != cells_.end()) return it->second.get();
  if (cells_.size() >= max_series()) {
    std::vector<std::string> overflow(label_names_.size(), std::string(kOverflowLabelValue));
    if (!overflow_logged_) {
      overflow_logged_ = true;
      SL_LOG_WARN("metrics", "metric {}: more than {} label sets; new ones are counted under "
                  "{}=\"{}\"", name_, max_series(), label_names_.empty() ? "" : label_names_[0],
                  kOverflowLabelValue);
    }
    auto& slot = cells_[overflow];
    if (!slot) slot = MakeCell();
    return slot.get();
  }
  auto& slot = cells_[values];
  slot = MakeCell();
  return slot.get();
}

template <typename Cell>
size_t MetricFamily<Cell>::series() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cells_.size();
}

template <typename Cell>
std::vector<std::pair<const std::vector<std::string>*, const Cell*>> MetricFamily<Cell>::Snapshot()
    const {
  std::vector<std::pair<const std::vector<std::string>*, const Cell*>> out;
  std::lock_guard<std::mutex> lock(mu_);
  out.reserve(cells_.size());
  for (const auto& [values, cell] : cells_) out.emplace_back(&values, cell.get());
  return out;
}

template <>
void MetricFamily<Counter>::Render(
    std::string* out, const std::function<void(const std::string&)>* after_snapshot) const {
  AppendHeader(out, *this);
  const auto series = Snapshot();
  if (after_snapshot != nullptr && *after_snapshot) (*after_snapshot)(name_);
  for (const auto& [values, cell] : series) {
    out->append(name_);
    AppendLabels(out, label_names_, *values);
    fmt::format_to(std::back_inserter(*out), " {}\n", FormatSampleValue(cell->Value()));
  }
}

template <>
void MetricFamily<Gauge>::Render(
    std::string* out, const std::function<void(const std::string&)>* after_snapshot) const {
  AppendHeader(out, *this);
  const auto series = Snapshot();
  if (after_snapshot != nullptr && *after_snapshot) (*after_snapshot)(name_);
  for (const auto& [values, cell] : series) {
    out->append(name_);
    AppendLabels(out, label_names_, *values);
    fmt::format_to(std::back_inserter(*out), " {}\n", FormatSampleValue(cell->Value()));
  }
}

template <>
void MetricFamily<Histogram>::Render(
    std::string* out, const std::function<void(const std::string&)>* after_snapshot) const {
  AppendHeader(out, *this);
  const auto series = Snapshot();
  if (after_snapshot != nullptr && *after_snapshot) (*after_snapshot)(name_);
  for (const auto& [values_ptr, cell] : series) {
    const std::vector<std::string>& values = *values_ptr;
    Histogram::Snapshot s = cell->Read();
    for (size_t i = 0; i < s.cumulative.size(); ++i) {
      std::string le = i < s.upper_bounds.size() ? FormatSampleValue(s.upper_bounds[i]) : "+Inf";
      out->append(name_).append("_bucket");
      AppendLabels(out, label_names_, values, "le", le);
      fmt::format_to(std::back_inserter(*out), " {}\n", s.cumulative[i]);
    }
    out->append(name_).append("_sum");
    AppendLabels(out, label_names_, values);
    fmt::format_to(std::back_inserter(*out), " {}\n", FormatSampleValue(s.sum));
    out->append(name_).append("_count");
    AppendLabels(out, label_names_, values);
    fmt::format_to(std::back_inserter(*out), " {}\n", s.count);
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

Status MetricsRegistry::CheckNew(const std::string& name,
                                 const std::vector<std::string>& label_names,
                                 MetricType type) const {
  if (!ValidMetricName(name)) {
    return InvalidArgument("metric '{}': invalid name (want [a-zA-Z_:][a-zA-Z0-9_:]*)", name);
  }
  for (const auto& l : label_names) {
    if (!ValidLabelName(l)) {
      return InvalidArgument("metric {}: invalid label name '{}' (want [a-zA-Z_][a-zA-Z0-9_]*, "
                             "no leading __)", name, l);
    }
    if (type == MetricType::kHistogram && l == "le") {
      return InvalidArgument("metric {}: label 'le' is reserved for histogram buckets", name);
    }
  }
  std::vector<std::string> sorted = label_names;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return InvalidArgument("metric {}: duplicate label name", name);
  }
  return Status::Ok();
}

namespace {

// Returns the existing family if it matches exactly, an error if it conflicts, null if new.
template <typename F>
Result<F*> FindExisting(const std::map<std::string, std::unique_ptr<MetricFamilyBase>>& families,
                        const std::string& name, const std::string& help,
                        const std::vector<std::string>& labels, MetricType type) {
  auto it = families.find(name);
  if (it == families.end()) return static_cast<F*>(nullptr);
  const MetricFamilyBase& f = *it->second;
  if (f.type() != type || f.help() != help || f.label_names() != labels) {
    return AlreadyExists("metric {}: already registered with a different type, help or labels",
                         name);
  }
  return static_cast<F*>(it->second.get());
}

}  // namespace

Result<CounterFamily*> MetricsRegistry::AddCounter(const std::string& name,
                                                   const std::string& help,
                                                   std::vector<std::string> label_names) {
  SL_RETURN_IF_ERROR(CheckNew(name, label_names, MetricType::kCounter));
  std::lock_guard<std::mutex> lock(mu_);
  SL_ASSIGN_OR_RETURN(CounterFamily * existing,
                      FindExisting<CounterFamily>(families_, name, help, label_names,
                                                  MetricType::kCounter));
  if (existing) return existing;
  auto f = std::make_unique<CounterFamily>(name, help, MetricType::kCounter, std::move(label_names));
  CounterFamily* raw = f.get();
  families_[name] = std::move(f);
  return raw;
}

Result<GaugeFamily*> MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                                               std::vector<std::string> label_names) {
  SL_RETURN_IF_ERROR(CheckNew(name, label_names, MetricType::kGauge));
  std::lock_guard<std::mutex> lock(mu_);
  SL_ASSIGN_OR_RETURN(GaugeFamily * existing,
                      FindExisting<GaugeFamily>(families_, name, help, label_names,
                                                MetricType::kGauge));
  if (existing) return existing;
  auto f = std::make_unique<GaugeFamily>(name, help, MetricType::kGauge, std::move(label_names));
  GaugeFamily* raw = f.get();
  families_[name] = std::move(f);
  return raw;
}

Result<HistogramFamily*> MetricsRegistry::AddHistogram(const std::string& name,
                                                       const std::string& help,
                                                       std::vector<std::string> label_names,
                                                       std::vector<double> upper_bounds) {
  SL_RETURN_IF_ERROR(CheckNew(name, label_names, MetricType::kHistogram));
  if (upper_bounds.empty()) return InvalidArgument("metric {}: no buckets", name);
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i]) || (i > 0 && upper_bounds[i] <= upper_bounds[i - 1])) {
      return InvalidArgument("metric {}: bucket bounds must be finite and strictly increasing "
                             "(bound #{} = {})", name, i, upper_bounds[i]);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  SL_ASSIGN_OR_RETURN(HistogramFamily * existing,
                      FindExisting<HistogramFamily>(families_, name, help, label_names,
                                                    MetricType::kHistogram));
  if (existing) {
    if (existing->bounds() != upper_bounds) {
      return AlreadyExists("metric {}: already registered with different buckets", name);
    }
    return existing;
  }
  auto f = std::make_unique<HistogramFamily>(name, help, std::move(label_names),
                                             std::move(upper_bounds));
  HistogramFamily* raw = f.get();
  families_[name] = std::move(f);
  return raw;
}

std::string MetricsRegistry::Render() const {
  std::vector<const MetricFamilyBase*> families;
  {
    std::lock_guard<std::mutex> lock(mu_);  // families are never removed
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family.get());
  }
  std::string out;
  for (const MetricFamilyBase* f : families) f->Render(&out, &format_hook_);
  return out;
}

MetricsRegistry* MetricsRegistry::Default() {
  static MetricsRegistry* registry = new MetricsRegistry();  // never destroyed: usable at exit
  return registry;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> b;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) b.push_back(v);
  return b;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  std::vector<double> b;
  for (int i = 0; i < count; ++i) b.push_back(start + width * i);
  return b;
}

std::vector<double> DefaultBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string FormatSampleValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // shortest representation that round-trips
}

}  // namespace sl

#include "dashboard/metric_samples.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace sl::dashboard {
namespace {

bool NameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

Result<double> ParseValue(std::string_view v, size_t line) {
  if (v == "+Inf" || v == "Inf") return std::numeric_limits<double>::infinity();
  if (v == "-Inf") return -std::numeric_limits<double>::infinity();
  if (v == "NaN") return std::numeric_limits<double>::quiet_NaN();
  std::string s(v);
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    return InvalidArgument("metrics text line {}: value '{}' is not a number", line, s);
  }
  return d;
}

bool Matches(const Labels& labels, const Labels& match) {
  for (const auto& [k, want] : match) {
    bool ok = false;
    for (const auto& [lk, lv] : labels) {
      if (lk == k) {
        ok = lv == want;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

const std::string* Find(const Labels& labels, std::string_view key) {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

}  // namespace

Result<std::vector<MetricSample>> ParsePrometheusText(std::string_view text) {
  std::vector<MetricSample> out;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size() || line[i] == '#') continue;
    MetricSample s;
    const size_t name_start = i;
    while (i < line.size() && NameChar(line[i], i == name_start)) ++i;
    if (i == name_start) return InvalidArgument("metrics text line {}: no metric name", line_no);
    s.name = std::string(line.substr(name_start, i - name_start));
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        const size_t k0 = i;
        while (i < line.size() && NameChar(line[i], i == k0)) ++i;
        if (i == k0 || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
          return InvalidArgument("metrics text line {}: malformed label at byte {}", line_no, i);
        }
        std::string key(line.substr(k0, i - k0)), value;
        i += 2;
        bool closed = false;
        while (i < line.size()) {
          const char c = line[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\' && i < line.size()) {
            const char e = line[i++];
            value += e == 'n' ? '\n' : e;
          } else {
            value += c;
          }
        }
        if (!closed) return InvalidArgument("metrics text line {}: unterminated value of label '{}'", line_no, key);
        s.labels.emplace_back(std::move(key), std::move(value));
      }
    }
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t v0 = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i == v0) return InvalidArgument("metrics text line {}: '{}' has no value", line_no, s.name);
    SL_ASSIGN_OR_RETURN(s.value, ParseValue(line.substr(v0, i - v0), line_no));
    out.push_back(std::move(s));  // a timestamp after the value, if any, is ignored
  }
  return out;
}

double BucketQuantile(const Buckets& buckets, double q) {
  if (buckets.empty()) return std::nan("");
  const double total = buckets.rbegin()->second;  // +Inf (or the largest bound) is the count
  if (!(total > 0)) return std::nan("");
  const double rank = q * total;
  double prev_bound = 0, prev_count = 0, last_finite = 0;
  for (const auto& [bound, count] : buckets) {
    if (std::isinf(bound)) return last_finite;
    if (count >= rank) {
      const double in_bucket = count - prev_count;
      if (in_bucket <= 0) return bound;
      return prev_bound + (bound - prev_bound) * (rank - prev_count) / in_bucket;
    }
    prev_bound = bound, prev_count = count, last_finite = bound;
  }
  return last_finite;
}

Buckets Subtract(const Buckets& a, const Buckets& b) {
  Buckets out;
  for (const auto& [bound, count] : a) {
    auto it = b.find(bound);
    out[bound] = it == b.end() ? count : count - it->second;
  }
  return out;
}

MetricsView::MetricsView(std::vector<MetricSample> samples) : samples_(std::move(samples)) {}

double MetricsView::Sum(std::string_view name, const Labels& match, bool* found) const {
  double sum = 0;
  bool any = false;
  for (const auto& s : samples_) {
    if (s.name != name || !Matches(s.labels, match)) continue;
    sum += s.value;
    any = true;
  }
  if (found != nullptr) *found = any;
  return sum;
}

std::map<std::string, double> MetricsView::SumBy(std::string_view name, std::string_view label,
                                                 const Labels& match) const {
  std::map<std::string, double> out;
  for (const auto& s : samples_) {
    if (s.name != name || !Matches(s.labels, match)) continue;
    if (const std::string* v = Find(s.labels, label)) out[*v] += s.value;
  }
  return out;
}

std::map<std::string, Buckets> MetricsView::BucketsBy(std::string_view base, std::string_view label,
                                                      const Labels& match) const {
  std::map<std::string, Buckets> out;
  const std::string name = std::string(base) + "_bucket";
  for (const auto& s : samples_) {
    if (s.name != name || !Matches(s.labels, match)) continue;
    const std::string* le = Find(s.labels, "le");
    if (le == nullptr) continue;
    auto bound = ParseValue(*le, 0);
    if (!bound.ok() || std::isnan(*bound)) continue;
    std::string key;
    if (!label.empty()) {
      const std::string* v = Find(s.labels, label);
      if (v == nullptr) continue;
      key = *v;
    }
    out[key][*bound] += s.value;
  }
  return out;
}

}  // namespace sl::dashboard

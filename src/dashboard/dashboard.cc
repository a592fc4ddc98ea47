#include "dashboard/dashboard.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "report/svg_chart.h"

namespace sl::dashboard {
namespace {

std::string SeriesName(const SeriesSpec& s, const std::string& group) {
  if (s.group_by.empty()) return s.name;
  return s.name.empty() ? group : s.name + " " + group;
}

}  // namespace

Dashboard::Dashboard(DashboardOptions options, MetricsReader read)
    : options_(std::move(options)), read_(std::move(read)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()), start_(clock_->Now()) {
  if (options_.history == 0) options_.history = 1;
  series_order_.resize(options_.charts.size());
}

Dashboard::~Dashboard() { StopSampling(); }

Status Dashboard::SampleNow() {
  Result<std::vector<MetricSample>> read = [&] {
    std::lock_guard<std::mutex> l(read_mu_);
    return read_();
  }();
  if (!read.ok()) return read.status();
  const MetricsView view(std::move(read).value());
  const double t_s = SecondsBetween(start_, clock_->Now());
  std::lock_guard<std::mutex> l(mu_);
  Sample s;
  Derive(view, t_s, &s);
  history_.push_back(std::move(s));
  while (history_.size() > options_.history) history_.pop_front();
  prev_t_s_ = t_s;
  ++samples_;
  return Status::Ok();
}

void Dashboard::Derive(const MetricsView& view, double t_s, Sample* out) {
  const double dt = prev_t_s_ < 0 ? -1 : t_s - prev_t_s_;
  out->t_s = t_s;
  out->charts.resize(options_.charts.size());
  for (size_t c = 0; c < options_.charts.size(); ++c) {
    const ChartSpec& chart = options_.charts[c];
    auto& points = out->charts[c];
    auto& order = series_order_[c];
    auto add = [&](std::string name, double v) {
      if (!std::isfinite(v)) return;
      if (std::find(order.begin(), order.end(), name) == order.end()) {
        if (order.size() >= options_.max_series_per_chart) return;  // bounded page
        order.push_back(name);
      }
      points.emplace_back(std::move(name), v);
    };
    for (size_t si = 0; si < chart.series.size(); ++si) {
      const SeriesSpec& spec = chart.series[si];
      const std::string key_prefix = fmt::format("{}/{}/", c, si);
      if (spec.kind == SeriesKind::kQuantile) {
        for (const auto& [group, buckets] : view.BucketsBy(spec.metric, spec.group_by, spec.match)) {
          const std::string key = key_prefix + group;
          auto prev = prev_buckets_.find(key);
          if (prev != prev_buckets_.end() && dt > 0) {
            add(SeriesName(spec, group), BucketQuantile(Subtract(buckets, prev->second), spec.quantile) * spec.scale);
          }
          prev_buckets_[key] = buckets;
        }
        continue;
      }
      std::map<std::string, double> values;
      if (spec.group_by.empty()) {
        bool found = false;
        const double v = view.Sum(spec.metric, spec.match, &found);
        if (found) values[""] = v;
      } else {
        values = view.SumBy(spec.metric, spec.group_by, spec.match);
      }
      for (const auto& [group, v] : values) {
        if (spec.kind == SeriesKind::kValue) {
          add(SeriesName(spec, group), v * spec.scale);
          continue;
        }
        const std::string key = key_prefix + group;
        auto prev = prev_totals_.find(key);
        if (prev != prev_totals_.end() && dt > 0 && v >= prev->second) {
          add(SeriesName(spec, group), (v - prev->second) / dt * spec.scale);
        }
        prev_totals_[key] = v;
      }
    }
  }
}

std::string Dashboard::Render() {
  nlohmann::json charts = nlohmann::json::array();
  for (size_t c = 0; c < options_.charts.size(); ++c) {
    const ChartSpec& chart = options_.charts[c];
    report::LineChartSpec spec;
    spec.title = chart.title;
    spec.x_label = "time since the server started (s)";
    spec.y_label = chart.y_label;
    spec.point_markers = false;
    spec.width = 640;
    spec.height = 300;
    const auto& order = series_order_[c];
    spec.series.resize(order.size());
    for (size_t i = 0; i < order.size(); ++i) spec.series[i].name = order[i];
    for (const Sample& s : history_) {
      for (const auto& [name, v] : s.charts[c]) {
        const size_t i = std::find(order.begin(), order.end(), name) - order.begin();
        if (i < order.size()) spec.series[i].points.emplace_back(s.t_s, v);
      }
    }
    nlohmann::json series = nlohmann::json::array();
    for (const auto& s : spec.series) {
      nlohmann::json last = nullptr;
      if (!s.points.empty() && s.points.back().first == history_.back().t_s) last = s.points.back().second;
      series.push_back({{"name", s.name}, {"points", s.points.size()}, {"last", last}});
    }
    charts.push_back({{"id", chart.id},
                      {"title", chart.title},
                      {"note", chart.note},
                      {"svg", report::LineChartSvg(spec)},
                      {"series", std::move(series)}});
  }
  nlohmann::json j = {{"title", options_.title},
                      {"uptime_s", history_.empty() ? 0.0 : history_.back().t_s},
                      {"samples", samples_},
                      {"charts", std::move(charts)}};
  return j.dump();
}

std::string Dashboard::StateJson() {
  std::lock_guard<std::mutex> l(mu_);
  if (rendered_at_ != samples_ || cached_.empty()) {
    cached_ = Render();
    rendered_at_ = samples_;
  }
  return cached_;
}

int64_t Dashboard::samples_taken() const {
  std::lock_guard<std::mutex> l(mu_);
  return samples_;
}

void Dashboard::StartSampling(std::chrono::milliseconds period) {
  std::lock_guard<std::mutex> l(thread_mu_);
  if (sampler_.joinable()) return;
  stop_ = false;
  sampler_ = std::thread([this, period] {
    TimePoint last_logged{};
    bool logged = false;
    std::unique_lock<std::mutex> lock(thread_mu_);
    while (!stop_) {
      lock.unlock();
      if (Status s = SampleNow(); !s.ok()) {
        const TimePoint now = Clock::Real()->Now();
        if (!logged || now - last_logged > std::chrono::minutes(1)) {
          SL_LOG_WARN("dashboard", "sample skipped: {}", s.ToString());
          last_logged = now, logged = true;
        }
      }
      lock.lock();
      thread_cv_.wait_for(lock, period, [this] { return stop_; });
    }
  });
}

void Dashboard::StopSampling() {
  std::thread t;
  {
    std::lock_guard<std::mutex> l(thread_mu_);
    stop_ = true;
    t = std::move(sampler_);
  }
  thread_cv_.notify_all();
  if (t.joinable()) t.join();
}

}  // namespace sl::dashboard

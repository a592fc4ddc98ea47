#include "faas/economics/keep_alive_policy.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace sl::faas {
namespace {

Nanos SecondsToNanos(double s) { return Nanos(static_cast<int64_t>(std::llround(s * 1e9))); }

}  // namespace

IdlePlan PlanIdle(const KeepAliveDecision& d, TimePoint idle_since) {
  IdlePlan plan;
  if (d.pre_warm.count() > 0) {
    plan.unload_at = idle_since;
    plan.prewarm_at = idle_since + d.pre_warm;
    plan.expire_at = idle_since + d.pre_warm + d.keep_alive;
  } else {
    plan.unload_at = idle_since + d.keep_alive;
    plan.expire_at = plan.unload_at;
  }
  return plan;
}

bool ShouldUnload(const KeepAliveDecision& d, TimePoint idle_since, TimePoint now) {
  return now >= PlanIdle(d, idle_since).unload_at;
}

void PrewarmSchedule::OnUnload(const KeepAliveDecision& d, TimePoint idle_since) {
  if (d.pre_warm <= Nanos(0)) return;
  at_ = PlanIdle(d, idle_since).prewarm_at;
  keep_alive_ = d.keep_alive;
}

bool PrewarmSchedule::TakeDue(TimePoint now, bool function_has_instances) {
  if (!at_ || now < *at_) return false;
  at_.reset();
  return !function_has_instances;
}

KeepAliveDecision FixedKeepAlive::Decide(const std::string&) const {
  return {Nanos(0), idle_, "fixed"};
}

std::string FixedKeepAlive::Name() const {
  return fmt::format("fixed({}s)", std::chrono::duration<double>(idle_).count());
}

HybridHistogramPolicy::HybridHistogramPolicy(Options options)
    : opt_(options), n_bins_(std::max<int64_t>(1, options.range / options.bin)) {}

void HybridHistogramPolicy::RecordArrival(const std::string& function, TimePoint arrival) {
  std::lock_guard<std::mutex> lock(mu_);
  State& s = state_[function];
  if (s.bins.empty()) s.bins.assign(n_bins_, 0);
  if (s.last_end.has_value()) {
    // Idle time: end of the previous execution to this arrival; 0 if another invocation of the
    // function is still running (the paper's application-level idle time).
    Nanos idle = s.in_flight > 0 ? Nanos(0) : std::max(Nanos(0), arrival - *s.last_end);
    int64_t bin = idle / opt_.bin;
    if (bin < n_bins_) {
      ++s.bins[bin];
      ++s.in_range;
    } else {
      ++s.out_of_range;
      s.recent_oob_s.push_back(std::chrono::duration<double>(idle).count());
      if (static_cast<int>(s.recent_oob_s.size()) > opt_.oob_history) {
        s.recent_oob_s.erase(s.recent_oob_s.begin());
      }
    }
  }
  ++s.in_flight;
}

void HybridHistogramPolicy::RecordCompletion(const std::string& function, TimePoint end) {
  std::lock_guard<std::mutex> lock(mu_);
  State& s = state_[function];
  if (s.bins.empty()) s.bins.assign(n_bins_, 0);
  if (s.in_flight > 0) --s.in_flight;
  if (!s.last_end.has_value() || end > *s.last_end) s.last_end = end;
}

double HybridHistogramPolicy::Cv(const State& s) {
  // Coefficient of variation of the bin counts (sample SD / mean over all bins). A single spike
  // (periodic function) gives a high CV; idle times spread over many bins give a low one.
  const double n = static_cast<double>(s.bins.size());
  if (s.in_range == 0 || n < 2) return 0;
  const double mean = static_cast<double>(s.in_range) / n;
  double sq = 0;
  for (int64_t c : s.bins) sq += (c - mean) * (c - mean);
  return std::sqrt(sq / (n - 1)) / mean;
}

KeepAliveDecision HybridHistogramPolicy::DecideLocked(const State& s) const {
  const Nanos fallback = opt_.fallback_keep_alive;
  const int64_t total = s.in_range + s.out_of_range;
  if (total == 0) return {Nanos(0), fallback, "no-history"};

  if (static_cast<double>(s.out_of_range) / total >= opt_.oob_threshold &&
      !s.recent_oob_s.empty()) {
    // Predict the next idle time: exponentially weighted mean of log idle times (weight 0.5 on
    // the newest), i.e. a geometric mean that follows drifts. Stand-in for the paper's ARIMA.
    double log_pred = std::log(std::max(1.0, s.recent_oob_s.front()));
    for (size_t i = 1; i < s.recent_oob_s.size(); ++i) {
      log_pred = 0.5 * log_pred + 0.5 * std::log(std::max(1.0, s.recent_oob_s[i]));
    }
    const double pred_s = std::exp(log_pred);
    return {SecondsToNanos(pred_s * (1 - opt_.oob_margin)),
            SecondsToNanos(pred_s * 2 * opt_.oob_margin), "out-of-bounds"};
  }
  if (s.in_range < opt_.min_samples) return {Nanos(0), fallback, "too-few-samples"};
  if (Cv(s) < opt_.cv_threshold) return {Nanos(0), fallback, "low-cv"};

  // Head: first bin where the cumulative share reaches head_percentile; tail likewise.
  auto percentile_bin = [&](double q) {
    int64_t cum = 0;
    for (int64_t i = 0; i < n_bins_; ++i) {
      cum += s.bins[i];
      if (static_cast<double>(cum) >= q * static_cast<double>(s.in_range)) return i;
    }
    return n_bins_ - 1;
  };
  const int64_t head = percentile_bin(opt_.head_percentile);
  const int64_t tail = percentile_bin(opt_.tail_percentile);
  const double bin_s = std::chrono::duration<double>(opt_.bin).count();
  const double pre_warm_s = head * bin_s * (1 - opt_.hist_margin);
  const double end_s = (tail + 1) * bin_s * (1 + opt_.hist_margin);
  return {SecondsToNanos(pre_warm_s), SecondsToNanos(end_s - pre_warm_s), "histogram"};
}

KeepAliveDecision HybridHistogramPolicy::Decide(const std::string& function) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.find(function);
  if (it == state_.end()) return {Nanos(0), opt_.fallback_keep_alive, "no-history"};
  return DecideLocked(it->second);
}

HybridHistogramPolicy::Snapshot HybridHistogramPolicy::Histogram(const std::string& function) const {
  std::lock_guard<std::mutex> lock(mu_);
  Snapshot snap;
  auto it = state_.find(function);
  if (it == state_.end()) {
    snap.bins.assign(n_bins_, 0);
    return snap;
  }
  snap.bins = it->second.bins;
  snap.in_range = it->second.in_range;
  snap.out_of_range = it->second.out_of_range;
  snap.cv = Cv(it->second);
  return snap;
}

namespace {

// "<number><ms|s|m|h>" → seconds; false if it is not one or negative.
bool ParseSpecDuration(const std::string& v, double* seconds) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  const std::string unit = end ? std::string(end) : "";
  const double scale = unit == "ms" ? 1e-3 : unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (end == v.c_str() || scale < 0 || !(x >= 0) || !std::isfinite(x) || x * scale > 1e9) return false;
  *seconds = x * scale;
  return true;
}

}  // namespace

Result<std::unique_ptr<KeepAlivePolicy>> MakeKeepAlivePolicy(const std::string& spec,
                                                             const ProviderProfile& profile) {
  const Nanos profile_idle = SecondsToNanos(profile.keep_alive_s);
  if (spec == "fixed") return std::unique_ptr<KeepAlivePolicy>(new FixedKeepAlive(profile_idle));
  if (spec == "hybrid" || spec.rfind("hybrid:", 0) == 0) {
    HybridHistogramPolicy::Options o;
    o.fallback_keep_alive = profile_idle;
    // Options after "hybrid", each ":key=duration".
    size_t pos = spec.find(':');
    while (pos != std::string::npos) {
      const size_t next = spec.find(':', pos + 1);
      const std::string opt = spec.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
      const size_t eq = opt.find('=');
      double s = 0;
      const std::string key = opt.substr(0, eq);
      if (eq == std::string::npos || !ParseSpecDuration(opt.substr(eq + 1), &s) ||
          (key != "range" && key != "fallback") || (key == "range" && s < 60)) {
        return InvalidArgument("keep-alive policy '{}': want hybrid[:range=<duration, >= 1m>]"
                               "[:fallback=<duration>]", spec);
      }
      (key == "range" ? o.range : o.fallback_keep_alive) = SecondsToNanos(s);
      pos = next;
    }
    return std::unique_ptr<KeepAlivePolicy>(new HybridHistogramPolicy(o));
  }
  if (spec.rfind("fixed:", 0) == 0) {
    double s = 0;
    if (!ParseSpecDuration(spec.substr(6), &s)) {
      return InvalidArgument("keep-alive policy '{}': want fixed:<number><ms|s|m|h>", spec);
    }
    return std::unique_ptr<KeepAlivePolicy>(new FixedKeepAlive(SecondsToNanos(s)));
  }
  return InvalidArgument("keep-alive policy '{}': want fixed, fixed:<duration> or hybrid", spec);
}

}  // namespace sl::faas

#include "trace/workload.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace sl::trace {
namespace {

Nanos Seconds(double s) { return Nanos(static_cast<int64_t>(std::llround(s * 1e9))); }

// splitmix64: decorrelates the per-function seeds (seed, index) of consecutive functions.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double Uniform01(std::mt19937_64& rng) { return std::generate_canonical<double, 53>(rng); }

}  // namespace

Result<ArrivalMode> ParseArrivalMode(std::string_view s) {
  if (s == "uniform") return ArrivalMode::kUniform;
  if (s == "poisson") return ArrivalMode::kPoisson;
  if (s == "equidistant") return ArrivalMode::kEquidistant;
  return InvalidArgument("arrivals '{}': want uniform, poisson or equidistant", s);
}

std::string_view ArrivalModeName(ArrivalMode m) {
  switch (m) {
    case ArrivalMode::kUniform: return "uniform";
    case ArrivalMode::kPoisson: return "poisson";
    case ArrivalMode::kEquidistant: return "equidistant";
  }
  return "?";
}

Result<KeepAliveUnit> ParseKeepAliveUnit(std::string_view s) {
  if (s == "app") return KeepAliveUnit::kApp;
  if (s == "function") return KeepAliveUnit::kFunction;
  return InvalidArgument("keep-alive unit '{}': want app or function", s);
}

std::vector<double> MinuteArrivals(int64_t n, ArrivalMode mode, std::mt19937_64& rng) {
  std::vector<double> t;
  if (n <= 0) return t;
  t.reserve(n);
  switch (mode) {
    case ArrivalMode::kEquidistant:
      for (int64_t i = 0; i < n; ++i) t.push_back(60.0 * i / n);
      break;
    case ArrivalMode::kUniform:
      for (int64_t i = 0; i < n; ++i) t.push_back(60.0 * Uniform01(rng));
      std::sort(t.begin(), t.end());
      break;
    case ArrivalMode::kPoisson: {
      // n exponential gaps, the first from the start of the minute; scaled so that the last
      // arrival plus one more gap's share ends the minute (the n+1 gaps sum to 60 s).
      std::exponential_distribution<double> gap(1.0);
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        sum += gap(rng);
        t.push_back(sum);
      }
      sum += gap(rng);
      for (double& x : t) x = std::min(60.0 * x / sum, std::nextafter(60.0, 0.0));
      break;
    }
  }
  return t;
}

double InverseCdf(const PercentilePoints& p, double u) {
  const auto& pts = p.points;
  if (pts.empty()) return 0;
  if (u <= pts.front().first) return pts.front().second;
  if (u >= pts.back().first) return pts.back().second;
  auto hi = std::lower_bound(pts.begin(), pts.end(), u,
                             [](const std::pair<double, double>& a, double v) { return a.first < v; });
  auto lo = hi - 1;
  const double w = (u - lo->first) / (hi->first - lo->first);
  return lo->second + w * (hi->second - lo->second);
}

Result<Workload> BuildWorkload(const Trace& trace, const WorkloadOptions& o) {
  if (!(o.default_memory_mb > 0) || !std::isfinite(o.default_memory_mb)) {
    return InvalidArgument("default memory {} MB: want > 0", o.default_memory_mb);
  }
  if (!(o.default_duration_ms >= 0) || !std::isfinite(o.default_duration_ms)) {
    return InvalidArgument("default duration {} ms: want >= 0", o.default_duration_ms);
  }
  Workload w;
  // Units in order of first appearance of their key, so output order follows the trace.
  std::map<std::string, size_t> unit_of;
  std::map<std::string, int> functions_per_app;
  for (const auto& f : trace.functions) ++functions_per_app[f.app];
  std::vector<size_t> fn_unit(trace.functions.size());
  int64_t no_memory = 0, no_durations = 0;
  for (size_t i = 0; i < trace.functions.size(); ++i) {
    const TraceFunction& f = trace.functions[i];
    const std::string key = o.unit == KeepAliveUnit::kApp ? f.app : f.app + "/" + f.function;
    auto [it, added] = unit_of.emplace(key, w.units.size());
    fn_unit[i] = it->second;
    if (!added) continue;
    WorkloadUnit u;
    u.key = key;
    u.app = f.app;
    auto mem = trace.app_memory.find(f.app);
    double app_mb = o.default_memory_mb;
    if (mem != trace.app_memory.end()) {
      app_mb = mem->second.average_mb;
    } else {
      ++no_memory;
    }
    u.memory_mb = o.unit == KeepAliveUnit::kApp ? app_mb : app_mb / functions_per_app[f.app];
    w.units.push_back(std::move(u));
  }

  if (trace.format == Trace::Format::k2019) {
    w.horizon = Seconds(60.0 * trace.minutes);
    for (size_t i = 0; i < trace.functions.size(); ++i) {
      const TraceFunction& f = trace.functions[i];
      std::mt19937_64 rng(Mix(o.seed ^ Mix(i)));
      if (!f.has_durations) ++no_durations;
      auto& calls = w.units[fn_unit[i]].calls;
      for (size_t m = 0; m < f.per_minute.size(); ++m) {
        if (f.per_minute[m] == 0) continue;
        for (double off : MinuteArrivals(f.per_minute[m], o.arrivals, rng)) {
          const double ms = f.has_durations ? InverseCdf(f.durations.percentiles, Uniform01(rng))
                                            : o.default_duration_ms;
          calls.push_back({Seconds(60.0 * m + off), Seconds(ms / 1000)});
        }
      }
    }
    w.notes.push_back(fmt::format("2019 trace: {} functions, {} apps, {} minutes; arrivals within "
                                  "a minute: {} (seed {})", trace.functions.size(),
                                  functions_per_app.size(), trace.minutes,
                                  ArrivalModeName(o.arrivals), o.seed));
    w.notes.push_back("durations drawn from each function's execution-time percentiles "
                      "(linear between p0, p1, p25, p50, p75, p99, p100)");
    if (no_durations > 0) {
      w.notes.push_back(fmt::format("{} functions without execution-time percentiles run {} ms",
                                    no_durations, o.default_duration_ms));
    }
  } else {
    double first = 0, last = 0;
    for (const auto& inv : trace.invocations) {
      first = std::min(first, inv.start_s);
      last = std::max(last, inv.start_s + inv.duration_s);
    }
    // Starts before 0 (end_timestamp < duration) shift the whole trace so it starts at 0.
    for (const auto& inv : trace.invocations) {
      w.units[fn_unit[inv.function]].calls.push_back(
          {Seconds(inv.start_s - first), Seconds(inv.duration_s)});
    }
    w.horizon = Seconds(last - first);
    w.notes.push_back(fmt::format("2021 trace: {} functions, {} apps, {} invocations over {:.0f} s; "
                                  "arrivals and durations as recorded", trace.functions.size(),
                                  functions_per_app.size(), trace.invocations.size(), last - first));
    if (first < 0) {
      w.notes.push_back(fmt::format("the first invocation started {:.3f} s before the trace's "
                                    "origin: times shifted by {:.3f} s", -first, -first));
    }
  }
  if (no_memory > 0) {
    w.notes.push_back(fmt::format("{} of {} units have no memory in the trace: {} MB assumed",
                                  no_memory, w.units.size(), o.default_memory_mb));
  }
  w.notes.push_back(o.unit == KeepAliveUnit::kApp
                        ? "keep-alive per app (an app's functions share its instances)"
                        : "keep-alive per function (app memory split evenly between its functions)");
  for (auto& u : w.units) {
    std::stable_sort(u.calls.begin(), u.calls.end(),
                     [](const Call& a, const Call& b) { return a.start < b.start; });
    w.invocations += static_cast<int64_t>(u.calls.size());
  }
  return w;
}

}  // namespace sl::trace

#include "trace/replay/replay_plan.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <random>

#include <fmt/format.h>

namespace sl::trace {
namespace {

// How many times an item is kept at scale x: floor(x), once more with probability frac(x).
int64_t Scaled(int64_t n, double x, std::mt19937_64& rng) {
  if (n <= 0) return 0;
  const double whole = std::floor(x);
  const double frac = x - whole;
  int64_t out = static_cast<int64_t>(whole) * n;
  if (frac > 0) {
    std::bernoulli_distribution extra(frac);
    for (int64_t i = 0; i < n; ++i) out += extra(rng);
  }
  return out;
}

std::mt19937_64 RngFor(uint64_t seed, uint64_t stream) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32), 0x5ca1eu};
  return std::mt19937_64(seq);
}

std::string FunctionName(size_t index, const std::string& hash) {
  std::string prefix;
  for (char c : hash) {
    if (prefix.size() == 12) break;
    if (std::isalnum(static_cast<unsigned char>(c))) prefix += c;
  }
  return fmt::format("trace-{:03}-{}", index, prefix);
}

}  // namespace

int64_t TraceMinutes(const Trace& trace) {
  if (trace.format == Trace::Format::k2019) return trace.minutes;
  double last = 0;
  for (const auto& inv : trace.invocations) last = std::max(last, inv.start_s);
  return static_cast<int64_t>(std::floor(last / 60)) + 1;
}

Status ParseMinuteRange(std::string_view text, ReplayOptions* options) {
  const size_t dash = text.find('-');
  int64_t a = -1, b = -1;
  auto num = [](std::string_view s, int64_t* v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
  };
  if (dash == std::string_view::npos || !num(text.substr(0, dash), &a) ||
      !num(text.substr(dash + 1), &b) || a < 0 || b <= a) {
    return InvalidArgument("--minutes '{}': want A-B, whole minutes from the start of the trace "
                           "with 0 <= A < B (e.g. 600-630)", text);
  }
  options->minute_begin = a;
  options->minute_end = b;
  return Status::Ok();
}

Result<ReplayPlan> BuildReplayPlan(const Trace& trace, const ReplayOptions& o) {
  if (!(o.speed > 0) || !std::isfinite(o.speed)) {
    return InvalidArgument("--speed {}: want a number > 0 (trace seconds per replay second)", o.speed);
  }
  if (!(o.scale > 0) || !std::isfinite(o.scale)) {
    return InvalidArgument("--scale {}: want a number > 0 (1 = the trace's load)", o.scale);
  }
  if (o.functions < 0) return InvalidArgument("--functions {}: want >= 0 (0: all)", o.functions);
  if (o.memory_percentile > 1 || std::isnan(o.memory_percentile)) {
    return InvalidArgument("--memory-percentile {}: want a percentile in [0, 100]", 100 * o.memory_percentile);
  }
  const int64_t minutes = TraceMinutes(trace);
  const int64_t a = o.minute_begin;
  const int64_t b = o.minute_end > 0 ? o.minute_end : minutes;
  if (a < 0 || b <= a || b > minutes) {
    return InvalidArgument("--minutes {}-{}: the trace ({}) has minutes 0-{}", a, b,
                           trace.files.empty() ? "" : trace.files.front(), minutes);
  }

  // 1. Window and scale, into a trace of the same shape.
  Trace w;
  w.format = trace.format;
  w.app_memory = trace.app_memory;
  w.files = trace.files;
  std::vector<int64_t> calls_of(trace.functions.size(), 0);
  if (trace.format == Trace::Format::k2019) {
    w.minutes = static_cast<int32_t>(b - a);
    w.functions = trace.functions;
    for (size_t i = 0; i < w.functions.size(); ++i) {
      auto& f = w.functions[i];
      std::vector<int32_t> slice(f.per_minute.begin() + std::min<int64_t>(a, f.per_minute.size()),
                                 f.per_minute.begin() + std::min<int64_t>(b, f.per_minute.size()));
      std::mt19937_64 rng = RngFor(o.seed, i);
      for (auto& c : slice) {
        c = static_cast<int32_t>(o.scale == 1 ? c : Scaled(c, o.scale, rng));
        calls_of[i] += c;
      }
      f.per_minute = std::move(slice);
    }
  } else {
    w.functions = trace.functions;
    std::mt19937_64 rng = RngFor(o.seed, 0x2021);
    for (const auto& inv : trace.invocations) {
      if (inv.start_s < 60.0 * a || inv.start_s >= 60.0 * b) continue;
      const int64_t copies = o.scale == 1 ? 1 : Scaled(1, o.scale, rng);
      for (int64_t k = 0; k < copies; ++k) {
        TraceInvocation c = inv;
        c.start_s -= 60.0 * a;
        w.invocations.push_back(c);
        ++calls_of[inv.function];
      }
    }
  }

  // 2. Sample N of the M functions with invocations.
  std::vector<size_t> candidates;
  for (size_t i = 0; i < calls_of.size(); ++i) {
    if (calls_of[i] > 0) candidates.push_back(i);
  }
  if (candidates.empty()) {
    return InvalidArgument("--minutes {}-{}{}: no invocation of any function in the window", a, b,
                           o.scale == 1 ? "" : fmt::format(" at --scale {}", o.scale));
  }
  std::vector<size_t> chosen = candidates;
  if (o.functions > 0 && o.functions < static_cast<int64_t>(candidates.size())) {
    std::mt19937_64 rng = RngFor(o.seed, 0xf00d);
    std::shuffle(chosen.begin(), chosen.end(), rng);
    chosen.resize(static_cast<size_t>(o.functions));
    std::sort(chosen.begin(), chosen.end());
  }
  std::map<std::string, int> functions_per_app;  // over the whole trace: the memory split
  for (const auto& f : trace.functions) ++functions_per_app[f.app];

  Trace s;
  s.format = w.format;
  s.minutes = w.minutes;
  s.app_memory = w.app_memory;
  s.files = w.files;
  std::vector<int32_t> new_index(trace.functions.size(), -1);
  for (size_t i : chosen) {
    new_index[i] = static_cast<int32_t>(s.functions.size());
    s.functions.push_back(w.functions[i]);
  }
  for (const auto& inv : w.invocations) {
    if (new_index[inv.function] < 0) continue;
    TraceInvocation c = inv;
    c.function = new_index[inv.function];
    s.invocations.push_back(c);
  }

  // 3. Arrivals and durations in trace time, one unit per function.
  WorkloadOptions wo;
  wo.arrivals = o.arrivals;
  wo.seed = o.seed;
  wo.unit = KeepAliveUnit::kFunction;
  wo.default_memory_mb = o.default_memory_mb;
  SL_ASSIGN_OR_RETURN(Workload workload, BuildWorkload(s, wo));
  if (workload.units.size() != s.functions.size()) {
    return Internal("replay plan: {} workload units for {} functions (a function listed twice?)",
                    workload.units.size(), s.functions.size());
  }

  ReplayPlan plan;
  plan.options = o;
  plan.trace_functions = static_cast<int64_t>(trace.functions.size());
  plan.functions_with_calls = static_cast<int64_t>(candidates.size());
  plan.trace_horizon = std::chrono::seconds(60 * (b - a));
  workload.horizon = plan.trace_horizon;  // the window, not the last end: what both sides see
  plan.replay_horizon = Nanos(static_cast<int64_t>(plan.trace_horizon.count() / o.speed));
  const double duration_divisor = o.scale_durations ? o.speed : 1.0;
  for (size_t i = 0; i < s.functions.size(); ++i) {
    const TraceFunction& f = s.functions[i];
    WorkloadUnit& u = workload.units[i];
    auto mem = trace.app_memory.find(f.app);
    double app_mb = o.default_memory_mb;
    if (mem != trace.app_memory.end()) {
      app_mb = o.memory_percentile >= 0 && !mem->second.percentiles.points.empty()
                   ? InverseCdf(mem->second.percentiles, o.memory_percentile)
                   : mem->second.average_mb;
    }
    u.memory_mb = app_mb / functions_per_app[f.app];
    ReplayFunction rf;
    rf.name = FunctionName(i, f.function);
    rf.app = f.app;
    rf.function = f.function;
    rf.memory_mb = u.memory_mb;
    rf.calls = static_cast<int64_t>(u.calls.size());
    for (const Call& c : u.calls) {
      ReplayCall rc;
      rc.function = static_cast<int32_t>(i);
      rc.at = Nanos(static_cast<int64_t>(c.start.count() / o.speed));
      rc.ms = std::chrono::duration<double, std::milli>(c.duration).count() / duration_divisor;
      rf.max_ms = std::max(rf.max_ms, rc.ms);
      plan.calls.push_back(rc);
    }
    std::vector<std::pair<Nanos, int>> edges;  // +1 at a start, -1 at an end (ends first)
    for (const ReplayCall& c : plan.calls) {
      if (c.function != static_cast<int32_t>(i)) continue;
      edges.emplace_back(c.at, 1);
      edges.emplace_back(c.at + Nanos(static_cast<int64_t>(c.ms * 1e6)), -1);
    }
    std::sort(edges.begin(), edges.end());
    int64_t running = 0;
    for (const auto& e : edges) {
      running += e.second;
      rf.peak_concurrency = std::max(rf.peak_concurrency, running);
    }
    plan.functions.push_back(std::move(rf));
  }
  std::stable_sort(plan.calls.begin(), plan.calls.end(),
                   [](const ReplayCall& x, const ReplayCall& y) { return x.at < y.at; });

  auto& n = plan.notes;
  n.push_back(fmt::format("trace {} ({} format): {} functions over {} minutes",
                          fmt::join(trace.files, ", "),
                          trace.format == Trace::Format::k2019 ? "2019" : "2021",
                          trace.functions.size(), minutes));
  n.push_back(fmt::format("minutes replayed: {}-{} of 0-{} ({} min), shifted to start at 0", a, b,
                          minutes, b - a));
  if (o.scale != 1) {
    n.push_back(fmt::format("load scaled by {}: each {} kept floor({}) times and once more with "
                            "probability {:.3f} (seed {})", o.scale,
                            trace.format == Trace::Format::k2019 ? "minute's invocation" : "invocation",
                            o.scale, o.scale - std::floor(o.scale), o.seed));
  }
  n.push_back(fmt::format("functions: sampled {} of the {} with invocations in the window "
                          "({} in the trace){}", s.functions.size(), candidates.size(),
                          trace.functions.size(),
                          s.functions.size() < candidates.size() ? fmt::format(", seed {}", o.seed) : ""));
  n.push_back(fmt::format("speed {}: send times{} divided by {} ({:.1f} s of trace in {:.1f} s)",
                          o.speed, o.scale_durations ? " and handler durations" : "", o.speed,
                          60.0 * (b - a), 60.0 * (b - a) / o.speed));
  if (!o.scale_durations) {
    n.push_back("handler durations as in the trace (not divided by the speed): instances overlap "
                "more than in the trace");
  }
  for (const auto& note : workload.notes) n.push_back(note);
  n.push_back(fmt::format("each function's memory: its app's {} allocated memory split evenly between "
                          "the app's functions in the whole trace",
                          o.memory_percentile >= 0 ? fmt::format("p{:g}", 100 * o.memory_percentile)
                                                   : std::string("average")));
  plan.workload = std::move(workload);
  return plan;
}

double PeakMemoryMb(const ReplayPlan& plan, double touch_scale) {
  double mb = 0;
  for (const auto& f : plan.functions) mb += static_cast<double>(f.peak_concurrency) * f.memory_mb * touch_scale;
  return mb;
}

}  // namespace sl::trace

// Workload: a trace turned into concrete invocations (start time, duration) per unit of
// keep-alive, the way the vHive invitro load generator turns the Azure traces into load:
//   * arrivals — 2019: a minute's N invocations spread over that minute (ArrivalMode);
//     2021: the trace's own start times (end_timestamp - duration);
//   * durations — 2019: drawn from the function's execution-time percentiles by inverse
//     transform sampling, linear between the given percentiles (p0, p1, p25, p50, p75, p99,
//     p100); 2021: the trace's own durations;
//   * memory — the app's AverageAllocatedMb (2019); the 2021 trace has none, so
//     default_memory_mb (and Workload::notes says so).
// A unit is what one keep-alive policy instance sees, as the platform keys its policy by
// function: per app (Shahrad et al.'s unit: an app's functions share its instances and memory)
// or per function (one trace function = one platform function, as a replay deploys them; the
// app's memory is then split evenly between its functions, since the trace gives memory per
// app only).
//
// Randomness is seeded: each trace function draws from its own generator (seed, function
// index), so a function's invocations do not change when others are added or sampled out.
// Failure contract: INVALID_ARGUMENT for options out of range; the trace is trusted (azure_trace
// validated it). Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "trace/azure_trace.h"

namespace sl::trace {

enum class ArrivalMode {
  kUniform,      // each of the minute's N arrivals at an independent uniform time in it (a
                 // Poisson process conditioned on N arrivals in the minute)
  kPoisson,      // exponential gaps at rate N/60 s, rescaled so the N arrivals fill the minute
                 // (invitro's "exponential" inter-arrival times)
  kEquidistant,  // 60/N s apart from the start of the minute (deterministic)
};
Result<ArrivalMode> ParseArrivalMode(std::string_view s);  // uniform | poisson | equidistant
std::string_view ArrivalModeName(ArrivalMode m);

enum class KeepAliveUnit { kApp, kFunction };
Result<KeepAliveUnit> ParseKeepAliveUnit(std::string_view s);  // app | function

// Sorted arrival offsets in [0, 60) s of a minute with n invocations.
std::vector<double> MinuteArrivals(int64_t n, ArrivalMode mode, std::mt19937_64& rng);

// The value at quantile u in [0, 1] of a distribution given by percentiles, linear between the
// two given percentiles around u (clamped to the first/last point outside them). 0 if empty.
double InverseCdf(const PercentilePoints& p, double u);

struct WorkloadOptions {
  ArrivalMode arrivals = ArrivalMode::kUniform;
  uint64_t seed = 1;
  KeepAliveUnit unit = KeepAliveUnit::kApp;
  double default_memory_mb = 256;     // apps the trace gives no memory for (all of 2021)
  double default_duration_ms = 1000;  // 2019 functions missing from the durations file
};

struct Call {
  Nanos start{0};     // since the start of the trace
  Nanos duration{0};
};

struct WorkloadUnit {
  std::string key;          // policy key: HashApp, or HashApp/HashFunction
  std::string app;          // the app it belongs to (results are reported per app)
  double memory_mb = 0;
  std::vector<Call> calls;  // sorted by start
};

struct Workload {
  std::vector<WorkloadUnit> units;
  Nanos horizon{0};                // end of the trace: minutes x 60 s, or the last end (2021)
  int64_t invocations = 0;
  std::vector<std::string> notes;  // every assumption made (defaults used, how many functions)
};

Result<Workload> BuildWorkload(const Trace& trace, const WorkloadOptions& options);

}  // namespace sl::trace

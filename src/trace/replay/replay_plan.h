// ReplayPlan: a trace turned into what a replay sends (`straightline load --trace`, issue 21 §1):
// which trace functions become functions, and every invocation's send time and handler duration
// in replay (real) time. Every change made to the trace is a note of the plan, for the report.
//
// The changes, in order:
//   window    --minutes A-B: minutes [A, B) of the trace, counted from 0 (2019: the minute
//             columns; 2021: invocations that start in them), shifted to start at 0;
//   scale     --scale X: each minute's count (2019) or each invocation (2021) is kept
//             floor(X) times plus once more with probability frac(X) (seeded): X < 1 thins the
//             load, X > 1 repeats it;
//   sample    --functions N: N of the M functions with at least one invocation left, drawn
//             uniformly (seeded), kept in trace order;
//   arrivals and durations: workload.h (2019: spread within each minute, durations drawn from the
//             percentiles; 2021: as recorded), one keep-alive unit per function;
//   speed     --speed K: send times are trace times / K, and so are handler durations unless
//             scale_durations is false. Durations are compressed with the arrivals by default
//             because a replay's cold starts and idle time depend on whether the next arrival
//             finds an instance busy, idle or gone: compressing only the arrivals would make K
//             times more of them overlap than in the trace. The platform's keep-alive then runs
//             on a clock K times faster (scaled_clock.h) so that a 10-minute keep-alive covers 10
//             trace minutes. What is not compressed is the platform's own work: a cold start of
//             20 ms real is 20 x K ms of trace time (the report says so).
//   memory    each function touches its app's average allocated memory (or, with
//             memory_percentile, that percentile of it, linear between the trace's p1..p100) split
//             evenly between the app's functions in the whole trace (2021: default_memory_mb per
//             app, split alike).
//
// Failure contract: INVALID_ARGUMENT naming the option (--speed, --scale, --functions,
// --minutes) for values out of range, and a window with no invocation in it. Thread safety: pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "trace/azure_trace.h"
#include "trace/workload.h"

namespace sl::trace {

struct ReplayOptions {
  ArrivalMode arrivals = ArrivalMode::kUniform;
  double speed = 1;            // K
  int64_t functions = 0;       // N; 0: every function with an invocation in the window
  double scale = 1;            // X
  int64_t minute_begin = 0;    // A
  int64_t minute_end = 0;      // B; 0: the end of the trace
  uint64_t seed = 1;
  bool scale_durations = true;
  double default_memory_mb = 256;  // per app, for traces without memory (2021)
  double memory_percentile = -1;   // in [0, 1]: the app memory at this percentile; < 0: average
};

struct ReplayFunction {
  std::string name;      // the function's name on the platform: "trace-NNN-<hash prefix>"
  std::string app, function;  // the trace's HashApp / HashFunction
  double memory_mb = 0;  // what its handler touches (the app's share)
  int64_t calls = 0;
  double max_ms = 0;     // longest handler duration in the plan (replay time)
  // Most of its calls running at once in the plan (cold starts not counted): the instances it
  // needs, and so the memory a replay holds for it (what a machine must have: PeakMemoryMb).
  int64_t peak_concurrency = 0;
};

struct ReplayCall {
  int32_t function = 0;  // index into ReplayPlan::functions
  Nanos at{0};           // send time from the start of the replay (real time)
  double ms = 0;         // handler duration (real time)
};

struct ReplayPlan {
  ReplayOptions options;
  std::vector<ReplayFunction> functions;
  std::vector<ReplayCall> calls;  // sorted by `at`
  // The same invocations in trace time (one unit per function, in `functions` order): what the
  // keep-alive simulator is given to predict the replay.
  Workload workload;
  Nanos replay_horizon{0};   // the window's length / speed
  Nanos trace_horizon{0};    // the window's length
  int64_t trace_functions = 0;         // functions in the trace file
  int64_t functions_with_calls = 0;    // M: with an invocation in the (scaled) window
  std::vector<std::string> notes;      // every change made to the trace, and the assumptions
};

// Minutes the trace covers: 2019 its minute columns, 2021 up to its last start.
int64_t TraceMinutes(const Trace& trace);

// "A-B" (minutes, A < B) into options->minute_begin/end; INVALID_ARGUMENT naming --minutes.
Status ParseMinuteRange(std::string_view text, ReplayOptions* options);

Result<ReplayPlan> BuildReplayPlan(const Trace& trace, const ReplayOptions& options);

// Sum over functions of peak_concurrency x memory_mb x touch_scale: the memory the replay's
// instances touch when each function's busiest moment is held warm (keep-alive keeps instances
// loaded, so the peaks add up). A lower bound: cold starts lengthen calls and add instances.
double PeakMemoryMb(const ReplayPlan& plan, double touch_scale);

}  // namespace sl::trace

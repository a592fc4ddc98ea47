// The public Azure Functions traces, read into memory (issue 21 §1).
//
// Two formats (samples and their README in ../shared/data/azure-functions-trace/):
//   2019 (Shahrad et al., ATC 2020), three files of one day:
//     invocations  HashOwner,HashApp,HashFunction[,Trigger] then one column per minute with the
//                  number of invocations in it ("1".."1440" in the published files,
//                  "minute_1".. in invitro's samples; any count of minutes);
//     durations    per function: Count,Average,Minimum,Maximum and percentile_Average_{0,1,25,
//                  50,75,99,100}, execution time in ms;
//     memory       per app: SampleCount,AverageAllocatedMb and AverageAllocatedMb_pct{1,5,25,50,
//                  75,95,99,100} in MB.
//   2021 (Zhang et al., SOSP 2021): one row per invocation, app,func,end_timestamp,duration
//     (seconds since the start of the trace; the invocation started at end - duration).
// Columns are found by header name, so their order does not matter and extra columns are ignored.
//
// Failure contract: every reader returns INVALID_ARGUMENT "FILE:LINE:COLUMN: ..." for malformed
// text or values (negative counts, percentiles that decrease, a function listed twice),
// NOT_FOUND (from the file system) for a missing file. Nothing here throws or aborts on input.
// Thread safety: the functions are pure; a Trace is a value.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sl::trace {

// A distribution given by some of its percentiles: (p in [0, 1], value), p strictly increasing,
// values non-decreasing. The inverse CDF between two given points is linear (workload.h).
struct PercentilePoints {
  std::vector<std::pair<double, double>> points;
};

struct DurationStats {           // one row of the 2019 durations file, in ms
  int64_t count = 0;
  double average_ms = 0, minimum_ms = 0, maximum_ms = 0;
  PercentilePoints percentiles;  // p0 .. p100
};

struct AppMemoryStats {          // one row of the 2019 memory file, in MB
  int64_t sample_count = 0;
  double average_mb = 0;
  PercentilePoints percentiles;  // p1 .. p100
};

struct TraceFunction {
  std::string owner, app, function, trigger;  // trigger: "" when the file has none
  std::vector<int32_t> per_minute;            // 2019: invocations in each minute
  bool has_durations = false;
  DurationStats durations;                    // 2019, when has_durations
};

struct TraceInvocation {         // 2021: one invocation
  int32_t function = 0;          // index into Trace::functions
  double start_s = 0;            // end_timestamp - duration
  double duration_s = 0;
};

struct Trace {
  enum class Format { k2019, k2021 };
  Format format = Format::k2019;
  std::vector<TraceFunction> functions;
  std::map<std::string, AppMemoryStats> app_memory;  // by HashApp (2019 only)
  std::vector<TraceInvocation> invocations;          // 2021 only, in file order
  int32_t minutes = 0;                               // 2019: minute columns
  std::vector<std::string> files;                    // what was read, for reports
};

// 2019 format, from text (file names only name the text in errors; fuzz targets use these).
Status ParseInvocations2019(std::string_view text, const std::string& file, Trace* trace);
Status ParseDurations2019(std::string_view text, const std::string& file, Trace* trace);
Status ParseMemory2019(std::string_view text, const std::string& file, Trace* trace);
// 2021 format, from text.
Status ParseInvocations2021(std::string_view text, const std::string& file, Trace* trace);

// Which format a file's header is: the 2021 header has app,func,end_timestamp,duration; a 2019
// invocations header has HashFunction and minute columns. INVALID_ARGUMENT otherwise.
Result<Trace::Format> DetectFormat(std::string_view text, const std::string& file);

// Reads a trace from PATH:
//   a 2021 file;
//   or a 2019 invocations file; its durations and memory files are durations_path and
//   memory_path when given, else found beside it: X_inv.csv → X_run.csv and X_mem.csv (the
//   invitro names), invocations_per_function_md.anon.dNN.csv → function_durations_percentiles
//   .anon.dNN.csv and app_memory_percentiles.anon.dNN.csv (Azure's). A 2019 trace without a
//   durations or memory file found is an error naming the paths tried.
Result<Trace> ReadTrace(const std::string& path, const std::string& durations_path = "",
                        const std::string& memory_path = "");

}  // namespace sl::trace

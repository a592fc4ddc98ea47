// PlatformReport: the figures of Lambda's REPORT log line, as returned (base64) in the
// X-Amz-Log-Result header of an Invoke with X-Amz-Log-Type: Tail:
//
//   REPORT RequestId: <id>\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t
//          Max Memory Used: 18 MB\tInit Duration: 120.50 ms
//
// Fields are tab-separated "Name: value unit" pairs in any order; real Lambda pads some with
// spaces ("Billed Duration: 100 ms \t"). Unknown fields (Status, Error Type, XRAY TraceId, ...)
// are ignored. Init Duration is present on cold starts only.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sl::faas {

struct PlatformReport {
  double duration_ms = 0;
  std::optional<double> billed_ms;
  std::optional<int64_t> memory_mb;
  std::optional<int64_t> max_memory_used_mb;
  std::optional<double> init_ms;  // set: a cold start
};

// The last REPORT line of `log` that has a Duration; nullopt when there is none (the log tail
// was cut before it, or the platform writes no REPORT line).
std::optional<PlatformReport> ParsePlatformReport(std::string_view log);

}  // namespace sl::faas

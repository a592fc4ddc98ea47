// The exact texts Lambda produces, in one place: log stream lines (START / END / REPORT, the
// timeout line), the error payloads the platform itself generates (timeout, process exit, out of
// memory, init failure) and the identifiers (request id, trace id, ARN, log stream name).
// Thread safety: pure functions (RandomRequestId uses a thread-local generator).
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"

namespace sl::faas {

std::string RandomRequestId();                       // UUID v4
std::string RandomTraceId(WallTime now);             // Root=1-<time>-<24 hex>;Parent=..;Sampled=0
std::string FunctionArn(const std::string& region, const std::string& function);
// "2026/11/22/[$LATEST]<32 hex>"
std::string LogStreamName(WallTime now, const std::string& instance_id);

std::string StartLine(const std::string& request_id);  // "START RequestId: <id> Version: $LATEST\n"
std::string EndLine(const std::string& request_id);    // "END RequestId: <id>\n"
struct ReportFields {
  double duration_ms = 0;
  double billed_ms = 0;
  int64_t memory_mb = 0;
  int64_t max_memory_used_mb = 0;
  double init_ms = -1;       // < 0: warm (no Init Duration field)
  std::string status;        // "" | "timeout" | "error"
  std::string error_type;    // with status "error"
};
std::string ReportLine(const std::string& request_id, const ReportFields& f);
// "<rfc3339> <id> Task timed out after 3.00 seconds\n"
std::string TimeoutLogLine(WallTime now, const std::string& request_id, double timeout_s);

// {"errorMessage":"<rfc3339> <id> Task timed out after 3.00 seconds","errorType":"Sandbox.Timedout"}
std::string TimeoutErrorJson(WallTime now, const std::string& request_id, double timeout_s);
// {"errorMessage":"RequestId: <id> Error: Runtime exited with error: signal: killed",
//  "errorType":"Runtime.ExitError"}; `wait_status` as from waitpid.
std::string ExitErrorJson(const std::string& request_id, int wait_status);
// Same message as a kill by signal, errorType "Runtime.OutOfMemory".
std::string OutOfMemoryErrorJson(const std::string& request_id);
// "signal: killed", "signal: aborted (core dumped)", "exit status 1"
std::string DescribeWaitStatus(int wait_status);
// {"errorMessage": message, "errorType": type}
std::string ErrorJson(const std::string& message, const std::string& type);

}  // namespace sl::faas

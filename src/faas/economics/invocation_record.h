// InvocationRecord: one line of the invocation ledger — what the platform measured for one
// invocation and what it was billed under the function's provider profile.
//
// Measured here: init_ms, duration_ms, max_memory_used_mb, queued_ms, start_time, cold_start.
// Emulated (from the profile via pricing.h): billed_ms, cost_usd.
// JSON field names are the struct's member names (snake_case); start_time is RFC 3339 UTC with
// milliseconds. Unknown fields are ignored on read (forward compatibility); missing optional
// fields take the defaults below; missing required ones (request_id, function, provider,
// memory_mb, duration_ms) are an error.
// Thread safety: plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"

namespace sl::faas {

enum class Outcome {
  kSuccess,       // handler returned a response
  kHandledError,  // handler reported an error itself (X-Amz-Function-Error: Handled)
  kUnhandled,     // handler threw / returned an unhandled error
  kTimeout,       // killed at the timeout ("Task timed out after N seconds")
  kOutOfMemory,   // killed for exceeding its memory size
  kCrash,         // handler process exited or was killed mid-invocation
  kThrottled,     // rejected before running (concurrency limit); billed nothing
  kPlatformError, // the platform did not run it: not found, bad request, unavailable (the
                  // Status code says which, and whether a retry can help); billed nothing
};

// "success", "handled_error", "unhandled", "timeout", "out_of_memory", "crash", "throttled",
// "platform_error".
std::string_view OutcomeName(Outcome o);
Result<Outcome> ParseOutcome(std::string_view s);

// Where billed_ms and cost_usd come from.
enum class BillingSource {
  kProfile,           // durations measured on this machine's instances, priced by the profile
  kPlatformReport,    // the remote platform's own report (Lambda's REPORT line, LogType Tail),
                      // priced by the profile
  kMeasuredByCaller,  // the caller's round trip (no report from the platform), priced by the
                      // profile: an upper bound of the handler duration
};
// "profile", "platform_report", "measured_by_caller".
std::string_view BillingSourceName(BillingSource b);
Result<BillingSource> ParseBillingSource(std::string_view s);

struct InvocationRecord {
  std::string request_id;
  std::string function;
  std::string provider;      // profile name, e.g. "aws-lambda"
  std::string stage;         // optional: training round / batch tag; "" = none
  std::string instance_id;   // which instance ran it ("" if it never ran)
  int64_t memory_mb = 0;     // configured memory
  bool cold_start = false;
  double init_ms = 0;        // measured spawn + runtime init (cold starts only)
  double duration_ms = 0;    // measured handler duration
  double billed_ms = 0;      // after the profile's rounding/minimums (incl. INIT if billed)
  int64_t max_memory_used_mb = 0;  // measured peak RSS
  double cost_usd = 0;       // priced under `provider`
  Outcome outcome = Outcome::kSuccess;
  std::string error_type;    // Lambda errorType, e.g. "Runtime.ExitError"; "" on success
  WallTime start_time{};     // when the invocation was accepted (wall clock)
  double queued_ms = 0;      // waited for local capacity on this machine (never billed)
  bool cpu_enforced = false; // the instance ran under a cgroup CPU quota matching the profile
  std::string host;          // which FunctionHost ran it: "" or "local", "lambda", "http"
  BillingSource billing = BillingSource::kProfile;
  // Object-store traffic the function reported in its response (store_io_report.h) and its
  // price under `provider` (transfer_pricing.h): measured bytes and requests, egress between the
  // function's cloud and the store's (0 within one), the store's request fees. `store` is ""
  // (and the fields absent from the JSON line) when the function reported none.
  std::string store;
  int64_t store_bytes_read = 0;
  int64_t store_bytes_written = 0;
  int64_t store_read_requests = 0;
  int64_t store_write_requests = 0;
  int64_t store_list_requests = 0;
  double transfer_usd = 0;
  double store_request_usd = 0;
};

nlohmann::json RecordToJson(const InvocationRecord& r);
// `where` prefixes error messages, e.g. "ledger.jsonl:12".
Result<InvocationRecord> RecordFromJson(const nlohmann::json& j, std::string_view where);

// RFC 3339 ("2026-11-22T20:53:01.123Z", also without fraction or with +00:00) → WallTime.
Result<WallTime> ParseRfc3339(std::string_view s);

}  // namespace sl::faas

// Invoker: how the rest of straightline runs functions — the C++ front of the function platform
// (the executor.map shape of PyWren/Lithops). The local platform implements it; the Lambda Invoke
// API front (HTTP) and the Event queue are written against this interface, as are the serverless
// trainer and the serving tier.
//
// Failure contract. An InvokeResult separates two kinds of failure, exactly like Lambda:
//   * status != OK: the platform did not run the handler to completion on its own terms:
//       NOT_FOUND            no such function                  (HTTP 404 ResourceNotFoundException)
//       INVALID_ARGUMENT     payload not valid / bad request    (HTTP 400 InvalidRequestContentException)
//       OUT_OF_RANGE         payload over the profile's limit   (HTTP 413 RequestEntityTooLargeException)
//       RESOURCE_EXHAUSTED   throttled: concurrency limit hit   (HTTP 429 TooManyRequestsException)
//       UNAVAILABLE          platform shutting down / transient (HTTP 503 ServiceException)
//   * status == OK but function_error non-empty: the handler ran and failed, timed out, was killed
//     for memory or crashed. payload then holds Lambda's error JSON
//     {"errorMessage": "...", "errorType": "..."} and the HTTP front answers 200 with
//     X-Amz-Function-Error: Unhandled (or Handled for errors the handler reported itself).
// `outcome` types both kinds (function_host.h); callers decide on it, not on strings.
// Thread safety: Invoke/Map may be called from any number of threads at once.
#pragma once

#include <cstdint>
#include <future>
#include <string>
#include <vector>

#include "common/status.h"
#include "faas/economics/invocation_record.h"

namespace sl::faas {

enum class InvocationType {
  kRequestResponse,  // synchronous: the future completes with the handler's response
  kEvent,            // asynchronous: queued; the future completes when accepted (HTTP 202)
  kDryRun,           // validate function and payload only (HTTP 204)
};

struct InvokeRequest {
  std::string function;
  std::string payload;
  InvocationType type = InvocationType::kRequestResponse;
  bool tail_log = false;  // fill InvokeResult::log_tail (last 4 KB of this invocation's log)
  // Optional tag recorded in the ledger (InvocationRecord::stage), e.g. "preprocess" or "round-3",
  // so that cost reports can give T_parallel per stage.
  std::string stage = "";
};

struct InvokeResult {
  Status status;               // platform-level outcome, see above
  std::string request_id;      // Lambda-style UUID, also in logs and ledger
  std::string payload;         // response body, or error JSON when function_error is set
  std::string function_error;  // "" | "Unhandled" | "Handled"
  Outcome outcome = Outcome::kSuccess;  // typed: success, handled/unhandled error, timeout, ...
  std::string log_tail;        // when requested: START..REPORT lines, at most 4 KB
  bool cold_start = false;
  double init_ms = 0;          // cold start: spawn + runtime init, measured
  double duration_ms = 0;      // handler duration, measured
  double billed_ms = 0;        // after the profile's rounding and minimums
  double queued_ms = 0;        // waited for local capacity on this machine (never billed)
  // Waited for the embedded platform's template process to boot (local hosts, once per
  // platform: loading the worker and libtorch). Not queueing and not in queued_ms; never billed.
  double platform_start_ms = 0;
  int64_t max_memory_mb = 0;
  double cost_usd = 0;         // priced under the function's provider profile
  BillingSource billing = BillingSource::kProfile;  // where billed_ms/cost_usd come from
};

// The ledger row of an invocation: request id, the outcome and billing, and the measured figures
// of `r` (cold start, init, duration, billed, peak memory, cost, queued). The caller adds what
// only it knows (function, provider, memory, stage, start time, instance, host).
InvocationRecord LedgerRecordOf(const InvokeResult& r);

// The result of an invocation the platform did not run: `status` (not OK), its typed outcome
// (throttled or platform error), and where billing would have come from (nothing is billed).
InvokeResult NotRunResult(Status status, std::string request_id = "",
                          BillingSource billing = BillingSource::kProfile);

class Invoker {
 public:
  virtual ~Invoker() = default;
  virtual std::future<InvokeResult> Invoke(InvokeRequest request) = 0;
  // One synchronous invocation per payload, run concurrently up to the function's limits;
  // futures in payload order.
  virtual std::vector<std::future<InvokeResult>> Map(const std::string& function,
                                                     const std::vector<std::string>& payloads);

 protected:
  // Map's shape for implementations: one request per payload through `submit`, in order.
  template <typename Submit>
  static std::vector<std::future<InvokeResult>> MapEach(const std::string& function,
                                                        const std::vector<std::string>& payloads,
                                                        Submit&& submit) {
    std::vector<std::future<InvokeResult>> futures;
    futures.reserve(payloads.size());
    for (const auto& p : payloads) {
      InvokeRequest req;
      req.function = function;
      req.payload = p;
      futures.push_back(submit(std::move(req)));
    }
    return futures;
  }
};

}  // namespace sl::faas

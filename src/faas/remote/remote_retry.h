// Retries of remote invocations (LambdaHost, HttpHost): which failures are retried, and how long
// to wait before the next attempt.
//
// A failed attempt falls in one of three classes:
//   kNotExecuted    the platform proves the function did not run: 429 throttling, Lambda's 502
//                   initialisation errors (EC2ThrottledException, ResourceNotReadyException, ...).
//                   Always retried while the budget lasts.
//   kMaybeExecuted  it may have run: 5xx ServiceException / 503 / 504, a connection refused or
//                   reset, a response that is not HTTP. Retried only when
//                   retry_when_maybe_executed (the default, as the AWS SDKs do: their standard
//                   retry mode retries 500/502/503/504 and connection errors for every operation,
//                   Invoke included, so a function invoked through an SDK must already tolerate
//                   a second run; straightline's handlers do: they write put-if-absent).
//                   HttpClient reports "connection refused" and "reset after sending" with the
//                   same code (UNAVAILABLE), so both count as maybe-executed.
//   kFinal          never retried: 4xx other than 429, client-side timeouts (a second attempt
//                   would repeat a long invocation and the caller's time is spent), success and
//                   function errors.
// Waits: "equal jitter" exponential backoff (half the capped delay plus a uniform share of the
// other half), at least the server's Retry-After when it sends one (capped at max_retry_after),
// through the injected Clock, so tests with a fake clock never sleep.
// Thread safety: Backoff is safe to share (its RNG is mutex-guarded); the policy is a value.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace sl::faas {

struct RemoteRetryPolicy {
  int max_attempts = 4;                           // total tries per Invoke, including the first
  Nanos initial_backoff = std::chrono::milliseconds(100);
  Nanos max_backoff = std::chrono::seconds(20);   // cap of one wait (botocore: 20 s)
  double multiplier = 2.0;
  Nanos max_retry_after = std::chrono::seconds(60);  // cap on a server's Retry-After
  bool retry_when_maybe_executed = true;
  // Map only: throttled invocations keep being retried (past max_attempts) until this much time
  // has passed since the map was submitted, so that a map larger than the function's concurrency
  // still completes (executor.map contract). 0: throttles in a map use max_attempts like Invoke.
  Nanos map_throttle_patience = std::chrono::minutes(15);
};

enum class RetryClass { kFinal, kNotExecuted, kMaybeExecuted };

class Backoff {
 public:
  explicit Backoff(const RemoteRetryPolicy& policy, uint64_t seed = std::random_device{}());
  // The wait before retry number `retry` (0-based), at least `retry_after` (capped).
  Nanos Wait(int retry, std::optional<Nanos> retry_after = std::nullopt);

 private:
  RemoteRetryPolicy policy_;
  std::mutex mu_;
  std::mt19937_64 rng_;  // GUARDED_BY(mu_)
};

// Whether attempt `attempt` (0-based) that failed with `cls` gets another try. `throttled` and
// `in_map` with `elapsed` since the submission select the map's throttle patience.
bool ShouldRetry(const RemoteRetryPolicy& policy, RetryClass cls, int attempt, bool throttled,
                 bool in_map, Nanos elapsed);

// Retry-After as whole seconds (the only form Lambda and the HTTP triggers send); nullopt when
// absent or not a number.
std::optional<Nanos> ParseRetryAfter(std::string_view header);

// The status a call gives up with after its last failed attempt (0-based): the last error, and
// how many attempts were made when there was more than one.
Status FinalStatus(const Status& last, int attempt);

}  // namespace sl::faas

// Bounded retry with exponential backoff and jitter, for transient (UNAVAILABLE) failures.
//
// Only Code::kUnavailable is retried: every other code means retrying cannot help (the caller's
// fault, missing key, corruption) and is returned at once. Waits go through the injected Clock,
// so a test with a FakeClock runs every retry path without sleeping and can read how long the
// real code would have waited. Jitter ("equal jitter": half the capped exponential delay plus a
// uniform random share of the other half) keeps many function instances that fail together from
// retrying in lockstep.
// Thread safety: a Retrier is safe to share between threads (its RNG is mutex-guarded).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace sl::store {

struct RetryPolicy {
  int max_attempts = 5;  // total tries, including the first; 1 disables retrying
  Nanos initial_backoff = std::chrono::milliseconds(50);
  Nanos max_backoff = std::chrono::seconds(2);
  double multiplier = 2.0;
};

// Process-wide counts over every Retrier, for reports ("how many transient store errors did this
// work meet?"): read them before and after, and take the difference. Thread-safe (atomics).
struct RetryCounts {
  int64_t retries = 0;  // attempts after a transient failure (each after a backoff wait)
  int64_t gave_up = 0;  // operations that stayed UNAVAILABLE after all their attempts
};
RetryCounts ProcessRetryCounts();

class Retrier {
 public:
  // `clock` is not owned and must outlive the Retrier; null means Clock::Real().
  Retrier(RetryPolicy policy, Clock* clock, uint64_t seed = std::random_device{}());

  // Calls op(attempt) (attempt = 0, 1, ...) until it returns a non-UNAVAILABLE status or the
  // attempts run out. The final UNAVAILABLE error says how many attempts were made.
  Status Run(const std::function<Status(int attempt)>& op);

  // The wait before retry number `retry` (0-based), jitter included. Exposed for tests.
  Nanos Backoff(int retry);

  const RetryPolicy& policy() const { return policy_; }

 private:
  RetryPolicy policy_;
  Clock* clock_;
  std::mutex mu_;
  std::mt19937_64 rng_;  // GUARDED_BY(mu_)
};

}  // namespace sl::store

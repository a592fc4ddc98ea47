#include "store/retry.h"

#include <algorithm>
#include <atomic>
#include <cmath>

namespace sl::store {
namespace {
std::atomic<int64_t> g_retries{0};
std::atomic<int64_t> g_gave_up{0};
}  // namespace

RetryCounts ProcessRetryCounts() { return RetryCounts{g_retries.load(), g_gave_up.load()}; }

Retrier::Retrier(RetryPolicy policy, Clock* clock, uint64_t seed)
    : policy_(policy), clock_(clock != nullptr ? clock : Clock::Real()), rng_(seed) {
  if (policy_.max_attempts < 1) policy_.max_attempts = 1;
}

Nanos Retrier::Backoff(int retry) {
  double base = static_cast<double>(policy_.initial_backoff.count()) * std::pow(policy_.multiplier, retry);
  double cap = std::min(base, static_cast<double>(policy_.max_backoff.count()));
  double half = cap / 2.0;
  double u;
  {
    std::lock_guard<std::mutex> lock(mu_);
    u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }
  return Nanos(static_cast<int64_t>(half + u * half));
}

Status Retrier::Run(const std::function<Status(int attempt)>& op) {
  Status last;
  for (int attempt = 0; attempt < policy_.max_attempts; ++attempt) {
    if (attempt > 0) {
      g_retries.fetch_add(1, std::memory_order_relaxed);
      clock_->SleepFor(Backoff(attempt - 1));
    }
    last = op(attempt);
    if (last.code() != Code::kUnavailable) return last;
  }
  g_gave_up.fetch_add(1, std::memory_order_relaxed);
  if (policy_.max_attempts == 1) return last;
  return Status(Code::kUnavailable, fmt::format("{} (gave up after {} attempts)", last.message(), policy_.max_attempts));
}

}  // namespace sl::store

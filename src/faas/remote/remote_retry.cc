#include "faas/remote/remote_retry.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include <fmt/format.h>

namespace sl::faas {

Backoff::Backoff(const RemoteRetryPolicy& policy, uint64_t seed) : policy_(policy), rng_(seed) {}

Nanos Backoff::Wait(int retry, std::optional<Nanos> retry_after) {
  double d = static_cast<double>(policy_.initial_backoff.count());
  for (int i = 0; i < retry && d < static_cast<double>(policy_.max_backoff.count()); ++i) {
    d *= policy_.multiplier;
  }
  int64_t capped = static_cast<int64_t>(std::min(d, static_cast<double>(policy_.max_backoff.count())));
  int64_t half = capped / 2;
  int64_t jitter = 0;
  if (capped - half > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    jitter = std::uniform_int_distribution<int64_t>(0, capped - half)(rng_);
  }
  Nanos wait(half + jitter);
  if (retry_after) wait = std::max(wait, std::min(*retry_after, policy_.max_retry_after));
  return wait;
}

bool ShouldRetry(const RemoteRetryPolicy& policy, RetryClass cls, int attempt, bool throttled,
                 bool in_map, Nanos elapsed) {
  if (cls == RetryClass::kFinal) return false;
  if (cls == RetryClass::kMaybeExecuted && !policy.retry_when_maybe_executed) return false;
  if (throttled && in_map && policy.map_throttle_patience > Nanos(0)) {
    return elapsed < policy.map_throttle_patience;
  }
  return attempt + 1 < policy.max_attempts;
}

std::optional<Nanos> ParseRetryAfter(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.empty()) return std::nullopt;
  int64_t secs = 0;
  auto [ptr, ec] = std::from_chars(header.data(), header.data() + header.size(), secs);
  if (ec != std::errc() || ptr != header.data() + header.size() || secs < 0) return std::nullopt;
  return std::chrono::seconds(secs);
}

Status FinalStatus(const Status& last, int attempt) {
  if (attempt == 0) return last;
  return Status(last.code(), fmt::format("{} (after {} attempts)", last.message(), attempt + 1));
}

}  // namespace sl::faas

// LoadRecorder: what `straightline load` keeps of its requests and sessions, in memory bounded
// by the run's length and the number of phases and tiers, never by the number of requests:
//
//   per phase and tier   requests, failures, a response-time histogram (the per-phase report)
//   per phase            sessions, failed ones, a session-length histogram
//   per second           (issue 19: the figures over time) sessions launched / completed /
//                        failed by cause, their mean length; requests sent and failed,
//                        response-time histogram; placements per tier and rule (and how many
//                        of them failed); f_t and F
//
// A second is the one a session arrived in (its requests count in the second they were sent),
// counted from the recorder's start: a session's outcome is attributed to the load it met when
// it arrived, so "sessions launched" and "failed" of one second are the same cohort. Times come
// from the caller (the runner's clock reads; tests' FakeClock), never from a clock read inside.
//
// Tiers, rules and phase indices come from responses and the spec: distinct (tier, rule) pairs
// beyond kMaxPlacementKeys count under ("other", "other") so that a misbehaving server cannot
// grow the recorder without bound; the same for tiers beyond kMaxTiers in the per-phase table.
// Thread safety: every method may be called from any thread (one mutex); the accessors after the
// writers have finished.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "serve/load/latency_histogram.h"

namespace sl::serve::load {

// Why a request (and so its session) failed.
enum class FailureCause {
  kClientBacklog,  // the client's backlog was full when the session arrived: never sent
  kNoResponse,     // transport error or the client's own timeout
  kRefused,        // 429 / 503 (every tier full, admission)
  kTimeout,        // 504 (the gateway's request deadline)
  kClientError,    // other 4xx
  kServerError,    // other 5xx (and any status the classification does not know)
};
inline constexpr int kFailureCauses = 6;
// "client-backlog", "no-response", "refused", "timeout", "client-error", "server-error".
std::string_view FailureCauseName(FailureCause c);
// The cause of a failed HTTP status (0: no response); callers check 2xx first.
FailureCause CauseOfStatus(int status);

// What one answered (or unanswered) request told the client.
struct RequestOutcome {
  int32_t phase = 0;
  int32_t status = 0;        // HTTP status; 0: no response
  double response_ms = 0;    // send → response (not counted in percentiles without a response)
  std::string tier;          // X-Straightline-Tier up to ';'; "" when absent
  std::string rule;          // X-Straightline-Rule; "" when absent
  double f_t = -1;           // X-Straightline-Frequency; < 0 when absent
  double threshold = -1;     // its F; < 0 when absent
};

// Parses "f_t=812.000; F=500.000" (F optional) into f_t and F; both stay -1 when malformed.
void ParseFrequencyHeader(std::string_view value, double* f_t, double* threshold);
// "local; reason=..." → "local" (trimmed).
std::string TierOfHeader(std::string_view value);

struct GroupAccumulator {
  int64_t requests = 0;
  int64_t failures = 0;
  LatencyHistogram response_ms;  // requests with a response
};
struct SessionAccumulator {
  int64_t sessions = 0;
  int64_t failed = 0;
  LatencyHistogram length_ms;    // sessions that completed (every request 2xx)
};

struct SecondStats {
  int64_t sessions_launched = 0;
  int64_t sessions_completed = 0;  // every request 2xx
  int64_t sessions_failed = 0;
  std::array<int64_t, kFailureCauses> failed_by_cause{};
  double session_ms_sum = 0;       // completed sessions
  int64_t requests = 0;            // sent (or refused by the backlog) in this second
  int64_t request_failures = 0;
  LatencyHistogram response_ms;
  std::vector<int64_t> placements;  // by placement key index (LoadRecorder::placement_keys)
  std::vector<int64_t> placement_failures;  // of those, answered with a failure (same index)
  int64_t f_t_samples = 0;
  double f_t_sum = 0;
  double f_t_max = -1;
  double threshold = -1;           // the last F seen in this second; < 0: none
};

struct PlacementKey {
  std::string tier;
  std::string rule;
};

class LoadRecorder {
 public:
  static constexpr size_t kMaxPlacementKeys = 64;
  static constexpr size_t kMaxTiers = 16;

  LoadRecorder(size_t phases, TimePoint start);

  // A request sent at `sent` of a session that arrived at `arrival` (its second).
  void Request(TimePoint arrival, const RequestOutcome& r);
  // A session that arrived at `arrival` and ended at `end`: ok, or failed for `cause`.
  void Session(TimePoint arrival, TimePoint end, int32_t phase, bool ok, FailureCause cause);
  // A session refused by the client's full backlog at `arrival`: one failed session and one
  // unsent failed request (tier "client-backlog", as the per-phase table always showed it).
  void Dropped(TimePoint arrival, int32_t phase);

  // Accessors (after the writers have finished).
  size_t phases() const { return phases_.size(); }
  const std::map<std::string, GroupAccumulator>& PhaseTiers(size_t phase) const { return phases_[phase]; }
  const SessionAccumulator& PhaseSessions(size_t phase) const { return sessions_[phase]; }
  const std::vector<SecondStats>& seconds() const { return seconds_; }
  const std::vector<PlacementKey>& placement_keys() const { return keys_; }
  int64_t dropped_sessions() const { return dropped_; }

 private:
  SecondStats& SecondOf(TimePoint t);      // REQUIRES(mu_)
  size_t KeyOf(const std::string& tier, const std::string& rule);  // REQUIRES(mu_)
  std::map<std::string, GroupAccumulator>& TiersOf(int32_t phase);  // REQUIRES(mu_)

  const TimePoint start_;
  mutable std::mutex mu_;
  std::vector<std::map<std::string, GroupAccumulator>> phases_;  // GUARDED_BY(mu_)
  std::vector<SessionAccumulator> sessions_;                     // GUARDED_BY(mu_)
  std::vector<SecondStats> seconds_;                             // GUARDED_BY(mu_)
  std::vector<PlacementKey> keys_;                               // GUARDED_BY(mu_)
  int64_t dropped_ = 0;                                          // GUARDED_BY(mu_)
};

}  // namespace sl::serve::load

// Keep-alive policies: when the platform should unload an idle instance of a function and
// whether it should pre-warm a fresh one before the next expected invocation.
//
// Protocol (the platform core calls, per function, with times from its injected Clock):
//   RecordArrival(fn, t)     when an invocation of fn arrives (before it is placed)
//   RecordCompletion(fn, t)  when an invocation of fn finishes (any outcome)
//   Decide(fn)               when an instance of fn becomes idle → KeepAliveDecision
//   PlanIdle(decision, t_idle) turns the decision into absolute times:
//     pre_warm == 0: keep the instance loaded until t_idle + keep_alive, then unload it.
//     pre_warm  > 0: unload it now; load a fresh instance at t_idle + pre_warm (its init is
//                    not on any request's path) and unload that one at
//                    t_idle + pre_warm + keep_alive if no invocation used it.
// An arrival that finds a warm instance simply uses it; the next idle period gets a new Decide.
//
// Policies never read a clock or sleep: tests drive them with explicit TimePoints.
// Thread safety: all methods of the policies here may be called from any thread at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "faas/economics/provider_profile.h"

namespace sl::faas {

struct KeepAliveDecision {
  Nanos pre_warm{0};    // 0: stay loaded right after the execution
  Nanos keep_alive{0};  // how long the instance stays loaded (counted after pre_warm)
  // Why: "fixed", "histogram", "no-history", "too-few-samples", "low-cv", "out-of-bounds".
  std::string reason;
};

struct IdlePlan {
  TimePoint unload_at;                   // unload the current instance at this time
  std::optional<TimePoint> prewarm_at;   // load a fresh instance at this time (if pre-warming)
  TimePoint expire_at;                   // the (pre-warmed or kept) instance expires here
};
IdlePlan PlanIdle(const KeepAliveDecision& d, TimePoint idle_since);
// True once an instance idle since idle_since is past its keep-alive (pre_warm == 0), or
// immediately when the decision pre-warms (the current instance is unloaded right away).
bool ShouldUnload(const KeepAliveDecision& d, TimePoint idle_since, TimePoint now);

// The function-level half of the protocol: a pending pre-warm. The platform (one per function,
// under its lock) and the keep-alive simulator (trace/keep_alive_sim.h) both keep one, so that
// they pre-warm alike. Not thread-safe: its owner serialises the calls.
class PrewarmSchedule {
 public:
  // An idle instance that got decision d at idle_since is being unloaded: if d pre-warms, a fresh
  // instance is due at idle_since + d.pre_warm (replacing any pre-warm still pending).
  void OnUnload(const KeepAliveDecision& d, TimePoint idle_since);
  // When the pending pre-warm is due, or nullopt.
  std::optional<TimePoint> due() const { return at_; }
  // At or after the due time: clears it and says whether to load the fresh instance now (only if
  // the function has no instance at all; one that is loaded serves the expected arrival).
  bool TakeDue(TimePoint now, bool function_has_instances);
  // The decision a pre-warmed instance gets when it is ready: stay loaded for the keep_alive of
  // the decision that asked for it, then unload if nothing used it.
  KeepAliveDecision Decision() const { return {Nanos(0), keep_alive_, "prewarm"}; }

 private:
  std::optional<TimePoint> at_;
  Nanos keep_alive_{0};
};

class KeepAlivePolicy {
 public:
  virtual ~KeepAlivePolicy() = default;
  virtual void RecordArrival(const std::string& function, TimePoint arrival) = 0;
  virtual void RecordCompletion(const std::string& function, TimePoint end) = 0;
  virtual KeepAliveDecision Decide(const std::string& function) const = 0;
  virtual std::string Name() const = 0;
};

// Keep every idle instance loaded for a fixed time; never pre-warm. Each profile's default
// (profile.keep_alive_s: AWS ~10 min, Azure ~20 min, measured by others — see the profile).
class FixedKeepAlive final : public KeepAlivePolicy {
 public:
  explicit FixedKeepAlive(Nanos idle) : idle_(idle) {}
  void RecordArrival(const std::string&, TimePoint) override {}
  void RecordCompletion(const std::string&, TimePoint) override {}
  KeepAliveDecision Decide(const std::string&) const override;
  std::string Name() const override;

 private:
  Nanos idle_;
};

// The hybrid histogram policy of Shahrad et al., "Serverless in the Wild", USENIX ATC 2020.
// Per function it keeps a histogram of idle times (end of one execution → next arrival; 0 when
// the arrival finds another invocation still running) in `bin`-wide bins over `range`
// (1-minute bins, 4 hours in the paper), then:
//   * out of bounds — the share of idle times beyond the range is >= oob_threshold:
//       the histogram cannot describe the function; predict the next idle time P from recent
//       out-of-range idle times and use pre_warm = P*(1-oob_margin), keep_alive = 2*P*oob_margin
//       (the paper fits ARIMA here; we use an exponentially weighted mean of the log idle times
//       of the last `oob_history` out-of-range samples — simpler, deterministic, documented).
//   * not representative — fewer than min_samples in-range idle times, or the coefficient of
//       variation of the bin counts < cv_threshold (idle times spread evenly: no pattern):
//       fall back to the fixed keep-alive `fallback_keep_alive`, no pre-warm.
//   * otherwise: head = the `head_percentile` bin (5th), tail = the `tail_percentile` bin (99th);
//       pre_warm = lower edge of head * (1 - hist_margin);
//       keep_alive = upper edge of tail * (1 + hist_margin) - pre_warm (so the instance lives
//       until just past the tail, measured from the start of the idle period).
class HybridHistogramPolicy final : public KeepAlivePolicy {
 public:
  struct Options {
    Nanos bin = std::chrono::minutes(1);
    Nanos range = std::chrono::hours(4);
    double head_percentile = 0.05;
    double tail_percentile = 0.99;
    double hist_margin = 0.10;
    double cv_threshold = 2.0;
    int64_t min_samples = 10;       // ours: the paper does not give one (1 sample has a huge CV)
    double oob_threshold = 0.5;     // share of out-of-range idle times that switches to predict
    double oob_margin = 0.15;
    int oob_history = 16;
    Nanos fallback_keep_alive = std::chrono::minutes(10);
  };
  explicit HybridHistogramPolicy(Options options);

  void RecordArrival(const std::string& function, TimePoint arrival) override;
  void RecordCompletion(const std::string& function, TimePoint end) override;
  KeepAliveDecision Decide(const std::string& function) const override;
  std::string Name() const override { return "hybrid-histogram"; }

  // For tests and reports: the function's idle-time histogram.
  struct Snapshot {
    std::vector<int64_t> bins;
    int64_t in_range = 0;
    int64_t out_of_range = 0;
    double cv = 0;
  };
  Snapshot Histogram(const std::string& function) const;

 private:
  struct State {
    std::vector<int64_t> bins;
    int64_t in_range = 0;
    int64_t out_of_range = 0;
    std::vector<double> recent_oob_s;  // last oob_history out-of-range idle times, seconds
    int in_flight = 0;
    std::optional<TimePoint> last_end;
  };
  static double Cv(const State& s);
  KeepAliveDecision DecideLocked(const State& s) const;

  Options opt_;
  int64_t n_bins_;
  mutable std::mutex mu_;
  std::map<std::string, State> state_;  // GUARDED_BY(mu_)
};

// Builds a policy from a spec string as written in a functions file:
//   "fixed"          FixedKeepAlive(profile.keep_alive_s)
//   "fixed:90s"      FixedKeepAlive(90 s)   (units: ms, s, m, h)
//   "hybrid"         HybridHistogramPolicy with paper defaults, fallback = profile.keep_alive_s
//   "hybrid:range=2h:fallback=4h"  the same with another histogram range (>= 1 minute, the bin)
//                    and/or fallback keep-alive (Shahrad et al. vary the range; the keep-alive
//                    study, trace/keep_alive_study.h, compares them)
// INVALID_ARGUMENT naming the spec otherwise.
Result<std::unique_ptr<KeepAlivePolicy>> MakeKeepAlivePolicy(const std::string& spec,
                                                             const ProviderProfile& profile);

}  // namespace sl::faas

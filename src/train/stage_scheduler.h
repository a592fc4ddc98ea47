// StageScheduler: the rules of one stage of the serverless trainer (preprocessing, or one round)
// — which attempt of which shard to launch when, when to retry, when to back up a straggler and
// when to give up — as a pure unit driven by events and time. It runs nothing, reads no clock
// and touches no store: the coordinator (coordinator.cc) invokes the functions, checks their
// outputs and feeds the completions back; tests drive it with made-up times.
//
// The rules:
//   * Every shard not already done gets attempt 0 at Start.
//   * A failed attempt of a shard that is not done counts as a failure of that shard. When no
//     other attempt of the shard is still running, the shard is retried after
//     min(5 s, 200 ms × 2^(failures-1)) × jitter, jitter in [0.5, 1.5); or, once its failures
//     exceed max_retries, the stage gives up: ABORTED "<stage> shard s: retries exhausted after
//     N attempts; last error: <function> (attempt a): <outcome>: <error>".
//   * Speculative backups (speculative_after > 0): once half of the shards are done, while the
//     host's queue is empty, a shard not yet backed up whose running (non-backup) attempt has
//     run longer than max(500 ms, speculative_after × median run time of the accepted attempts)
//     gets one backup attempt. Run time counts from the later of its launch and the moment the queue was last
//     seen becoming empty (an invocation waiting in the host's queue is not straggling). A shard
//     gets at most one backup per stage.
//   * The first valid output of a shard wins; a valid output after that is accepted-late, a
//     failure after that changes nothing.
//
// Use, per loop iteration (the order matters, as in the coordinator): DueLaunches(now) → invoke
// them; Backups(now, host queue empty after those invocations) → invoke them; for every attempt
// that ended: OnCompleted. The stage is over when finished() or a verdict is kGiveUp; Running()
// then lists the attempts still out (the coordinator drains them as orphans).
// Thread safety: none; one stage on one thread. Failure contract: only the kGiveUp verdict.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "train/run_record.h"

namespace sl::train {

struct StageSchedulerOptions {
  std::string stage = "round 0";  // names the stage in errors: "round 3", "preprocessing"
  std::string function;           // the function the stage invokes (in the last-error text)
  int64_t shards = 0;
  int64_t max_retries = 0;        // a shard gives up at failure max_retries + 1
  double speculative_after = 0;   // > 0: back up stragglers (rounds only); 0: never
  // The factor multiplying each backoff, in [0.5, 1.5). Empty: uniform from an mt19937_64 seeded
  // with jitter_seed.
  std::function<double()> jitter;
  uint64_t jitter_seed = 0;
};

// Invoke attempt `attempt` (0-based per shard, backups included) of `shard`; `id` names it in
// OnCompleted.
struct Launch {
  int64_t id = 0;
  int64_t shard = 0;
  int64_t attempt = 0;
  bool speculative = false;  // a backup for a straggler
};

// What became of a completed attempt.
struct Verdict {
  enum class Kind {
    kAccepted,  // the shard's output: the shard is done
    kLate,      // a valid output after the shard was done (record it as accepted-late)
    kNoted,     // a failure that needs nothing now: the shard is done, or another attempt of it
                // still runs (a failure of that one will retry)
    kRetry,     // the shard is retried at retry_at (a Launch from DueLaunches then)
    kGiveUp,    // the stage has failed: status is ABORTED
  } kind = Kind::kNoted;
  AttemptOutcome outcome = AttemptOutcome::kOk;  // what to record for the attempt
  double backoff_ms = 0;                         // kRetry
  TimePoint retry_at{};                          // kRetry
  Status status;                                 // kGiveUp
};

class StageScheduler {
 public:
  explicit StageScheduler(StageSchedulerOptions options);

  // Begins the stage at `now` (the origin of done_at_ms). already_done[s]: shard s's output
  // exists already (resume) and is not run again; empty = none.
  void Start(TimePoint now, const std::vector<bool>& already_done = {});

  // First attempts and retries whose time has come, in the order they became pending.
  std::vector<Launch> DueLaunches(TimePoint now);

  // Backups for stragglers, given whether the host's queue is empty now (seen after the
  // DueLaunches were invoked). Also tracks since when the queue has been empty, so call it on
  // every iteration, also for stages without backups.
  std::vector<Launch> Backups(TimePoint now, bool host_queue_empty);

  // Whether `shard` has its output. The coordinator checks a successful attempt's output only
  // when it has not (a successful attempt of a done shard is late whatever its output).
  bool IsDone(int64_t shard) const;

  // Attempt `id` ended at `now`. `outcome` is kOk or kAcceptedLate only for a valid output (or
  // any successful attempt of a done shard); run_ms (init + duration) is its run time, fed to
  // the median; `error` describes a failure.
  Verdict OnCompleted(int64_t id, AttemptOutcome outcome, std::string_view error, double run_ms,
                      TimePoint now);

  bool finished() const { return done_count_ == options_.shards; }
  int64_t done_count() const { return done_count_; }
  int64_t retries() const { return retries_; }
  int64_t speculative() const { return speculative_; }
  // Attempts launched and not completed, in launch order.
  const std::vector<Launch>& Running() const { return running_; }
  // From the median shard's acceptance to the last one's, over the shards accepted in this
  // stage (0 when none).
  double straggler_wait_ms() const;

 private:
  struct Pending {
    int64_t shard;
    TimePoint not_before;
  };
  Launch NewLaunch(int64_t shard, bool speculative, TimePoint now);
  double Jitter();

  StageSchedulerOptions options_;
  TimePoint t0_{};
  std::vector<bool> done_, has_backup_;
  std::vector<int64_t> attempts_used_, failures_;
  std::vector<TimePoint> started_;  // by launch id
  std::vector<Pending> pending_;
  std::vector<Launch> running_;
  std::vector<double> done_at_ms_;   // since Start, per shard accepted in this stage
  std::vector<double> durations_ms_; // run time of the accepted attempts
  bool queue_was_empty_ = false;
  TimePoint queue_empty_since_{};
  std::string last_error_;
  int64_t done_count_ = 0, retries_ = 0, speculative_ = 0, next_id_ = 0;
  std::function<double()> jitter_;
};

}  // namespace sl::train

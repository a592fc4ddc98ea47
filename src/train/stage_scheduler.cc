#include "train/stage_scheduler.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <utility>

#include <fmt/format.h>

namespace sl::train {
namespace {

double MsBetween(TimePoint a, TimePoint b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

// The backoff before retry number `failures` (1-based), before jitter: doubling from 200 ms,
// capped at 5 s, so a burst of throttles spreads out without stalling a round for long.
double BackoffMs(int64_t failures) {
  return std::min(5000.0, 200.0 * std::pow(2.0, static_cast<double>(failures - 1)));
}

}  // namespace

StageScheduler::StageScheduler(StageSchedulerOptions options) : options_(std::move(options)) {
  jitter_ = options_.jitter;
  if (!jitter_) {
    auto rng = std::make_shared<std::mt19937_64>(options_.jitter_seed);
    jitter_ = [rng] { return std::uniform_real_distribution<double>(0.5, 1.5)(*rng); };
  }
  const auto n = static_cast<size_t>(std::max<int64_t>(options_.shards, 0));
  done_.assign(n, false);
  has_backup_.assign(n, false);
  attempts_used_.assign(n, 0);
  failures_.assign(n, 0);
}

void StageScheduler::Start(TimePoint now, const std::vector<bool>& already_done) {
  t0_ = now;
  for (int64_t s = 0; s < options_.shards; ++s) {
    if (static_cast<size_t>(s) < already_done.size() && already_done[s]) {
      done_[s] = true;
      ++done_count_;
      continue;
    }
    pending_.push_back({s, now});
  }
}

Launch StageScheduler::NewLaunch(int64_t shard, bool speculative, TimePoint now) {
  Launch l{.id = next_id_++, .shard = shard, .attempt = attempts_used_[shard]++, .speculative = speculative};
  running_.push_back(l);
  started_.push_back(now);  // indexed by id
  return l;
}

std::vector<Launch> StageScheduler::DueLaunches(TimePoint now) {
  std::vector<Launch> out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->not_before <= now) {
      out.push_back(NewLaunch(it->shard, false, now));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<Launch> StageScheduler::Backups(TimePoint now, bool host_queue_empty) {
  if (!host_queue_empty) {
    queue_was_empty_ = false;
  } else if (!queue_was_empty_) {
    queue_was_empty_ = true;
    queue_empty_since_ = now;
  }
  std::vector<Launch> out;
  if (options_.speculative_after <= 0 || done_count_ * 2 < options_.shards || durations_ms_.empty() ||
      !queue_was_empty_) {
    return out;
  }
  std::vector<double> sorted = durations_ms_;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  const double threshold = std::max(500.0, options_.speculative_after * median);
  std::vector<int64_t> to_back;
  for (const Launch& r : running_) {
    const double running_ms = MsBetween(std::max(started_[r.id], queue_empty_since_), now);
    if (!done_[r.shard] && !has_backup_[r.shard] && !r.speculative && running_ms > threshold) {
      to_back.push_back(r.shard);
    }
  }
  for (int64_t s : to_back) {
    has_backup_[s] = true;
    ++speculative_;
    out.push_back(NewLaunch(s, true, now));
  }
  return out;
}

bool StageScheduler::IsDone(int64_t shard) const {
  return shard >= 0 && static_cast<size_t>(shard) < done_.size() && done_[shard];
}

double StageScheduler::Jitter() { return jitter_(); }

Verdict StageScheduler::OnCompleted(int64_t id, AttemptOutcome outcome, std::string_view error, double run_ms,
                                    TimePoint now) {
  Verdict v;
  auto it = std::find_if(running_.begin(), running_.end(), [&](const Launch& l) { return l.id == id; });
  if (it == running_.end()) {
    // Not ours (already completed, or never launched): nothing changes.
    v.kind = Verdict::Kind::kNoted;
    v.outcome = outcome;
    return v;
  }
  const Launch attempt = *it;
  running_.erase(it);
  const int64_t s = attempt.shard;
  if (ProducedOutput(outcome)) {
    if (done_[s]) {
      v.kind = Verdict::Kind::kLate;
      v.outcome = AttemptOutcome::kAcceptedLate;
      return v;
    }
    // Accepted; a handler's own "late" (its put lost to an attempt we did not count, e.g. one
    // of a previous coordinator) is the shard's output all the same.
    done_[s] = true;
    ++done_count_;
    done_at_ms_.push_back(MsBetween(t0_, now));
    durations_ms_.push_back(run_ms);
    v.kind = Verdict::Kind::kAccepted;
    v.outcome = AttemptOutcome::kOk;
    return v;
  }
  v.outcome = outcome;
  if (done_[s]) return v;  // kNoted: the shard has its output
  last_error_ = fmt::format("{} (attempt {}): {}: {}", options_.function, attempt.attempt,
                            AttemptOutcomeName(outcome), error);
  ++failures_[s];
  const bool another_running =
      std::any_of(running_.begin(), running_.end(), [&](const Launch& l) { return l.shard == s; });
  if (another_running) return v;  // kNoted: that one's end decides
  if (failures_[s] > options_.max_retries) {
    v.kind = Verdict::Kind::kGiveUp;
    v.status = Aborted("{} shard {}: retries exhausted after {} attempts; last error: {}", options_.stage, s,
                       attempts_used_[s], last_error_);
    return v;
  }
  ++retries_;
  v.kind = Verdict::Kind::kRetry;
  v.backoff_ms = BackoffMs(failures_[s]) * Jitter();
  v.retry_at = now + std::chrono::microseconds(static_cast<int64_t>(v.backoff_ms * 1000));
  pending_.push_back({s, v.retry_at});
  return v;
}

double StageScheduler::straggler_wait_ms() const {
  if (done_at_ms_.empty()) return 0;
  std::vector<double> sorted = done_at_ms_;
  std::sort(sorted.begin(), sorted.end());
  return sorted.back() - sorted[sorted.size() / 2];
}

}  // namespace sl::train

// The stage scheduler's rules on made-up times: no processes, no store, no sleeps.
#include "train/stage_scheduler.h"

#include <gtest/gtest.h>

namespace sl::train {
namespace {

using std::chrono::milliseconds;

// Milliseconds since an arbitrary origin.
TimePoint At(double ms) { return TimePoint(std::chrono::microseconds(static_cast<int64_t>(ms * 1000))); }

StageSchedulerOptions Options(int64_t shards, int64_t max_retries = 2, double speculative_after = 0) {
  StageSchedulerOptions o;
  o.stage = "round 3";
  o.function = "sl-train-job";
  o.shards = shards;
  o.max_retries = max_retries;
  o.speculative_after = speculative_after;
  o.jitter = [] { return 1.0; };  // exact backoffs
  return o;
}

std::vector<int64_t> Shards(const std::vector<Launch>& launches) {
  std::vector<int64_t> s;
  for (const auto& l : launches) s.push_back(l.shard);
  return s;
}

TEST(StageSchedulerTest, EveryShardNotDoneGetsAttemptZeroAtStart) {
  StageScheduler s(Options(4));
  s.Start(At(0), {false, true, false, false});
  EXPECT_EQ(s.done_count(), 1);
  EXPECT_TRUE(s.IsDone(1));
  auto l = s.DueLaunches(At(0));
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(Shards(l), (std::vector<int64_t>{0, 2, 3}));
  for (size_t i = 0; i < l.size(); ++i) {
    EXPECT_EQ(l[i].id, static_cast<int64_t>(i));
    EXPECT_EQ(l[i].attempt, 0);
    EXPECT_FALSE(l[i].speculative);
  }
  EXPECT_TRUE(s.DueLaunches(At(10)).empty());  // launched once
  EXPECT_EQ(s.Running().size(), 3u);
  for (const auto& x : l) EXPECT_EQ(s.OnCompleted(x.id, AttemptOutcome::kOk, "", 10, At(10)).kind, Verdict::Kind::kAccepted);
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.retries(), 0);
}

TEST(StageSchedulerTest, CrashTimeoutAndThrottleAreRetriedWithDoublingBackoff) {
  StageScheduler s(Options(1, /*max_retries=*/10));
  s.Start(At(0));
  auto l = s.DueLaunches(At(0));
  ASSERT_EQ(l.size(), 1u);
  const AttemptOutcome failures[] = {AttemptOutcome::kCrash, AttemptOutcome::kTimeout, AttemptOutcome::kThrottled,
                                     AttemptOutcome::kOutOfMemory, AttemptOutcome::kFunctionError,
                                     AttemptOutcome::kInvalidUpdate, AttemptOutcome::kPlatformError};
  // 200 ms × 2^(failures-1), capped at 5 s.
  const double expected_ms[] = {200, 400, 800, 1600, 3200, 5000, 5000};
  double now = 100;
  int64_t id = l[0].id;
  for (size_t i = 0; i < std::size(failures); ++i) {
    Verdict v = s.OnCompleted(id, failures[i], "boom", 50, At(now));
    ASSERT_EQ(v.kind, Verdict::Kind::kRetry) << i;
    EXPECT_EQ(v.outcome, failures[i]);
    EXPECT_DOUBLE_EQ(v.backoff_ms, expected_ms[i]) << i;
    EXPECT_EQ(v.retry_at, At(now + expected_ms[i]));
    EXPECT_TRUE(s.DueLaunches(At(now + expected_ms[i] - 0.001)).empty()) << "launched before its backoff";
    now += expected_ms[i];
    auto next = s.DueLaunches(At(now));
    ASSERT_EQ(next.size(), 1u) << i;
    EXPECT_EQ(next[0].shard, 0);
    EXPECT_EQ(next[0].attempt, static_cast<int64_t>(i) + 1);
    id = next[0].id;
    now += 100;
  }
  EXPECT_EQ(s.retries(), 7);
  EXPECT_EQ(s.OnCompleted(id, AttemptOutcome::kOk, "", 50, At(now)).kind, Verdict::Kind::kAccepted);
  EXPECT_TRUE(s.finished());
}

TEST(StageSchedulerTest, JitterScalesTheBackoffAndASeedRepeatsIt) {
  auto backoffs = [](uint64_t seed) {
    StageSchedulerOptions o = Options(1, 10);
    o.jitter = nullptr;
    o.jitter_seed = seed;
    StageScheduler s(o);
    s.Start(At(0));
    int64_t id = s.DueLaunches(At(0))[0].id;
    std::vector<double> b;
    double now = 0;
    for (int i = 0; i < 5; ++i) {
      Verdict v = s.OnCompleted(id, AttemptOutcome::kCrash, "", 1, At(now));
      b.push_back(v.backoff_ms);
      now += 10'000;
      id = s.DueLaunches(At(now)).at(0).id;
    }
    return b;
  };
  const std::vector<double> a = backoffs(7);
  EXPECT_EQ(a, backoffs(7));
  EXPECT_NE(a, backoffs(8));
  const double base[] = {200, 400, 800, 1600, 3200};
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_GE(a[i], 0.5 * base[i]);
    EXPECT_LT(a[i], 1.5 * base[i]);
  }
}

TEST(StageSchedulerTest, GivesUpAfterMaxRetriesNamingRoundShardAttemptsAndLastError) {
  StageScheduler s(Options(2, /*max_retries=*/2));
  s.Start(At(0));
  auto l = s.DueLaunches(At(0));
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(s.OnCompleted(l[0].id, AttemptOutcome::kOk, "", 10, At(10)).kind, Verdict::Kind::kAccepted);
  int64_t id = l[1].id;
  double now = 10;
  for (int i = 0; i < 2; ++i) {
    Verdict v = s.OnCompleted(id, AttemptOutcome::kTimeout, "Task timed out after 1.00 seconds", 1000, At(now));
    ASSERT_EQ(v.kind, Verdict::Kind::kRetry);
    now += v.backoff_ms;
    id = s.DueLaunches(At(now)).at(0).id;
  }
  Verdict v = s.OnCompleted(id, AttemptOutcome::kCrash, "exit status 137", 5, At(now + 5));
  ASSERT_EQ(v.kind, Verdict::Kind::kGiveUp);
  EXPECT_EQ(v.outcome, AttemptOutcome::kCrash);
  EXPECT_EQ(v.status.code(), Code::kAborted);
  EXPECT_EQ(v.status.message(),
            "round 3 shard 1: retries exhausted after 3 attempts; last error: sl-train-job (attempt 2): crash: "
            "exit status 137");
  EXPECT_FALSE(s.finished());
  EXPECT_EQ(s.retries(), 2);
}

TEST(StageSchedulerTest, ZeroRetriesGivesUpAtTheFirstFailure) {
  StageSchedulerOptions o = Options(1, 0);
  o.stage = "preprocessing";
  o.function = "sl-preprocess-job";
  StageScheduler s(o);
  s.Start(At(0));
  Verdict v = s.OnCompleted(s.DueLaunches(At(0))[0].id, AttemptOutcome::kThrottled, "429", 0, At(1));
  ASSERT_EQ(v.kind, Verdict::Kind::kGiveUp);
  EXPECT_EQ(v.status.message(),
            "preprocessing shard 0: retries exhausted after 1 attempts; last error: sl-preprocess-job (attempt 0): "
            "throttled: 429");
}

// Four shards, backups after 2 × the median: shards 0 and 1 accepted after 800 and 1200 ms of
// running (median 1200, threshold 2400 ms); shards 2 and 3 still running since 0.
struct Stragglers : ::testing::Test {
  Stragglers() : s(Options(4, 2, /*speculative_after=*/2)) {
    s.Start(At(0));
    l = s.DueLaunches(At(0));
    EXPECT_TRUE(s.Backups(At(0), true).empty());
    EXPECT_EQ(s.OnCompleted(l[0].id, AttemptOutcome::kOk, "", 800, At(800)).kind, Verdict::Kind::kAccepted);
  }
  void HalfDone() {
    EXPECT_EQ(s.OnCompleted(l[1].id, AttemptOutcome::kOk, "", 1200, At(1200)).kind, Verdict::Kind::kAccepted);
  }
  StageScheduler s;
  std::vector<Launch> l;
};

TEST_F(Stragglers, NoBackupBeforeHalfOfTheShardsAreDone) {
  EXPECT_TRUE(s.Backups(At(60'000), true).empty());  // 1 of 4 done
  HalfDone();
  EXPECT_EQ(Shards(s.Backups(At(60'000), true)), (std::vector<int64_t>{2, 3}));
}

TEST_F(Stragglers, BackupOnlyAfterSpeculativeAfterTimesTheMedian) {
  HalfDone();
  EXPECT_TRUE(s.Backups(At(2400), true).empty());  // not yet longer than 2 × 1200 ms
  auto b = s.Backups(At(2400.001), true);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(Shards(b), (std::vector<int64_t>{2, 3}));
  for (const auto& x : b) {
    EXPECT_TRUE(x.speculative);
    EXPECT_EQ(x.attempt, 1);
  }
  EXPECT_EQ(s.speculative(), 2);
  EXPECT_EQ(s.retries(), 0);
  // At most one backup per shard, and a backup is never backed up.
  EXPECT_TRUE(s.Backups(At(100'000), true).empty());
}

TEST_F(Stragglers, NoBackupWhileTheHostQueueIsNotEmptyAndRunTimeCountsFromWhenItEmptied) {
  HalfDone();
  EXPECT_TRUE(s.Backups(At(10'000), false).empty());
  // The queue empties at 10 s: the stragglers have run for 0 ms as far as backups go.
  EXPECT_TRUE(s.Backups(At(10'001), true).empty());
  EXPECT_TRUE(s.Backups(At(10'001 + 2400), true).empty());
  // Seen filling and emptying again: the clock restarts.
  EXPECT_TRUE(s.Backups(At(12'500), false).empty());
  EXPECT_TRUE(s.Backups(At(13'000), true).empty());
  EXPECT_TRUE(s.Backups(At(15'400), true).empty());
  EXPECT_EQ(s.Backups(At(15'401), true).size(), 2u);
}

TEST(StageSchedulerTest, BackupThresholdIsAtLeast500Ms) {
  StageScheduler s(Options(2, 2, 2));
  s.Start(At(0));
  auto l = s.DueLaunches(At(0));
  EXPECT_TRUE(s.Backups(At(0), true).empty());  // the queue is seen empty from the start
  EXPECT_EQ(s.OnCompleted(l[0].id, AttemptOutcome::kOk, "", 10, At(10)).kind, Verdict::Kind::kAccepted);
  EXPECT_TRUE(s.Backups(At(500), true).empty());  // 2 × 10 ms would be 20 ms
  EXPECT_EQ(Shards(s.Backups(At(500.5), true)), (std::vector<int64_t>{1}));
}

TEST(StageSchedulerTest, NoBackupsWhenSpeculationIsOff) {
  StageScheduler s(Options(2, 2, 0));
  s.Start(At(0));
  auto l = s.DueLaunches(At(0));
  s.OnCompleted(l[0].id, AttemptOutcome::kOk, "", 10, At(10));
  EXPECT_TRUE(s.Backups(At(1e9), true).empty());
}

TEST_F(Stragglers, FirstValidOutputWinsAndTheLateOneIsRecordedAsAcceptedLate) {
  HalfDone();
  auto b = s.Backups(At(3000), true);
  ASSERT_EQ(b.size(), 2u);
  // Shard 2: the backup finishes first and wins; the original's valid output is late.
  Verdict won = s.OnCompleted(b[0].id, AttemptOutcome::kOk, "", 500, At(3500));
  EXPECT_EQ(won.kind, Verdict::Kind::kAccepted);
  EXPECT_EQ(won.outcome, AttemptOutcome::kOk);
  EXPECT_TRUE(s.IsDone(2));
  Verdict late = s.OnCompleted(l[2].id, AttemptOutcome::kOk, "", 4000, At(4000));
  EXPECT_EQ(late.kind, Verdict::Kind::kLate);
  EXPECT_EQ(late.outcome, AttemptOutcome::kAcceptedLate);
  // Shard 3: the original wins; the backup then fails, which changes nothing.
  EXPECT_EQ(s.OnCompleted(l[3].id, AttemptOutcome::kOk, "", 4100, At(4100)).kind, Verdict::Kind::kAccepted);
  Verdict failed = s.OnCompleted(b[1].id, AttemptOutcome::kCrash, "killed", 100, At(4200));
  EXPECT_EQ(failed.kind, Verdict::Kind::kNoted);
  EXPECT_EQ(failed.outcome, AttemptOutcome::kCrash);
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.retries(), 0);
  EXPECT_TRUE(s.Running().empty());
  // Accepted at 800, 1200, 3500, 4100 ms: the median one (index 2) at 3500.
  EXPECT_DOUBLE_EQ(s.straggler_wait_ms(), 600);
}

TEST_F(Stragglers, AFailureWhileTheBackupRunsWaitsForItAndItsFailureRetries) {
  HalfDone();
  auto b = s.Backups(At(3000), true);
  ASSERT_EQ(b.size(), 2u);
  Verdict first = s.OnCompleted(l[2].id, AttemptOutcome::kTimeout, "timed out", 3100, At(3100));
  EXPECT_EQ(first.kind, Verdict::Kind::kNoted);  // its backup still runs
  EXPECT_EQ(s.retries(), 0);
  Verdict second = s.OnCompleted(b[0].id, AttemptOutcome::kCrash, "killed", 200, At(3200));
  ASSERT_EQ(second.kind, Verdict::Kind::kRetry);
  EXPECT_DOUBLE_EQ(second.backoff_ms, 400);  // the shard's second failure
  auto retry = s.DueLaunches(At(3600));
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].shard, 2);
  EXPECT_EQ(retry[0].attempt, 2);
  EXPECT_FALSE(retry[0].speculative);
  // Shard 2 has had its backup, so its retry gets none; shard 3's backup is still running.
  EXPECT_TRUE(s.Backups(At(100'000), true).empty());
}

TEST(StageSchedulerTest, AHandlersLateFlagOnAShardNotYetDoneIsItsOutput) {
  // The put-if-absent lost to an attempt this stage did not count (a previous coordinator's).
  StageScheduler s(Options(1));
  s.Start(At(0));
  Verdict v = s.OnCompleted(s.DueLaunches(At(0))[0].id, AttemptOutcome::kAcceptedLate, "", 5, At(5));
  EXPECT_EQ(v.kind, Verdict::Kind::kAccepted);
  EXPECT_EQ(v.outcome, AttemptOutcome::kOk);
}

TEST(StageSchedulerTest, UnknownAttemptIdsChangeNothing) {
  StageScheduler s(Options(1));
  s.Start(At(0));
  auto l = s.DueLaunches(At(0));
  EXPECT_EQ(s.OnCompleted(99, AttemptOutcome::kCrash, "", 0, At(1)).kind, Verdict::Kind::kNoted);
  EXPECT_EQ(s.Running().size(), 1u);
  EXPECT_EQ(s.retries(), 0);
}

TEST(AttemptOutcomeTest, NamesRoundTripAndAreTheRecordsSpellings) {
  for (auto o : {AttemptOutcome::kOk, AttemptOutcome::kAcceptedLate, AttemptOutcome::kFunctionError,
                 AttemptOutcome::kTimeout, AttemptOutcome::kOutOfMemory, AttemptOutcome::kCrash,
                 AttemptOutcome::kThrottled, AttemptOutcome::kInvalidUpdate, AttemptOutcome::kPlatformError}) {
    auto parsed = ParseAttemptOutcome(AttemptOutcomeName(o));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, o);
  }
  EXPECT_EQ(AttemptOutcomeName(AttemptOutcome::kOutOfMemory), "out-of-memory");  // as in old records
  EXPECT_EQ(AttemptOutcomeName(AttemptOutcome::kAcceptedLate), "accepted-late");
  EXPECT_FALSE(ParseAttemptOutcome("out_of_memory").ok());
}

}  // namespace
}  // namespace sl::train

#include "store/retry.h"

#include <gtest/gtest.h>

#include "store/store_test_util.h"

namespace sl::store {
namespace {

using std::chrono::milliseconds;

TEST(RetryTest, RetriesUnavailableThenSucceedsWithoutRealSleeping) {
  FakeClock clock;
  Retrier r(RetryPolicy{.max_attempts = 5, .initial_backoff = milliseconds(100), .max_backoff = milliseconds(1000)},
            &clock, /*seed=*/1);
  TimePoint real_start = Clock::Real()->Now();
  TimePoint fake_start = clock.Now();
  int calls = 0;
  Status s = r.Run([&](int attempt) {
    EXPECT_EQ(attempt, calls);
    ++calls;
    return calls < 3 ? Unavailable("503 SlowDown") : Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(calls, 3);
  // Two waits: [50,100] ms and [100,200] ms of fake time.
  double waited = SecondsBetween(fake_start, clock.Now());
  EXPECT_GE(waited, 0.150);
  EXPECT_LE(waited, 0.300);
  EXPECT_LT(SecondsBetween(real_start, Clock::Real()->Now()), 0.1);
}

TEST(RetryTest, GivesUpAfterMaxAttemptsKeepingUnavailable) {
  FakeClock clock;
  Retrier r(RetryPolicy{.max_attempts = 4}, &clock, 2);
  int calls = 0;
  Status s = r.Run([&](int) {
    ++calls;
    return Unavailable("s3://b/k: connection refused");
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("gave up after 4 attempts"), std::string::npos) << s;
  EXPECT_NE(s.message().find("s3://b/k"), std::string::npos) << s;
}

TEST(RetryTest, DoesNotRetryPermanentErrors) {
  FakeClock clock;
  Retrier r(RetryPolicy{}, &clock, 3);
  for (Status err : {NotFound("k"), PermissionDenied("k"), DataLoss("k"), InvalidArgument("k"), AlreadyExists("k")}) {
    int calls = 0;
    TimePoint t0 = clock.Now();
    Status s = r.Run([&](int) {
      ++calls;
      return err;
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(s, err);
    EXPECT_EQ(clock.Now(), t0);
  }
}

TEST(RetryTest, BackoffIsCappedAndJittered) {
  Retrier r(RetryPolicy{.max_attempts = 10, .initial_backoff = milliseconds(10), .max_backoff = milliseconds(80)},
            nullptr, 4);
  std::set<int64_t> distinct;
  for (int i = 0; i < 50; ++i) {
    for (int retry = 0; retry < 8; ++retry) {
      Nanos cap = std::min<Nanos>(milliseconds(10) * (1 << retry), milliseconds(80));
      Nanos b = r.Backoff(retry);
      EXPECT_GE(b, cap / 2);
      EXPECT_LE(b, cap);
      distinct.insert(b.count());
    }
  }
  EXPECT_GT(distinct.size(), 100u);  // jitter: not a fixed schedule
}

}  // namespace
}  // namespace sl::store

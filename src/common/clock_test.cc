#include "common/clock.h"

#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(ClockTest, FakeClockMovesOnlyWhenAdvanced) {
  FakeClock clock;
  TimePoint t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(std::chrono::seconds(600));
  EXPECT_DOUBLE_EQ(SecondsBetween(t0, clock.Now()), 600.0);
  clock.SleepFor(std::chrono::milliseconds(5));
  EXPECT_DOUBLE_EQ(SecondsBetween(t0, clock.Now()), 600.005);
}

TEST(ClockTest, Rfc3339) {
  FakeClock clock;
  EXPECT_EQ(FormatRfc3339(clock.WallNow()), "2026-01-01T00:00:01.000Z");
}

}  // namespace
}  // namespace sl

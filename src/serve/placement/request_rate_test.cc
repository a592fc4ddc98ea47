#include "serve/placement/request_rate.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "common/clock.h"

namespace sl::serve {
namespace {

using std::chrono::milliseconds;

TEST(RequestRateTest, CountsArrivalsInTheWindowPerSecond) {
  FakeClock clock;
  RequestRate rate(milliseconds(1000), 10);
  for (int i = 0; i < 600; ++i) rate.Record(clock.Now());
  EXPECT_DOUBLE_EQ(rate.PerSecond(clock.Now()), 600.0);
}

TEST(RequestRateTest, OldArrivalsFallOutOfTheWindow) {
  FakeClock clock;
  RequestRate rate(milliseconds(1000), 10);
  rate.Record(clock.Now(), 300);
  clock.Advance(milliseconds(500));
  rate.Record(clock.Now(), 200);
  EXPECT_DOUBLE_EQ(rate.PerSecond(clock.Now()), 500.0);
  clock.Advance(milliseconds(600));  // the first 300 are now 1.1 s old
  EXPECT_DOUBLE_EQ(rate.PerSecond(clock.Now()), 200.0);
  clock.Advance(milliseconds(1000));
  EXPECT_DOUBLE_EQ(rate.PerSecond(clock.Now()), 0.0);
}

TEST(RequestRateTest, ShortWindowScalesToPerSecond) {
  FakeClock clock;
  RequestRate rate(milliseconds(200), 4);
  rate.Record(clock.Now(), 50);
  EXPECT_DOUBLE_EQ(rate.PerSecond(clock.Now()), 250.0);
}

TEST(RequestRateTest, ReusedSlotStartsFromZero) {
  FakeClock clock;
  RequestRate rate(milliseconds(1000), 10);
  rate.Record(clock.Now(), 100);
  clock.Advance(milliseconds(1000));  // same slot index, next lap
  rate.Record(clock.Now(), 7);
  EXPECT_DOUBLE_EQ(rate.PerSecond(clock.Now()), 7.0);
}

TEST(RequestRateTest, ConcurrentRecordsAreNotLost) {
  FakeClock clock;
  RequestRate rate(milliseconds(1000), 10);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) rate.Record(clock.Now());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_DOUBLE_EQ(rate.PerSecond(clock.Now()), 40000.0);
}

}  // namespace
}  // namespace sl::serve

#include "common/host_cpu.h"

#include "common/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace sl {
namespace {

TEST(ParseProcStatCpuTest, CountsIdleAndIowaitAsIdle) {
  auto t = ParseProcStatCpu("cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 50 2 25 400 20 1 1 0 0 0\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->total, 1000u);  // guest (7) is inside user already: not added
  EXPECT_EQ(t->busy, 160u);
  // Without the steal field (old kernels) the line still parses.
  auto old = ParseProcStatCpu("cpu 1 2 3 4 5 6 7\n");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->total, 28u);
}

TEST(ParseProcStatCpuTest, NamesWhatIsWrong) {
  auto none = ParseProcStatCpu("intr 1 2 3\n");
  EXPECT_EQ(none.status().code(), Code::kInvalidArgument);
  EXPECT_NE(none.status().message().find("'cpu '"), std::string::npos) << none.status().ToString();
  auto bad = ParseProcStatCpu("cpu  100 5 x 800\n");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'system'"), std::string::npos) << bad.status().ToString();
}

TEST(HostCpuMeterTest, BusyFractionBetweenSamplesAtMostOncePerPeriod) {
  FakeClock clock;
  std::string stat = "cpu  100 0 0 900 0 0 0 0\n";
  int reads = 0;
  HostCpuMeter meter(&clock, std::chrono::milliseconds(200), [&]() -> Result<std::string> {
    ++reads;
    return stat;
  });
  EXPECT_DOUBLE_EQ(meter.BusyFraction(), -1);  // one sample: unknown
  stat = "cpu  190 0 0 910 0 0 0 0\n";          // +90 busy of +100
  EXPECT_DOUBLE_EQ(meter.BusyFraction(), -1);  // within the period: not sampled again
  EXPECT_EQ(reads, 1);
  clock.Advance(std::chrono::milliseconds(200));
  EXPECT_DOUBLE_EQ(meter.BusyFraction(), 0.9);
  EXPECT_EQ(reads, 2);
  stat = "cpu  200 0 0 1000 0 0 0 0\n";  // +10 busy of +100
  clock.Advance(std::chrono::milliseconds(100));
  EXPECT_DOUBLE_EQ(meter.BusyFraction(), 0.9);
  clock.Advance(std::chrono::milliseconds(100));
  EXPECT_DOUBLE_EQ(meter.BusyFraction(), 0.1);
  // An unreadable /proc/stat makes it unknown again, then it recovers.
  stat = "garbage";
  clock.Advance(std::chrono::milliseconds(200));
  EXPECT_DOUBLE_EQ(meter.BusyFraction(), -1);
  stat = "cpu  300 0 0 1100 0 0 0 0\n";
  EXPECT_DOUBLE_EQ(meter.BusyFraction(), -1);
  clock.Advance(std::chrono::milliseconds(200));
  stat = "cpu  350 0 0 1150 0 0 0 0\n";
  EXPECT_DOUBLE_EQ(meter.BusyFraction(), 0.5);
}

TEST(HostCpuMeterTest, ReadsThisHostsProcStat) {
  HostCpuMeter meter(nullptr, std::chrono::milliseconds(20));
  meter.BusyFraction();
  // Work until /proc/stat's counters (jiffies) have moved and a second sample is taken.
  const auto give_up = Clock::Real()->Now() + std::chrono::seconds(5);
  volatile double sink = 0;
  double busy = -1;
  while (busy < 0 && Clock::Real()->Now() < give_up) {
    for (int i = 0; i < 100'000; ++i) sink = sink + i;
    busy = meter.BusyFraction();
  }
  EXPECT_GE(busy, 0.0);
  EXPECT_LE(busy, 1.0);
}

}  // namespace
}  // namespace sl

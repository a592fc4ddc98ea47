#include "common/clock.h"

#include <ctime>
#include <thread>

#include <fmt/format.h>

namespace sl {

Clock* Clock::Real() {
  static RealClock* clock = new RealClock();  // never destroyed: usable during exit
  return clock;
}

TimePoint RealClock::Now() const {
  return std::chrono::time_point_cast<Nanos>(std::chrono::steady_clock::now());
}

WallTime RealClock::WallNow() const {
  return std::chrono::time_point_cast<Nanos>(std::chrono::system_clock::now());
}

void RealClock::SleepFor(Nanos d) { std::this_thread::sleep_for(d); }

FakeClock::FakeClock() : nanos_(1'000'000'000LL), wall_base_nanos_(1767225600LL * 1'000'000'000LL) {}

TimePoint FakeClock::Now() const { return TimePoint(Nanos(nanos_.load())); }

WallTime FakeClock::WallNow() const { return WallTime(Nanos(wall_base_nanos_ + nanos_.load())); }

std::string FormatRfc3339(WallTime t) {
  const int64_t ns = t.time_since_epoch().count();
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  const int millis = static_cast<int>((ns / 1'000'000) % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

}  // namespace sl

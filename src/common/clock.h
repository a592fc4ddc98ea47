// Clock: the one source of time, injected so that tests never sleep.
//
// Now() is monotonic (for durations, deadlines, keep-alive); WallNow() is calendar time (for
// logs, manifests, ledgers). FakeClock moves only when a test calls Advance()/Set(); its
// SleepFor() advances the fake time instead of blocking.
// Thread safety: every Clock is safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace sl {

using Nanos = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Nanos>;
using WallTime = std::chrono::time_point<std::chrono::system_clock, Nanos>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  virtual WallTime WallNow() const = 0;
  virtual void SleepFor(Nanos d) = 0;

  // The process-wide real clock (never null, never destroyed).
  static Clock* Real();
};

class RealClock final : public Clock {
 public:
  TimePoint Now() const override;
  WallTime WallNow() const override;
  void SleepFor(Nanos d) override;
};

class FakeClock final : public Clock {
 public:
  // Starts at an arbitrary fixed point (wall: 2026-01-01T00:00:00Z).
  FakeClock();
  TimePoint Now() const override;
  WallTime WallNow() const override;
  void SleepFor(Nanos d) override { Advance(d); }
  void Advance(Nanos d) { nanos_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> nanos_;
  int64_t wall_base_nanos_;
};

// Seconds between two steady time points, as a double.
inline double SecondsBetween(TimePoint a, TimePoint b) {
  return std::chrono::duration<double>(b - a).count();
}

// RFC 3339 UTC with milliseconds: "2026-11-22T20:53:01.123Z".
std::string FormatRfc3339(WallTime t);

}  // namespace sl

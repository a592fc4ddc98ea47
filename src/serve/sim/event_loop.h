// EventLoop: the discrete-event core of the placement simulator (issue 21 §5). Virtual time only:
// events run in time order (ties in the order they were scheduled), and the loop's clock — a
// sl::Clock, so the real placers read it through their injected Clock — stands at each event's
// time while it runs. Nothing here sleeps or reads the real clock.
//
//   EventLoop loop;
//   loop.After(Nanos(4'000'000), [&] { ... loop.Now() ... });
//   loop.Run();                          // until no event is left (or Stop())
//
// Failure contract: scheduling at a time before Now() runs the event at Now() (never in the
// past); SimClock::SleepFor is refused (aborts): nothing driven by the simulator may block.
// Thread safety: one thread. The placers' own locks are uncontended here.
#pragma once
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "common/clock.h"

namespace sl::serve::sim {

// The simulator's Clock: it moves only when the EventLoop sets it.
class SimClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  WallTime WallNow() const override;
  void SleepFor(Nanos d) override;  // aborts: a simulated component must not block
  void Set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_{};  // the simulation starts at the steady epoch + 0
};

class EventLoop {
 public:
  using Fn = std::function<void()>;
  EventLoop() = default;

  Clock* clock() { return &clock_; }
  TimePoint Now() const { return clock_.Now(); }
  // Seconds since the simulation started (time 0).
  double Seconds() const { return std::chrono::duration<double>(Now().time_since_epoch()).count(); }
  static TimePoint At(double seconds) {
    return TimePoint(Nanos(static_cast<int64_t>(seconds * 1e9 + (seconds >= 0 ? 0.5 : -0.5))));
  }

  void Schedule(TimePoint when, Fn fn);
  void After(Nanos delay, Fn fn) { Schedule(Now() + delay, std::move(fn)); }
  void AfterMs(double ms, Fn fn) {
    After(Nanos(static_cast<int64_t>(ms * 1e6 + 0.5)), std::move(fn));
  }
  // Runs events until none is left or Stop() was called; returns the number run.
  int64_t Run();
  void Stop() { stopped_ = true; }
  int64_t events_run() const { return events_run_; }
  size_t pending() const { return heap_.size(); }

 private:
  // The heap holds small keys; the functions stay put in slots (moving std::functions through
  // the heap's sifts was a tenth of a 7,000-session ramp's time).
  struct Event {
    int64_t when_ns;
    uint64_t seq;
    uint32_t slot;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.when_ns != b.when_ns ? a.when_ns > b.when_ns : a.seq > b.seq;
    }
  };
  SimClock clock_;
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
  std::vector<Fn> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t next_seq_ = 0;
  int64_t events_run_ = 0;
  bool stopped_ = false;
};

}  // namespace sl::serve::sim

#include "serve/sim/event_loop.h"

#include <cstdio>
#include <cstdlib>

namespace sl::serve::sim {

WallTime SimClock::WallNow() const {
  // 2026-01-01T00:00:00Z + the simulated time, as FakeClock does.
  return WallTime(Nanos(int64_t{1767225600} * 1'000'000'000) + now_.time_since_epoch());
}

void SimClock::SleepFor(Nanos) {
  std::fprintf(stderr, "simulator: a component tried to sleep on the simulated clock\n");
  std::abort();
}

void EventLoop::Schedule(TimePoint when, Fn fn) {
  const int64_t now = Now().time_since_epoch().count();
  int64_t t = when.time_since_epoch().count();
  if (t < now) t = now;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = std::move(fn);
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back(std::move(fn));
  }
  heap_.push(Event{t, next_seq_++, slot});
}

int64_t EventLoop::Run() {
  stopped_ = false;
  int64_t n = 0;
  while (!heap_.empty() && !stopped_) {
    const Event top = heap_.top();
    heap_.pop();
    Fn fn = std::move(slots_[top.slot]);
    slots_[top.slot] = nullptr;
    free_slots_.push_back(top.slot);
    clock_.Set(TimePoint(Nanos(top.when_ns)));
    fn();
    ++n;
  }
  events_run_ += n;
  return n;
}

}  // namespace sl::serve::sim

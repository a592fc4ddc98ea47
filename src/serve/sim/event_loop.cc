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
  heap_.push(Event{t, next_seq_++, std::move(fn)});
}

int64_t EventLoop::Run() {
  stopped_ = false;
  int64_t n = 0;
  while (!heap_.empty() && !stopped_) {
    // priority_queue::top is const: move the function out through a const_cast (it is popped
    // right after, and the ordering keys are not touched).
    Event& top = const_cast<Event&>(heap_.top());
    Fn fn = std::move(top.fn);
    clock_.Set(TimePoint(Nanos(top.when_ns)));
    heap_.pop();
    fn();
    ++n;
  }
  events_run_ += n;
  return n;
}

}  // namespace sl::serve::sim

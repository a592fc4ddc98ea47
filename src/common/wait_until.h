// WaitUntil: how a test waits for something another thread or process does — it polls `done`
// every `poll` of real time until it returns true or `limit` has passed, and returns its last
// answer. A bound on a condition, never a bare sleep that hopes the thing has happened. Time that
// the code under test reads goes through an injected FakeClock instead; this is for real
// processes and threads.
// Thread safety: `done` runs on the caller's thread only.
#pragma once

#include <chrono>
#include <thread>

#include "common/clock.h"

namespace sl {

template <class Pred>
bool WaitUntil(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(10),
               std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  const TimePoint end = Clock::Real()->Now() + limit;
  while (Clock::Real()->Now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(poll);
  }
  return done();
}

}  // namespace sl

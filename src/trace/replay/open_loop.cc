#include "trace/replay/open_loop.h"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace sl::trace {

void RunOpenLoop(const ReplayPlan& plan, Clock* clock,
                 const std::function<void(size_t, double)>& run) {
  std::mutex mu;
  std::condition_variable cv;
  size_t finished = 0;  // GUARDED_BY(mu)
  const TimePoint t0 = clock->Now();
  for (size_t i = 0; i < plan.calls.size(); ++i) {
    const TimePoint due = t0 + plan.calls[i].at;
    if (const TimePoint now = clock->Now(); now < due) clock->SleepFor(due - now);
    const double lag_ms = std::chrono::duration<double, std::milli>(clock->Now() - due).count();
    std::thread([&, i, lag_ms] {
      run(i, lag_ms);
      std::lock_guard<std::mutex> l(mu);
      ++finished;
      cv.notify_all();
    }).detach();
  }
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return finished == plan.calls.size(); });
}

}  // namespace sl::trace

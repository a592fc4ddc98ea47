// DeadlineTimer: runs callbacks at steady-clock deadlines on one background thread — the
// platform's invocation timeouts and the gateway's request timeouts. Real time on purpose: a
// timeout bounds a real process or a waiting client.
// Thread safety: Schedule/Cancel from any thread; callbacks run on the timer thread, one at a
// time, without the timer's lock held (a callback may Schedule or Cancel).
// Ownership: the destructor stops the thread; callbacks not yet run are dropped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace sl {

class DeadlineTimer {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  DeadlineTimer();
  ~DeadlineTimer();
  // Returns an id for Cancel.
  uint64_t Schedule(SteadyTime when, std::function<void()> fn);
  // True if it was still pending (it will not run).
  bool Cancel(uint64_t id);

 private:
  void Loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<SteadyTime, uint64_t> by_time_;                          // GUARDED_BY(mu_)
  std::map<uint64_t, std::pair<SteadyTime, std::function<void()>>> fns_;  // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;                                                 // GUARDED_BY(mu_)
  bool stop_ = false;                                                    // GUARDED_BY(mu_)
  SteadyTime wake_at_{};  // when the thread will wake up by itself          GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace sl

#include "common/deadline_timer.h"

#include "common/clock.h"

namespace sl {

DeadlineTimer::DeadlineTimer() : thread_([this] { Loop(); }) {}

DeadlineTimer::~DeadlineTimer() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t DeadlineTimer::Schedule(SteadyTime when, std::function<void()> fn) {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t id = next_id_++;
  by_time_.emplace(when, id);
  fns_.emplace(id, std::make_pair(when, std::move(fn)));
  // Wake the thread only if it would sleep past this deadline: on the warm path every
  // invocation schedules (and cancels) a timeout, and a wake-up per call is a context switch.
  if (when < wake_at_) cv_.notify_all();
  return id;
}

bool DeadlineTimer::Cancel(uint64_t id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = fns_.find(id);
  if (it == fns_.end()) return false;
  auto range = by_time_.equal_range(it->second.first);
  for (auto t = range.first; t != range.second; ++t) {
    if (t->second == id) {
      by_time_.erase(t);
      break;
    }
  }
  fns_.erase(it);
  return true;
}

void DeadlineTimer::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    const auto now = Clock::Real()->Now();
    if (by_time_.empty()) {
      wake_at_ = now + std::chrono::seconds(1);
      cv_.wait_until(l, wake_at_);
      continue;
    }
    auto first = by_time_.begin();
    if (now < first->first) {
      wake_at_ = std::min(first->first, now + std::chrono::seconds(1));
      cv_.wait_until(l, wake_at_);
      continue;
    }
    wake_at_ = now;
    uint64_t id = first->second;
    by_time_.erase(first);
    auto it = fns_.find(id);
    std::function<void()> fn = std::move(it->second.second);
    fns_.erase(it);
    l.unlock();
    fn();
    l.lock();
  }
}

}  // namespace sl

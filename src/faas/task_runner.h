// TaskRunner: one background thread running queued closures in order — where the platform does
// slow, blocking lifecycle work (starting the template process, launching instances) so that
// Invoke and the Runtime API handlers never block on fork/exec.
// Thread safety: Post from any thread. Stop() runs what is queued, then joins; Post after Stop
// runs the task inline (so shutdown paths still complete their work).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace sl::faas {

class TaskRunner {
 public:
  TaskRunner() : thread_([this] { Loop(); }) {}
  ~TaskRunner() { Stop(); }
  void Post(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!stopped_) {
        tasks_.push_back(std::move(fn));
        cv_.notify_one();
        return;
      }
    }
    fn();
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return stopped_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopped and drained
      auto fn = std::move(tasks_.front());
      tasks_.pop_front();
      l.unlock();
      fn();
      l.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool stopped_ = false;                     // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace sl::faas

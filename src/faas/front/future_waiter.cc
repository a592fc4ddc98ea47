#include "faas/front/future_waiter.h"

#include <algorithm>
#include <exception>

#include "common/log.h"

namespace sl::faas {

FutureWaiter::FutureWaiter(Options options) : options_(options) {
  if (options_.max_waiting == 0) options_.max_waiting = 1;
}

FutureWaiter::~FutureWaiter() { Stop(); }

bool FutureWaiter::TryReserve() {
  std::lock_guard<std::mutex> lock(mu_);
  if (reserved_ >= options_.max_waiting) return false;
  ++reserved_;
  return true;
}

void FutureWaiter::Unreserve() {
  std::lock_guard<std::mutex> lock(mu_);
  if (reserved_ > 0) --reserved_;
}

void FutureWaiter::Run(Task& task) {
  InvokeResult r;
  try {
    r = task.future.get();
  } catch (const std::exception& e) {  // a broken promise is the platform's fault
    r.status = Internal("invocation ended without a result: {}", e.what());
  }
  try {
    task.done(std::move(r));
  } catch (const std::exception& e) {
    SL_LOG_WARN("front", "completion callback threw: {}", e.what());
  } catch (...) {
    SL_LOG_WARN("front", "completion callback threw a non-std exception");
  }
}

void FutureWaiter::Wait(std::future<InvokeResult> future, Callback done) {
  Task task{std::move(future), std::move(done)};
  std::vector<std::thread> to_join;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!stopped_) {
      tasks_.push_back(std::move(task));
      if (tasks_.size() <= idle_) {  // an idle thread will take it
        cv_.notify_one();
        return;
      }
      // Join threads that left after lingering (never the caller: waiter threads do not call
      // Wait), then start one for this task.
      for (auto id : exited_) {
        auto it = std::find_if(threads_.begin(), threads_.end(),
                               [id](const std::thread& t) { return t.get_id() == id; });
        if (it != threads_.end()) {
          to_join.push_back(std::move(*it));
          threads_.erase(it);
        }
      }
      exited_.clear();
      ++alive_;
      threads_.emplace_back([this] { Loop(); });
      lock.unlock();
      for (auto& t : to_join) t.join();
      return;
    }
  }
  Run(task);  // stopped: answer on this thread
  Unreserve();
}

void FutureWaiter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (tasks_.empty()) {
      if (stopped_) break;
      ++idle_;
      const bool woke = cv_.wait_for(lock, options_.idle_linger,
                                     [this] { return stopped_ || !tasks_.empty(); });
      --idle_;
      if (!woke && alive_ > options_.keep_threads) break;  // lingered idle: leave
      continue;
    }
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    Run(task);
    lock.lock();
    if (reserved_ > 0) --reserved_;
  }
  --alive_;
  exited_.push_back(std::this_thread::get_id());
  cv_.notify_all();
}

size_t FutureWaiter::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reserved_;
}

size_t FutureWaiter::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return alive_;
}

void FutureWaiter::Stop() {
  std::vector<std::thread> threads;
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopped_ = true;
    cv_.notify_all();
    // Threads drain the queue before they leave.
    cv_.wait(lock, [this] { return alive_ == 0; });
    threads.swap(threads_);
    exited_.clear();
  }
  for (auto& t : threads) t.join();
}

}  // namespace sl::faas

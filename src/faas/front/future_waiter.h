// FutureWaiter: runs a callback when an invocation's future completes, on the waiter's own
// threads, so that the Lambda front answers a synchronous invocation from its completion instead
// of holding an HTTP server thread while the function runs (issue 16: seventy slow synchronous
// invocations held all 64 HTTP threads and /healthz took 2.97 s).
//
// The Invoker interface (faas/invoker.h) gives only a std::future, which has no continuation, so
// a completion is observed by a thread blocked in future::get(): the waiter keeps one thread per
// pending wait, grown on demand up to Options::max_waiting, and lets a thread that found no work
// for Options::idle_linger exit (keeping keep_threads). The cost is a thread wake-up per
// invocation (measured in docs/benchmarks.md, "Function platform: HTTP front").
//
// Use: TryReserve() before starting the invocation (so that an invocation is never started that
// could not be waited for), then exactly one of Wait() or Unreserve().
// Thread safety: every method may be called from any thread. Stop() (the destructor too) waits
// for the pending futures — complete or break them first (stop the invoker) — and joins the
// threads; Wait() after Stop() runs the callback on the calling thread.
// Failure contract: a future that throws (broken promise) reaches the callback as an INTERNAL
// InvokeResult; a callback that throws is logged and dropped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "faas/invoker.h"

namespace sl::faas {

class FutureWaiter {
 public:
  struct Options {
    size_t max_waiting = 1024;  // pending waits (reserved or waiting) at most
    size_t keep_threads = 4;    // idle threads kept
    std::chrono::milliseconds idle_linger{30000};
  };
  using Callback = std::function<void(InvokeResult)>;

  FutureWaiter() : FutureWaiter(Options{}) {}
  explicit FutureWaiter(Options options);
  ~FutureWaiter();
  FutureWaiter(const FutureWaiter&) = delete;
  FutureWaiter& operator=(const FutureWaiter&) = delete;

  // Takes one of max_waiting slots; false when all are taken (the caller answers 429).
  bool TryReserve();
  void Unreserve();
  // Uses a reserved slot: `done(future.get())` on a waiter thread once the future is ready.
  void Wait(std::future<InvokeResult> future, Callback done);

  size_t waiting() const;  // reserved + waiting
  size_t threads() const;  // alive now
  void Stop();

 private:
  struct Task {
    std::future<InvokeResult> future;
    Callback done;
  };
  void Loop();
  static void Run(Task& task);

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;               // GUARDED_BY(mu_)
  size_t reserved_ = 0;                  // GUARDED_BY(mu_) reserved + queued + running
  size_t idle_ = 0;                      // GUARDED_BY(mu_) threads waiting for a task
  size_t alive_ = 0;                     // GUARDED_BY(mu_)
  bool stopped_ = false;                 // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;     // GUARDED_BY(mu_)
  std::vector<std::thread::id> exited_;  // GUARDED_BY(mu_) to join
};

}  // namespace sl::faas

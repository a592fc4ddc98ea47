// ClientPool: a bounded set of worker threads, each owning one HttpClient (libcurl handles are
// single-threaded), that run the remote hosts' invocations so that Invoke never blocks its
// caller. Threads start lazily, one more whenever a task arrives and none is idle, up to
// `max_threads`; beyond that tasks queue (FIFO). A worker keeps its keep-alive connections
// between tasks.
//
// Ownership: tasks are owned by the pool until run or cancelled.
// Shutdown: the destructor stops accepting work, calls `cancel` for every task still queued
// (so their futures complete), lets running tasks finish and joins the threads.
// Thread safety: Submit from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/http_client.h"

namespace sl::faas {

class ClientPool {
 public:
  using Task = std::function<void(HttpClient& client)>;

  ClientPool(int max_threads, HttpClient::Options client_options);
  ~ClientPool();
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  // `cancel` runs instead of `task` if the pool shuts down first (or is already shut down).
  void Submit(Task task, std::function<void()> cancel);

  int threads() const;  // started so far

 private:
  struct Item {
    Task task;
    std::function<void()> cancel;
  };
  void Worker();

  const int max_threads_;
  const HttpClient::Options client_options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;            // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;  // GUARDED_BY(mu_)
  int idle_ = 0;                      // GUARDED_BY(mu_)
  bool stopping_ = false;             // GUARDED_BY(mu_)
};

}  // namespace sl::faas

#include "faas/remote/client_pool.h"

#include <algorithm>

namespace sl::faas {

ClientPool::ClientPool(int max_threads, HttpClient::Options client_options)
    : max_threads_(std::max(1, max_threads)), client_options_(client_options) {}

ClientPool::~ClientPool() {
  std::deque<Item> dropped;
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& item : dropped) {
    if (item.cancel) item.cancel();
  }
  for (auto& t : threads) t.join();
}

void ClientPool::Submit(Task task, std::function<void()> cancel) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(Item{std::move(task), std::move(cancel)});
      // Queued tasks beyond the idle workers need new threads, up to the bound.
      if (static_cast<int>(queue_.size()) > idle_ &&
          static_cast<int>(threads_.size()) < max_threads_) {
        threads_.emplace_back([this] { Worker(); });
      }
      cv_.notify_one();
      return;
    }
  }
  if (cancel) cancel();
}

int ClientPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(threads_.size());
}

void ClientPool::Worker() {
  HttpClient client(client_options_);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    ++idle_;
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    --idle_;
    if (queue_.empty()) return;  // stopping
    Item item = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    item.task(client);
    item = Item{};  // release captures (promises, payloads) before waiting again
    lock.lock();
  }
}

}  // namespace sl::faas

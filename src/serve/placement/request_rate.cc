#include "serve/placement/request_rate.h"

#include <algorithm>

namespace sl::serve {
namespace {
constexpr int kCountBits = 24;
constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
constexpr uint64_t kEpochMask = (uint64_t{1} << (64 - kCountBits)) - 1;
}  // namespace

RequestRate::RequestRate(std::chrono::nanoseconds window, int buckets)
    : window_(window.count() > 0 ? window : std::chrono::seconds(1)),
      buckets_(std::max(1, buckets)),
      slots_(new std::atomic<uint64_t>[static_cast<size_t>(std::max(1, buckets))]) {
  width_ns_ = std::max<int64_t>(1, window_.count() / buckets_);
  for (int i = 0; i < buckets_; ++i) slots_[i].store(0, std::memory_order_relaxed);
}

int64_t RequestRate::BucketIndex(std::chrono::steady_clock::time_point t) const {
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  // +1 so that epoch 0 (an empty slot) never matches a real bucket.
  return ns / width_ns_ + 1;
}

void RequestRate::Record(std::chrono::steady_clock::time_point now, int64_t count) {
  if (count <= 0) return;
  const int64_t index = BucketIndex(now);
  const uint64_t epoch = static_cast<uint64_t>(index) & kEpochMask;
  std::atomic<uint64_t>& slot = slots_[static_cast<size_t>(index % buckets_)];
  uint64_t old = slot.load(std::memory_order_relaxed);
  while (true) {
    uint64_t old_epoch = old >> kCountBits;
    uint64_t n = old_epoch == epoch ? (old & kCountMask) : 0;
    if (old_epoch != epoch && old_epoch > epoch) return;  // a newer bucket owns the slot: too late
    n = std::min<uint64_t>(kCountMask, n + static_cast<uint64_t>(count));
    uint64_t next = (epoch << kCountBits) | n;
    if (slot.compare_exchange_weak(old, next, std::memory_order_relaxed)) return;
  }
}

double RequestRate::PerSecond(std::chrono::steady_clock::time_point now) const {
  const int64_t index = BucketIndex(now);
  uint64_t total = 0;
  for (int i = 0; i < buckets_; ++i) {
    uint64_t v = slots_[i].load(std::memory_order_relaxed);
    int64_t epoch = static_cast<int64_t>(v >> kCountBits);
    if (epoch == 0) continue;
    if (epoch <= index && epoch > index - buckets_) total += v & kCountMask;
  }
  return static_cast<double>(total) / std::chrono::duration<double>(window_).count();
}

}  // namespace sl::serve

// RequestRate: the request frequency f_t of the StraightLine placement rule — requests per second
// over a sliding window (default 1 s), split into buckets so that old arrivals fall out.
//
// Each bucket is one 64-bit atomic packing (bucket epoch, count); Record() is a short CAS loop
// and PerSecond() reads every bucket once, so both are lock-free. The window slides by one bucket
// width (window / buckets): f_t = arrivals in the buckets of the last `window` / window seconds.
// Times come from the caller (the placer's injected Clock in Observe()/Place(), tests'
// FakeClock), never from a clock read inside, so tests are exact.
// Thread safety: Record and PerSecond may be called from any number of threads at once.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace sl::serve {

class RequestRate {
 public:
  // window > 0; buckets >= 1 (clamped). Bucket width = window / buckets.
  explicit RequestRate(std::chrono::nanoseconds window = std::chrono::seconds(1), int buckets = 20);

  void Record(std::chrono::steady_clock::time_point now, int64_t count = 1);
  // Arrivals in the window ending at `now` (the current, partly filled bucket included), per second.
  double PerSecond(std::chrono::steady_clock::time_point now) const;
  std::chrono::nanoseconds window() const { return window_; }

 private:
  int64_t BucketIndex(std::chrono::steady_clock::time_point t) const;

  std::chrono::nanoseconds window_;
  int64_t width_ns_;
  int buckets_;
  std::unique_ptr<std::atomic<uint64_t>[]> slots_;  // (epoch << 24) | count, per bucket
};

}  // namespace sl::serve

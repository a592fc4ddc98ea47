// LatencyHistogram: a fixed-size log-linear histogram of times in milliseconds, so that the load
// generator's memory does not grow with the number of requests (a 3-minute ramp to thousands of
// sessions keeps one per second and one per phase and tier, not one record per request).
//
// Values are kept in whole microseconds: exact below 32 µs, above that 32 sub-buckets per power
// of two, up to 2^33 µs (about 2.4 h; larger values count in the last bucket). A percentile is
// the nearest-rank bucket's midpoint, clamped to the exact minimum and maximum seen, so it is
// within 1/64 (1.6 %) of the exact nearest-rank value; count, sum (mean), min and max are exact.
// 928 32-bit counters: 3.7 KB.
// Thread safety: a plain value; callers serialise access.
#pragma once
#include <array>
#include <cstdint>

namespace sl::serve::load {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;  // 32
  static constexpr int kMaxExp = 32;          // last octave: [2^32, 2^33) µs
  static constexpr int kBuckets = kSub + (kMaxExp - kSubBits + 1) * kSub;  // 928

  // Negative and non-finite values count as 0.
  void Add(double ms);
  void Merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  double sum_ms() const { return sum_ms_; }
  double mean_ms() const { return count_ ? sum_ms_ / static_cast<double>(count_) : 0; }
  double min_ms() const { return count_ ? min_ms_ : 0; }
  double max_ms() const { return count_ ? max_ms_ : 0; }
  // Nearest-rank percentile (p in [0, 100]) as described above; 0 when empty.
  double Percentile(double p) const;

  // Bucket layout (tests): the index of `us` microseconds, and a bucket's [lower, upper) in µs.
  static int BucketOf(uint64_t us);
  static uint64_t BucketLower(int index);
  static uint64_t BucketUpper(int index);

 private:
  std::array<uint32_t, kBuckets> counts_{};
  int64_t count_ = 0;
  double sum_ms_ = 0;
  double min_ms_ = 0;
  double max_ms_ = 0;
};

}  // namespace sl::serve::load

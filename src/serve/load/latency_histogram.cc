#include "serve/load/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sl::serve::load {

int LatencyHistogram::BucketOf(uint64_t us) {
  if (us < static_cast<uint64_t>(kSub)) return static_cast<int>(us);
  const int e = std::bit_width(us) - 1;  // us in [2^e, 2^(e+1))
  if (e > kMaxExp) return kBuckets - 1;
  const int sub = static_cast<int>((us >> (e - kSubBits)) & (kSub - 1));
  return kSub + (e - kSubBits) * kSub + sub;
}

uint64_t LatencyHistogram::BucketLower(int index) {
  if (index < kSub) return static_cast<uint64_t>(index);
  const int e = (index - kSub) / kSub + kSubBits;
  const uint64_t sub = static_cast<uint64_t>((index - kSub) % kSub);
  return (uint64_t{1} << e) + (sub << (e - kSubBits));
}

uint64_t LatencyHistogram::BucketUpper(int index) {
  if (index < kSub) return static_cast<uint64_t>(index) + 1;
  const int e = (index - kSub) / kSub + kSubBits;
  return BucketLower(index) + (uint64_t{1} << (e - kSubBits));
}

void LatencyHistogram::Add(double ms) {
  if (!std::isfinite(ms) || ms < 0) ms = 0;
  const double us = std::min(ms * 1000.0, 1e18);
  ++counts_[static_cast<size_t>(BucketOf(static_cast<uint64_t>(std::llround(us))))];
  if (count_ == 0 || ms < min_ms_) min_ms_ = ms;
  if (count_ == 0 || ms > max_ms_) max_ms_ = ms;
  ++count_;
  sum_ms_ += ms;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ms_ = count_ == 0 ? other.min_ms_ : std::min(min_ms_, other.min_ms_);
  max_ms_ = count_ == 0 ? other.max_ms_ : std::max(max_ms_, other.max_ms_);
  count_ += other.count_;
  sum_ms_ += other.sum_ms_;
}

double LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  const double rank = std::clamp(std::ceil(p / 100.0 * static_cast<double>(count_)), 1.0,
                                 static_cast<double>(count_));
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[static_cast<size_t>(i)];
    if (static_cast<double>(seen) >= rank) {
      // Below 32 µs a bucket is one microsecond (values were rounded to it): its value. Above,
      // the bucket's midpoint.
      const double us = i < kSub ? static_cast<double>(i)
                                 : 0.5 * static_cast<double>(BucketLower(i) + BucketUpper(i));
      return std::clamp(us / 1000.0, min_ms_, max_ms_);
    }
  }
  return max_ms_;
}

}  // namespace sl::serve::load

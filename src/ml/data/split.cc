#include "ml/data/split.h"

#include <algorithm>
#include <cmath>

#include "ml/data/rng.h"

namespace sl::ml::data {
namespace {

std::vector<std::vector<int64_t>> ByClass(const std::vector<int64_t>& labels, int64_t num_classes) {
  std::vector<std::vector<int64_t>> by(static_cast<size_t>(num_classes));
  for (size_t i = 0; i < labels.size(); ++i) by[labels[i]].push_back(static_cast<int64_t>(i));
  return by;
}

size_t HeldOutCount(size_t n, double fraction) {
  return std::min(n, static_cast<size_t>(std::llround(fraction * static_cast<double>(n))));
}

}  // namespace

IndexSplit StratifiedSplit(const std::vector<int64_t>& labels, int64_t num_classes,
                           double fraction, uint64_t seed) {
  Rng rng(seed);
  IndexSplit out;
  for (auto& idx : ByClass(labels, num_classes)) {
    Shuffle(idx, rng);
    const size_t h = HeldOutCount(idx.size(), fraction);
    out.held_out.insert(out.held_out.end(), idx.begin(), idx.begin() + h);
    out.kept.insert(out.kept.end(), idx.begin() + h, idx.end());
  }
  Shuffle(out.kept, rng);
  Shuffle(out.held_out, rng);
  return out;
}

IndexSplit StratifiedSplitByKey(const std::vector<int64_t>& labels, int64_t num_classes,
                                const std::vector<uint64_t>& keys, double fraction) {
  IndexSplit out;
  for (auto& idx : ByClass(labels, num_classes)) {
    std::sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
      return keys[a] != keys[b] ? keys[a] < keys[b] : a < b;
    });
    const size_t h = HeldOutCount(idx.size(), fraction);
    out.held_out.insert(out.held_out.end(), idx.begin(), idx.begin() + h);
    out.kept.insert(out.kept.end(), idx.begin() + h, idx.end());
  }
  // Original order inside each part: the caller shuffles the kept part with its own seed.
  std::sort(out.kept.begin(), out.kept.end());
  std::sort(out.held_out.begin(), out.held_out.end());
  return out;
}

}  // namespace sl::ml::data

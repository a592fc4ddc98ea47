// Deterministic, stratified splits of sample indices.
//
// StratifiedSplit keeps each class's share equal in both parts: for every class it shuffles
// that class's indices with the Rng and moves round(fraction * count) of them to `held_out`.
// Both parts are then shuffled, so consumers never see class-sorted data.
// The result depends only on (labels, fraction, seed): identical on every machine.
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <vector>

namespace sl::ml::data {

struct IndexSplit {
  std::vector<int64_t> kept;
  std::vector<int64_t> held_out;
};

// `labels[i]` must be in [0, num_classes). fraction in [0, 1].
IndexSplit StratifiedSplit(const std::vector<int64_t>& labels, int64_t num_classes,
                           double fraction, uint64_t seed);

// A seed-independent stratified split: within each class, samples are ordered by `keys[i]`
// (a stable hash of the sample's identity, e.g. its file name) and the first
// round(fraction * count) are held out. Used for test splits of datasets that have no official
// one, so the test set is the same whatever --seed trained the model.
IndexSplit StratifiedSplitByKey(const std::vector<int64_t>& labels, int64_t num_classes,
                                const std::vector<uint64_t>& keys, double fraction);

}  // namespace sl::ml::data

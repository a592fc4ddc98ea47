// Rng: a small, fully specified PRNG (xoshiro256** seeded through splitmix64) so that shuffles
// and splits are identical across standard libraries, compilers and machines: the same seed
// gives the same dataset order everywhere, which is what makes `--seed` reproducible.
// (std::shuffle / std::uniform_int_distribution are implementation-defined.)
// Thread safety: an Rng is a plain value; use one per thread.
#pragma once

#include <cstdint>
#include <vector>

namespace sl::ml::data {

// One step of splitmix64: also a good 64-bit mixing function for hashes.
uint64_t SplitMix64(uint64_t& state);
// The splitmix64 finaliser applied to x (stateless mix).
uint64_t Mix64(uint64_t x);

class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  // Uniform in [0, n) without modulo bias (Lemire's method with rejection). n must be > 0.
  uint64_t Uniform(uint64_t n);

 private:
  uint64_t s_[4];
};

// Fisher-Yates shuffle driven by rng.
void Shuffle(std::vector<int64_t>& v, Rng& rng);
// 0..n-1 shuffled with Rng(seed).
std::vector<int64_t> Permutation(int64_t n, uint64_t seed);

}  // namespace sl::ml::data

#include "common/big_buffer_allocator.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace sl {
namespace {

using Floats = std::vector<float, BigBufferAllocator<float>>;

TEST(BigBufferAllocator, SmallAndBigVectorsHoldTheirValuesThroughGrowthAndCopies) {
  Floats v;
  // Grows across kMinBytes: the buffer moves from operator new to its own mapping.
  for (int i = 0; i < 3'000'000; ++i) v.push_back(static_cast<float>(i));
  ASSERT_GE(v.capacity() * sizeof(float), big_buffer::kMinBytes);
  for (int i = 0; i < 3'000'000; i += 99'991) EXPECT_EQ(v[static_cast<size_t>(i)], static_cast<float>(i));
  Floats copy = v;
  EXPECT_EQ(copy, v);
  v.resize(10);
  v.shrink_to_fit();  // big mapping → small allocation
  EXPECT_EQ(v.size(), 10u);
  EXPECT_EQ(v[9], 9.0f);
}

TEST(BigBufferAllocator, ValueInitialisesLikeStdAllocator) {
  Floats big(big_buffer::kMinBytes / sizeof(float) * 3, 0.0f);
  Floats zeros(big_buffer::kMinBytes / sizeof(float) + 7);
  EXPECT_EQ(std::accumulate(zeros.begin(), zeros.end(), 0.0), 0.0);
  EXPECT_EQ(big.size(), big_buffer::kMinBytes / sizeof(float) * 3);
}

TEST(BigBufferAllocator, AnImpossibleSizeThrowsBadAlloc) {
  BigBufferAllocator<float> a;
  EXPECT_THROW((void)a.allocate(static_cast<size_t>(-1) / 2), std::bad_alloc);
}

}  // namespace
}  // namespace sl

#include "ml/image/resize.h"

#include <gtest/gtest.h>

namespace sl::image {
namespace {

TEST(ResizeBilinear, SameSizeIsACopy) {
  std::vector<float> src = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  EXPECT_EQ(ResizeBilinear(src, 1, 2, 3, 2, 3), src);
}

TEST(ResizeBilinear, ShrinkingByTwoAveragesBlocks) {
  // 4x4 → 2x2: with the widened triangle filter (support 2 source pixels) each output is a
  // weighted mean of its 2x2 block and neighbours; a constant image stays constant, and a
  // two-level checkerboard of 2x2 blocks keeps its block means' order.
  std::vector<float> flat(16, 0.25f);
  for (float v : ResizeBilinear(flat, 1, 4, 4, 2, 2)) EXPECT_NEAR(v, 0.25f, 1e-6f);
  std::vector<float> blocks(16);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) blocks[y * 4 + x] = (x < 2) == (y < 2) ? 1.0f : 0.0f;
  }
  std::vector<float> out = ResizeBilinear(blocks, 1, 4, 4, 2, 2);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_GT(out[0], 0.7f);
  EXPECT_LT(out[1], 0.3f);
  EXPECT_NEAR(out[0], out[3], 1e-6f);
  EXPECT_NEAR(out[1], out[2], 1e-6f);
}

TEST(ResizeBilinear, AntialiasedShrinkSeesEveryPixel) {
  // A single bright column in 8 pixels: plain point-sampled bilinear to 2 pixels can miss it;
  // the widened filter always gives it weight.
  std::vector<float> row(8, 0.0f);
  row[2] = 1.0f;
  std::vector<float> out = ResizeBilinear(row, 1, 1, 8, 1, 2);
  EXPECT_GT(out[0], 0.1f);
  EXPECT_NEAR((out[0] + out[1]) / 2, 1.0f / 8.0f, 0.025f);  // the mean is kept, roughly
}

TEST(ResizeBilinear, EnlargingInterpolatesBetweenCentres) {
  std::vector<float> src = {0.0f, 1.0f};
  std::vector<float> out = ResizeBilinear(src, 1, 1, 2, 1, 4);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_NEAR(out[0], 0.0f, 1e-6f);   // edge pixels clamp
  EXPECT_NEAR(out[1], 0.25f, 1e-6f);
  EXPECT_NEAR(out[2], 0.75f, 1e-6f);
  EXPECT_NEAR(out[3], 1.0f, 1e-6f);
}

TEST(ResizeBilinear, ChannelsStaySeparate) {
  std::vector<float> src(3 * 4 * 4);
  for (int c = 0; c < 3; ++c) std::fill_n(src.begin() + c * 16, 16, 0.1f * (c + 1));
  std::vector<float> out = ResizeBilinear(src, 3, 4, 4, 3, 5);
  ASSERT_EQ(out.size(), 3u * 15);
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 15; ++i) EXPECT_NEAR(out[c * 15 + i], 0.1f * (c + 1), 1e-6f);
  }
}

}  // namespace
}  // namespace sl::image

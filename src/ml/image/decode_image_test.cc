#include "ml/image/decode_image.h"

#include <png.h>

#include <cmath>

#include <gtest/gtest.h>

namespace sl::image {
namespace {

Pixels8 Rgb(int64_t h, int64_t w) {
  Pixels8 p{3, h, w, std::vector<uint8_t>(static_cast<size_t>(3 * h * w))};
  for (int64_t i = 0; i < h * w; ++i) {
    p.data[i * 3] = 200;  // a flat colour: resizing and JPEG keep it
    p.data[i * 3 + 1] = 100;
    p.data[i * 3 + 2] = 50;
  }
  return p;
}

TEST(DecodeForModel, JpegIsResizedAndConvertedToGray) {
  Result<std::string> jpg = EncodeJpeg(Rgb(48, 64), 95);
  ASSERT_TRUE(jpg.ok());
  EXPECT_EQ(SniffImageFormat(*jpg), ImageFormat::kJpeg);
  Result<PlanarImage> rgb = DecodeForModel(*jpg, {.channels = 3, .height = 7, .width = 9});
  ASSERT_TRUE(rgb.ok()) << rgb.status().ToString();
  ASSERT_EQ(rgb->pixels.size(), 3u * 7 * 9);
  EXPECT_NEAR(rgb->pixels[0], 200 / 255.0, 3 / 255.0);
  EXPECT_NEAR(rgb->pixels[63], 100 / 255.0, 3 / 255.0);
  EXPECT_NEAR(rgb->pixels[126], 50 / 255.0, 3 / 255.0);
  Result<PlanarImage> gray = DecodeForModel(*jpg, {.channels = 1, .height = 28, .width = 28});
  ASSERT_TRUE(gray.ok());
  ASSERT_EQ(gray->pixels.size(), 28u * 28);
  const double luma = (0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255.0;
  EXPECT_NEAR(gray->pixels[400], luma, 4 / 255.0);
  // No target: the image's own size.
  Result<PlanarImage> same = DecodeForModel(*jpg, {.channels = 3});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->height, 48);
  EXPECT_EQ(same->width, 64);
}

TEST(DecodeForModel, PngIsDecodedAndResizedToo) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = 5;
  img.height = 4;
  img.format = PNG_FORMAT_GRAY;
  std::vector<uint8_t> px(20, 128);
  png_alloc_size_t size = 0;
  ASSERT_TRUE(png_image_write_to_memory(&img, nullptr, &size, 0, px.data(), 0, nullptr));
  std::string bytes(size, '\0');
  ASSERT_TRUE(png_image_write_to_memory(&img, bytes.data(), &size, 0, px.data(), 0, nullptr));
  bytes.resize(size);
  Result<PlanarImage> out = DecodeForModel(bytes, {.channels = 3, .height = 8, .width = 10});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (float v : out->pixels) EXPECT_NEAR(v, 128 / 255.0f, 1e-5f);
}

TEST(DecodeForModel, UnknownAndEmptyBodiesAreNamed) {
  Result<PlanarImage> empty = DecodeForModel("", {});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);
  Result<PlanarImage> gif = DecodeForModel("GIF89a....", {});
  ASSERT_FALSE(gif.ok());
  EXPECT_NE(gif.status().message().find("47 49 46 38"), std::string::npos)
      << gif.status().message();
  EXPECT_FALSE(DecodeForModel("x", {.channels = 2}).ok());
  EXPECT_FALSE(DecodeForModel("x", {.channels = 3, .height = 4}).ok());
}

}  // namespace
}  // namespace sl::image

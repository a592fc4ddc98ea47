#include "ml/image/jpeg_codec.h"

#include <cmath>
#include <cstdlib>

#include <gtest/gtest.h>

namespace sl::image {
namespace {

// A smooth gradient (JPEG keeps smooth images within a few levels at quality 95).
Pixels8 Gradient(int64_t channels, int64_t h, int64_t w) {
  Pixels8 p{channels, h, w, std::vector<uint8_t>(static_cast<size_t>(channels * h * w))};
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      for (int64_t c = 0; c < channels; ++c) {
        p.data[(y * w + x) * channels + c] =
            static_cast<uint8_t>(40 + x * 100 / std::max<int64_t>(w - 1, 1) + y + c * 20);
      }
    }
  }
  return p;
}

double MeanAbsDiff(const Pixels8& a, const Pixels8& b) {
  double s = 0;
  for (size_t i = 0; i < a.data.size(); ++i) s += std::abs(int(a.data[i]) - int(b.data[i]));
  return s / static_cast<double>(a.data.size());
}

TEST(JpegCodec, RgbRoundTripWithinJpegTolerance) {
  Pixels8 in = Gradient(3, 24, 40);
  Result<std::string> bytes = EncodeJpeg(in, 95);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_TRUE(IsJpeg(*bytes));
  Result<Pixels8> out = DecodeJpeg(*bytes);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->channels, 3);
  ASSERT_EQ(out->height, 24);
  ASSERT_EQ(out->width, 40);
  ASSERT_EQ(out->data.size(), in.data.size());
  EXPECT_LT(MeanAbsDiff(in, *out), 3.0);  // levels of 255
}

TEST(JpegCodec, ProgressiveRoundTrip) {
  Pixels8 in = Gradient(3, 33, 17);
  Result<std::string> bytes = EncodeJpeg(in, 95, /*progressive=*/true);
  ASSERT_TRUE(bytes.ok());
  Result<JpegHeader> h = ReadJpegHeader(*bytes);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->progressive);
  Result<Pixels8> out = DecodeJpeg(*bytes);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_LT(MeanAbsDiff(in, *out), 3.0);
}

TEST(JpegCodec, GrayRoundTripAndConversions) {
  Pixels8 in = Gradient(1, 16, 16);
  Result<std::string> bytes = EncodeJpeg(in, 95);
  ASSERT_TRUE(bytes.ok());
  Result<JpegHeader> h = ReadJpegHeader(*bytes);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->components, 1);
  EXPECT_EQ(h->width, 16);
  Result<Pixels8> gray = DecodeJpeg(*bytes, {.channels = 1});
  ASSERT_TRUE(gray.ok());
  EXPECT_LT(MeanAbsDiff(in, *gray), 3.0);
  // Gray file asked as RGB: three equal planes.
  Result<Pixels8> rgb = DecodeJpeg(*bytes, {.channels = 3});
  ASSERT_TRUE(rgb.ok());
  ASSERT_EQ(rgb->channels, 3);
  for (int64_t i = 0; i < 16 * 16; ++i) {
    EXPECT_EQ(rgb->data[i * 3], gray->data[i]);
    EXPECT_EQ(rgb->data[i * 3 + 2], gray->data[i]);
  }
}

TEST(JpegCodec, DctScalingNeverGoesBelowTheTarget) {
  Pixels8 in = Gradient(3, 100, 200);
  Result<std::string> bytes = EncodeJpeg(in, 90);
  ASSERT_TRUE(bytes.ok());
  Result<Pixels8> out = DecodeJpeg(*bytes, {.channels = 3, .min_height = 20, .min_width = 30});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->height, 25);  // 1/4: 25 x 50 >= 20 x 30; 1/8 (13 x 25) would be too small
  EXPECT_EQ(out->width, 50);
}

TEST(JpegCodec, TruncatedFileIsRefusedNotGreyFilled) {
  Result<std::string> bytes = EncodeJpeg(Gradient(3, 64, 64), 90);
  ASSERT_TRUE(bytes.ok());
  for (size_t keep : {bytes->size() / 2, bytes->size() - 3, size_t{3}, size_t{20}}) {
    Result<Pixels8> out = DecodeJpeg(bytes->substr(0, keep));
    ASSERT_FALSE(out.ok()) << keep;
    EXPECT_EQ(out.status().code(), Code::kInvalidArgument);
    EXPECT_NE(out.status().message().find("JPEG: "), std::string::npos) << out.status().message();
  }
  Result<Pixels8> half = DecodeJpeg(bytes->substr(0, bytes->size() / 2));
  EXPECT_NE(half.status().message().find("Premature end"), std::string::npos)
      << half.status().message();
}

TEST(JpegCodec, GarbageAndWrongFormatsAreNamed) {
  Result<Pixels8> png = DecodeJpeg(std::string("\x89PNG\r\n\x1a\n....", 12));
  ASSERT_FALSE(png.ok());
  EXPECT_NE(png.status().message().find("FF D8 FF"), std::string::npos);
  // JPEG's start marker then garbage: libjpeg's own message, not exit().
  std::string junk = "\xFF\xD8\xFF";
  for (int i = 0; i < 200; ++i) junk.push_back(static_cast<char>((i * 37) & 0xff));
  Result<Pixels8> bad = DecodeJpeg(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("JPEG: ", 0), 0u) << bad.status().message();
}

TEST(JpegCodec, DecompressionBombIsRefusedFromTheHeader) {
  Result<std::string> bytes = EncodeJpeg(Gradient(1, 8, 8), 90);
  ASSERT_TRUE(bytes.ok());
  // Rewrite the SOF0 frame's height and width to 60000 x 60000: a 3.6 gigapixel claim.
  std::string b = *bytes;
  size_t sof = b.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  b[sof + 5] = static_cast<char>(0xEA);
  b[sof + 6] = 0x60;
  b[sof + 7] = static_cast<char>(0xEA);
  b[sof + 8] = 0x60;
  Result<JpegHeader> h = ReadJpegHeader(b);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->width, 60000);
  Result<Pixels8> out = DecodeJpeg(b);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("larger than the limit"), std::string::npos)
      << out.status().message();
  Result<Pixels8> small_limit = DecodeJpeg(*bytes, {.channels = 1, .max_pixels = 63});
  EXPECT_FALSE(small_limit.ok());
}

TEST(JpegCodec, EncodeRejectsBadShapes) {
  EXPECT_FALSE(EncodeJpeg(Pixels8{2, 4, 4, std::vector<uint8_t>(32)}).ok());
  EXPECT_FALSE(EncodeJpeg(Pixels8{1, 4, 4, std::vector<uint8_t>(15)}).ok());
  EXPECT_FALSE(EncodeJpeg(Gradient(1, 4, 4), 0).ok());
}

}  // namespace
}  // namespace sl::image

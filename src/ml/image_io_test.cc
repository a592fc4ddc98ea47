#include "ml/image_io.h"

#include <png.h>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "ml/image/jpeg_codec.h"

namespace sl::ml {
namespace {

TEST(ImageIo, ReadsBinaryAndAsciiPgm) {
  TempDir tmp("ml-image");
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("a.pgm"), std::string("P5\n# comment\n3 2\n255\n") +
                                                     std::string("\x00\x80\xff\x10\x20\x30", 6))
                  .ok());
  auto a = ReadImage(tmp.Join("a.pgm"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->channels, 1);
  EXPECT_EQ(a->height, 2);
  EXPECT_EQ(a->width, 3);
  EXPECT_FLOAT_EQ(a->pixels[1], 128 / 255.0f);
  EXPECT_FLOAT_EQ(a->pixels[2], 1.0f);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("b.pgm"), "P2 2 1 15 0 15\n").ok());
  auto b = ReadImage(tmp.Join("b.pgm"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->pixels, (std::vector<float>{0, 1}));
}

TEST(ImageIo, ReadsPngAsChwFloats) {
  TempDir tmp("ml-image");
  // 2x1 RGB: red, blue
  const uint8_t rgb[] = {255, 0, 0, 0, 0, 255};
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = 2;
  img.height = 1;
  img.format = PNG_FORMAT_RGB;
  ASSERT_TRUE(png_image_write_to_file(&img, tmp.Join("x.png").c_str(), 0, rgb, 0, nullptr));
  auto x = ReadImage(tmp.Join("x.png"));
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_EQ(x->channels, 3);
  EXPECT_EQ(x->pixels, (std::vector<float>{1, 0, 0, 0, 0, 1}));  // R plane, G plane, B plane
  auto gray = ConvertChannels(*x, 1);
  ASSERT_TRUE(gray.ok());
  EXPECT_NEAR(gray->pixels[0], 0.299, 1e-6);
  EXPECT_NEAR(gray->pixels[1], 0.114, 1e-6);
}

TEST(ImageIo, ReadsJpegAtItsOwnSizeAndRefusesTruncatedOnes) {
  TempDir tmp("ml-image");
  image::Pixels8 p{3, 6, 10, std::vector<uint8_t>(180, 0)};
  for (size_t i = 0; i < 60; ++i) p.data[i * 3] = 250;  // red
  Result<std::string> jpg = image::EncodeJpeg(p, 95);
  ASSERT_TRUE(jpg.ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("red.jpg"), *jpg).ok());
  Result<Image> img = ReadImage(tmp.Join("red.jpg"));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->channels, 3);
  EXPECT_EQ(img->height, 6);
  EXPECT_EQ(img->width, 10);
  EXPECT_NEAR(img->pixels[0], 250 / 255.0f, 6 / 255.0f);
  EXPECT_NEAR(img->pixels[60], 0.0f, 6 / 255.0f);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("cut.jpg"), jpg->substr(0, jpg->size() / 2)).ok());
  Result<Image> cut = ReadImage(tmp.Join("cut.jpg"));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("cut.jpg: JPEG: "), std::string::npos) << cut.status().message();
}

TEST(ImageIo, NetpbmRoundTrip) {
  TempDir tmp("ml-image");
  Image img{1, 2, 2, {0, 1, 0.5f, 0.25f}};
  ASSERT_TRUE(WriteNetpbm(tmp.Join("r.pgm"), img).ok());
  auto back = ReadImage(tmp.Join("r.pgm"));
  ASSERT_TRUE(back.ok());
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(back->pixels[i], img.pixels[i], 1.0 / 255);
}

TEST(ImageIo, BadFilesNameThePathAndProblem) {
  TempDir tmp("ml-image");
  EXPECT_EQ(ReadImage(tmp.Join("none.png")).status().code(), Code::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("t.txt"), "hello").ok());
  auto unknown = ReadImage(tmp.Join("t.txt"));
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("t.txt"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("short.pgm"), "P5 4 4 255\nabc").ok());
  auto truncated = ReadImage(tmp.Join("short.pgm"));
  EXPECT_EQ(truncated.status().code(), Code::kInvalidArgument);
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("bad.png"), std::string("\x89PNG\r\n\x1a\nxxxx", 12)).ok());
  EXPECT_EQ(ReadImage(tmp.Join("bad.png")).status().code(), Code::kInvalidArgument);
}

// Found by image_io_fuzz (issue 16): binary P5/P6 samples over maxval became pixels over 1 (the
// ASCII formats clamp), and a header of a few bytes could make the reader allocate its claimed
// size (a 1,000,000 x 1,000,000 PNG: terabytes) before finding the file too short.
TEST(ImageIo, SamplesOverMaxvalClampAndHugeHeadersAreRefusedBeforeAllocating) {
  TempDir tmp("ml-image");
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("over.pgm"), std::string("P5 2 1 25\n\xff\x19")).ok());
  auto over = ReadImage(tmp.Join("over.pgm"));
  ASSERT_TRUE(over.ok()) << over.status().ToString();
  EXPECT_EQ(over->pixels, (std::vector<float>{1, 1}));

  ASSERT_TRUE(WriteFileAtomic(tmp.Join("huge.pgm"), "P5 1048576 1048576 255\nabc").ok());
  auto huge_pgm = ReadImage(tmp.Join("huge.pgm"));
  EXPECT_EQ(huge_pgm.status().code(), Code::kInvalidArgument);
  EXPECT_NE(huge_pgm.status().message().find("larger than"), std::string::npos)
      << huge_pgm.status().ToString();
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("long.pgm"), "P2 1000 1000 255\n1 2 3\n").ok());
  EXPECT_NE(ReadImage(tmp.Join("long.pgm")).status().message().find("truncated"),
            std::string::npos);

  // A valid 1 x 1 PNG whose IHDR then claims 1,000,000 x 1,000,000 (CRC recomputed).
  const uint8_t px[] = {7};
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = 1;
  img.height = 1;
  img.format = PNG_FORMAT_GRAY;
  std::vector<uint8_t> mem(1024);
  png_alloc_size_t n = mem.size();
  ASSERT_TRUE(png_image_write_to_memory(&img, mem.data(), &n, 0, px, 0, nullptr));
  std::string png(reinterpret_cast<const char*>(mem.data()), n);
  const unsigned char big[4] = {0x00, 0x0f, 0x42, 0x40};  // 1,000,000 big-endian
  png.replace(16, 4, reinterpret_cast<const char*>(big), 4);
  png.replace(20, 4, reinterpret_cast<const char*>(big), 4);
  uint32_t crc = 0xffffffffu;  // CRC-32 of the chunk type and data
  for (int i = 12; i < 29; ++i) {
    crc ^= static_cast<uint8_t>(png[i]);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (crc & 1 ? 0xedb88320u : 0);
  }
  crc ^= 0xffffffffu;
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<char>((crc >> (24 - 8 * i)) & 0xff);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("huge.png"), png).ok());
  auto huge_png = ReadImage(tmp.Join("huge.png"));
  EXPECT_EQ(huge_png.status().code(), Code::kInvalidArgument);
  EXPECT_NE(huge_png.status().message().find("larger than"), std::string::npos)
      << huge_png.status().ToString();
}

}  // namespace
}  // namespace sl::ml

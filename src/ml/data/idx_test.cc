#include "ml/data/idx.h"

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "ml/data/compressed_file.h"
#include "ml/data/test_fixtures.h"

namespace sl::ml::data {
namespace {

using testing::Gzip;
using testing::IdxImages;
using testing::IdxLabels;
using testing::IdxPixel;
using testing::WriteBytes;

const std::vector<std::string> kTen = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};

TEST(Idx, LoadsRawAndGzipToTheSameUnitRangeDataset) {
  TempDir dir("idx");
  WriteBytes(dir.Join("img"), IdxImages(5, 4, 3));
  WriteBytes(dir.Join("lbl"), IdxLabels({9, 0, 3, 3, 7}));
  WriteBytes(dir.Join("img.gz"), Gzip(IdxImages(5, 4, 3)));
  WriteBytes(dir.Join("lbl.gz"), Gzip(IdxLabels({9, 0, 3, 3, 7})));
  auto raw = LoadIdxPair(dir.Join("img"), dir.Join("lbl"), kTen, "t");
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  auto gz = LoadIdxPair(dir.Join("img.gz"), dir.Join("lbl.gz"), kTen, "t");
  ASSERT_TRUE(gz.ok()) << gz.status().ToString();
  EXPECT_EQ(raw->size(), 5);
  EXPECT_EQ(raw->sample_shape, (std::vector<int64_t>{1, 4, 3}));
  EXPECT_EQ(raw->labels, (std::vector<int64_t>{9, 0, 3, 3, 7}));
  EXPECT_EQ(raw->class_names, kTen);
  ASSERT_EQ(raw->features.size(), 5u * 12u);
  // Sample 2, row 3, col 1.
  EXPECT_FLOAT_EQ(raw->features[2 * 12 + 3 * 3 + 1], IdxPixel(2, 3, 1) / 255.0f);
  for (float v : raw->features) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
  }
  EXPECT_EQ(raw->features, gz->features);
  EXPECT_EQ(raw->labels, gz->labels);
}

TEST(Idx, MissingFileIsNotFoundAndNamesThePath) {
  TempDir dir("idx");
  WriteBytes(dir.Join("lbl"), IdxLabels({1}));
  auto r = LoadIdxPair(dir.Join("nope-images"), dir.Join("lbl"), kTen, "t");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("nope-images"), std::string::npos) << r.status().ToString();
}

TEST(Idx, WrongMagicNumberIsRejectedWithTheValue) {
  TempDir dir("idx");
  std::string bad = IdxImages(2, 2, 2);
  bad[0] = 0x1a;  // not 00 00
  WriteBytes(dir.Join("img"), bad);
  auto r = ReadIdx(dir.Join("img"), 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("wrong magic number 0x1a000803"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find(dir.Join("img")), std::string::npos);

  // A labels file where images are expected: right format, wrong dimension count.
  WriteBytes(dir.Join("lbl"), IdxLabels({1, 2}));
  auto r2 = ReadIdx(dir.Join("lbl"), 3);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r2.status().message().find("1 dimensions"), std::string::npos) << r2.status().ToString();

  // Unsupported data type (0x0D = float).
  std::string f = IdxLabels({1});
  f[2] = 0x0d;
  WriteBytes(dir.Join("float"), f);
  auto r3 = ReadIdx(dir.Join("float"), 1);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find("data type 0x0d"), std::string::npos) << r3.status().ToString();
}

TEST(Idx, TruncatedRecordReportsItsByteOffset) {
  TempDir dir("idx");
  std::string img = IdxImages(3, 4, 4);  // header 16 + 3 * 16
  img.resize(16 + 2 * 16 + 5);            // record 2 has only 5 of 16 bytes
  WriteBytes(dir.Join("img.gz"), Gzip(img));
  auto r = ReadIdx(dir.Join("img.gz"), 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_NE(r.status().message().find("truncated record 2 of 3 at byte offset 48"),
            std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("img.gz"), std::string::npos);

  // A header cut short.
  WriteBytes(dir.Join("short"), img.substr(0, 10));
  auto r2 = ReadIdx(dir.Join("short"), 3);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), Code::kDataLoss);
  EXPECT_NE(r2.status().message().find("truncated header"), std::string::npos);
}

TEST(Idx, ZeroOrHugeDimensionsAreRejectedBeforeAllocating) {
  TempDir dir("idx");
  WriteBytes(dir.Join("empty"), IdxImages(0, 28, 28));
  auto r = ReadIdx(dir.Join("empty"), 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("dimension 0 at byte 4 is 0"), std::string::npos)
      << r.status().ToString();
  std::string huge = IdxImages(1, 1, 1);
  for (int i = 4; i < 16; ++i) huge[i] = static_cast<char>(0xff);  // 3 x (2^32 - 1)
  WriteBytes(dir.Join("huge"), huge);
  auto r2 = ReadIdx(dir.Join("huge"), 3);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r2.status().message().find("implausibly large"), std::string::npos)
      << r2.status().ToString();
}

TEST(Idx, TrailingBytesAreAnErrorNotIgnored) {
  TempDir dir("idx");
  WriteBytes(dir.Join("lbl"), IdxLabels({1, 2, 3}) + "xx");
  auto r = ReadIdx(dir.Join("lbl"), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_NE(r.status().message().find("2 unexpected trailing bytes at byte offset 11"),
            std::string::npos) << r.status().ToString();
}

TEST(Idx, LabelOutOfRangeNamesFileOffsetAndValue) {
  TempDir dir("idx");
  WriteBytes(dir.Join("img"), IdxImages(3, 2, 2));
  WriteBytes(dir.Join("lbl"), IdxLabels({1, 10, 2}));
  auto r = LoadIdxPair(dir.Join("img"), dir.Join("lbl"), kTen, "t");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(dir.Join("lbl") + ": label 10 at byte offset 9 (record 1) "
                                      "is out of range [0, 10)"), std::string::npos)
      << r.status().ToString();
}

TEST(Idx, ImageLabelCountMismatchNamesBothFiles) {
  TempDir dir("idx");
  WriteBytes(dir.Join("img"), IdxImages(4, 2, 2));
  WriteBytes(dir.Join("lbl"), IdxLabels({1, 2, 3}));
  auto r = LoadIdxPair(dir.Join("img"), dir.Join("lbl"), kTen, "t");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("count mismatch"), std::string::npos);
  EXPECT_NE(r.status().message().find(dir.Join("img") + " has 4 images"), std::string::npos);
  EXPECT_NE(r.status().message().find(dir.Join("lbl") + " has 3 labels"), std::string::npos);
}

TEST(Gzip, CorruptStreamIsDataLossNamingTheFile) {
  TempDir dir("gz");
  std::string gz = Gzip(IdxImages(50, 8, 8));
  std::string corrupt = gz;
  for (size_t i = 20; i < 40 && i < corrupt.size(); ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  WriteBytes(dir.Join("bad.gz"), corrupt);
  auto r = ReadMaybeGzipFile(dir.Join("bad.gz"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_NE(r.status().message().find(dir.Join("bad.gz") + ": corrupt gzip at compressed byte"),
            std::string::npos) << r.status().ToString();

  WriteBytes(dir.Join("cut.gz"), gz.substr(0, gz.size() / 2));
  auto r2 = ReadMaybeGzipFile(dir.Join("cut.gz"));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), Code::kDataLoss);
  EXPECT_NE(r2.status().message().find("truncated"), std::string::npos) << r2.status().ToString();

  // The loader surfaces the same error (never a partial dataset).
  WriteBytes(dir.Join("lbl"), IdxLabels({1}));
  auto r3 = LoadIdxPair(dir.Join("cut.gz"), dir.Join("lbl"), kTen, "t");
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.status().code(), Code::kDataLoss);
}

TEST(Gzip, ConcatenatedMembersAreReadInFull) {
  TempDir dir("gz");
  WriteBytes(dir.Join("two.gz"), Gzip("hello ") + Gzip("world"));
  auto r = ReadMaybeGzipFile(dir.Join("two.gz"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "hello world");
  WriteBytes(dir.Join("junk.gz"), Gzip("hello") + "junk");
  auto r2 = ReadMaybeGzipFile(dir.Join("junk.gz"));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), Code::kDataLoss);
  EXPECT_NE(r2.status().message().find("trailing garbage"), std::string::npos);
}

}  // namespace
}  // namespace sl::ml::data

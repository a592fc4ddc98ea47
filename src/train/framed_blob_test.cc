#include "train/framed_blob.h"

#include <gtest/gtest.h>

namespace sl::train {
namespace {

TEST(FramedBlob, RoundTripsHeaderAndPayload) {
  std::string bytes = EncodeFrame("TESTMAGC", {{"n", 3}}, std::string("abc\0def", 7));
  auto f = DecodeFrame(bytes, "TESTMAGC", "k");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->header["n"], 3);
  EXPECT_EQ(f->payload, std::string_view("abc\0def", 7));
}

TEST(FramedBlob, RejectsWrongMagicTruncationAppendixAndFlippedBytes) {
  std::string good = EncodeFrame("TESTMAGC", {{"n", 3}}, "payload-bytes");
  auto magic = DecodeFrame(good, "OTHERMAG", "shards/x");
  EXPECT_EQ(magic.status().code(), Code::kDataLoss);
  EXPECT_NE(magic.status().message().find("shards/x: byte 0: bad magic"), std::string::npos);

  auto shortened = DecodeFrame(good.substr(0, good.size() - 1), "TESTMAGC", "k");
  EXPECT_EQ(shortened.status().code(), Code::kDataLoss);
  EXPECT_NE(shortened.status().message().find("truncated"), std::string::npos);

  EXPECT_EQ(DecodeFrame(good + "x", "TESTMAGC", "k").status().code(), Code::kDataLoss);
  EXPECT_EQ(DecodeFrame(good.substr(0, 10), "TESTMAGC", "k").status().code(), Code::kDataLoss);

  std::string flipped = good;
  flipped.back() ^= 1;
  auto bad = DecodeFrame(flipped, "TESTMAGC", "k");
  EXPECT_EQ(bad.status().code(), Code::kDataLoss);
  EXPECT_NE(bad.status().message().find("SHA-256"), std::string::npos);

  std::string huge_header = good;
  huge_header[8] = static_cast<char>(0xff);
  huge_header[12] = static_cast<char>(0x7f);
  EXPECT_EQ(DecodeFrame(huge_header, "TESTMAGC", "k").status().code(), Code::kDataLoss);
}

}  // namespace
}  // namespace sl::train

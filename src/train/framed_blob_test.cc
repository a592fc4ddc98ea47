#include "train/framed_blob.h"

#include <gtest/gtest.h>

#include "common/sha256.h"

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
  EXPECT_NE(bad.status().message().find("CRC-32C"), std::string::npos);

  std::string huge_header = good;
  huge_header[8] = static_cast<char>(0xff);
  huge_header[12] = static_cast<char>(0x7f);
  EXPECT_EQ(DecodeFrame(huge_header, "TESTMAGC", "k").status().code(), Code::kDataLoss);
}

TEST(FramedBlob, FramesWrittenWithSha256StillDecodeAndAreChecked) {
  // The format before 2026-12-04: the same frame with "payload_sha256" instead of a CRC.
  const std::string payload = "payload-bytes";
  nlohmann::json header = {{"n", 3}, {"payload_bytes", payload.size()},
                           {"payload_sha256", "ad9ff43e1a2b3e1f4cf4ccb4f5e57e5e0e7b2d5b05cbb5f8b3b7a4c3e5a2d9f1"}};
  auto frame = [&](const nlohmann::json& h) {
    std::string text = h.dump();
    std::string out = "TESTMAGC";
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xff));
    return out + text + payload;
  };
  auto wrong = DecodeFrame(frame(header), "TESTMAGC", "k");
  EXPECT_EQ(wrong.status().code(), Code::kDataLoss);
  EXPECT_NE(wrong.status().message().find("SHA-256"), std::string::npos);
  header["payload_sha256"] = Sha256Hex(payload);
  const std::string bytes = frame(header);  // the decoded payload points into it
  auto ok = DecodeFrame(bytes, "TESTMAGC", "k");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->payload, payload);
  header.erase("payload_sha256");
  auto none = DecodeFrame(frame(header), "TESTMAGC", "k");
  EXPECT_EQ(none.status().code(), Code::kDataLoss);
  EXPECT_NE(none.status().message().find("payload_crc32c"), std::string::npos);
}

}  // namespace
}  // namespace sl::train

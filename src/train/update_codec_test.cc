#include "train/update_codec.h"

#include <cmath>
#include <cstdint>

#include <gtest/gtest.h>

#include "train/framed_blob.h"

namespace sl::train {
namespace {

ShardUpdate Update() {
  ShardUpdate u;
  u.round = 4;
  u.shard = 2;
  u.attempt = 1;
  u.samples = 640;
  u.steps = 10;
  u.loss = 0.25;
  u.compute_ms = 12.5;
  u.weights = std::string("weights\0bytes", 13);
  return u;
}

TEST(UpdateCodec, RoundTrips) {
  auto u = DecodeUpdate(EncodeUpdate(Update()), 4, 2, "k");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->attempt, 1);
  EXPECT_EQ(u->samples, 640);
  EXPECT_EQ(u->steps, 10);
  EXPECT_DOUBLE_EQ(u->loss, 0.25);
  EXPECT_DOUBLE_EQ(u->compute_ms, 12.5);
  EXPECT_EQ(u->weights, std::string("weights\0bytes", 13));
}

TEST(UpdateCodec, RejectsAnUpdateStoredUnderTheWrongRoundOrShard) {
  auto wrong = DecodeUpdate(EncodeUpdate(Update()), 5, 2, "updates/r0005/shard-0002.update");
  EXPECT_EQ(wrong.status().code(), Code::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("round 4 shard 2, expected round 5 shard 2"), std::string::npos);
}

TEST(UpdateCodec, RejectsNoSamplesDivergedLossAndCorruption) {
  ShardUpdate u = Update();
  u.samples = 0;
  EXPECT_EQ(DecodeUpdate(EncodeUpdate(u), 4, 2, "k").status().code(), Code::kInvalidArgument);
  u = Update();
  u.loss = std::nan("");
  EXPECT_EQ(DecodeUpdate(EncodeUpdate(u), 4, 2, "k").status().code(), Code::kInvalidArgument);
  std::string bytes = EncodeUpdate(Update());
  bytes.back() ^= 0x01;
  EXPECT_EQ(DecodeUpdate(bytes, 4, 2, "k").status().code(), Code::kDataLoss);
}

// Found by update_codec_fuzz (issue 16): integer members that are not integers (3.5, 1e30, an
// unsigned past int64) were cast by nlohmann (1e30: undefined behaviour); they are DATA_LOSS now.
TEST(UpdateCodec, RejectsIntegerMembersThatAreNotInt64) {
  auto header = [](const char* key, nlohmann::json value) {
    nlohmann::json h = {{"round", 4}, {"shard", 2}, {"attempt", 0}, {"samples", 1},
                        {"steps", 1}, {"loss", 0.5}};
    h[key] = value;
    return EncodeFrame("SLUPDT01", h, "w");
  };
  ASSERT_TRUE(DecodeUpdate(header("steps", 7), 4, 2, "k").ok());
  EXPECT_EQ(DecodeUpdate(header("round", 4.5), 4, 2, "k").status().code(), Code::kDataLoss);
  EXPECT_EQ(DecodeUpdate(header("steps", 1e30), 4, 2, "k").status().code(), Code::kDataLoss);
  EXPECT_EQ(DecodeUpdate(header("samples", UINT64_MAX), 4, 2, "k").status().code(),
            Code::kDataLoss);
  EXPECT_EQ(DecodeUpdate(header("attempt", "1"), 4, 2, "k").status().code(), Code::kDataLoss);
}

}  // namespace
}  // namespace sl::train

#include "train/shard_codec.h"

#include <cstdint>

#include <gtest/gtest.h>

#include "train/framed_blob.h"

namespace sl::train {
namespace {

ml::Dataset DenseData() {
  ml::Dataset d;
  d.name = "tiny";
  d.kind = ml::SampleKind::kDense;
  d.sample_shape = {1, 2, 2};
  d.features = {0, 1, 2, 3, 4, 5, 6, 7, 8.5f, 9, 10, 11};
  d.labels = {0, 2, 1};
  d.class_names = {"a", "b", "c"};
  return d;
}

ml::Dataset TokenData() {
  ml::Dataset d;
  d.name = "text";
  d.kind = ml::SampleKind::kTokens;
  d.token_offsets = {0, 2, 2, 5};
  d.tokens = {1, 7, 3, 3, 9};
  d.vocab_size = 10;
  d.labels = {1, 0, 1};
  d.class_names = {"ham", "spam"};
  return d;
}

TEST(ShardCodec, DenseAndTokenShardsRoundTripExactly) {
  for (const ml::Dataset& d : {DenseData(), TokenData()}) {
    auto back = DecodeShard(EncodeShard(d), "s");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->name, d.name);
    EXPECT_EQ(back->kind, d.kind);
    EXPECT_EQ(back->sample_shape, d.sample_shape);
    EXPECT_EQ(back->features, d.features);
    EXPECT_EQ(back->labels, d.labels);
    EXPECT_EQ(back->token_offsets, d.token_offsets);
    EXPECT_EQ(back->tokens, d.tokens);
    EXPECT_EQ(back->vocab_size, d.vocab_size);
    EXPECT_EQ(back->class_names, d.class_names);
  }
}

TEST(ShardCodec, RejectsLabelsAndTokensOutOfRange) {
  ml::Dataset d = DenseData();
  d.labels[1] = 3;
  auto r = DecodeShard(EncodeShard(d), "shards/shard-0001.bin");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("sample 1: label 3"), std::string::npos);
  ml::Dataset t = TokenData();
  t.tokens[2] = 10;
  EXPECT_EQ(DecodeShard(EncodeShard(t), "s").status().code(), Code::kInvalidArgument);
}

TEST(ShardCodec, RejectsAFeatureCountThatDoesNotMatchTheShape) {
  ml::Dataset d = DenseData();
  d.features.pop_back();
  auto r = DecodeShard(EncodeShard(d), "s");
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
}

TEST(ShardCodec, RejectsCorruptedBytes) {
  std::string bytes = EncodeShard(DenseData());
  bytes[bytes.size() - 3] ^= 0x10;
  EXPECT_EQ(DecodeShard(bytes, "s").status().code(), Code::kDataLoss);
}

// Found by shard_codec_fuzz (issue 16): sizes and shapes that are not non-negative integers were
// cast by nlohmann (1e30: undefined behaviour), and a shape whose product overflows int64 reached
// SampleNumel(); they are DATA_LOSS now.
TEST(ShardCodec, RejectsSizesAndShapesThatAreNotCounts) {
  auto header = [](const char* key, nlohmann::json value) {
    nlohmann::json h = {{"name", "n"},     {"kind", "dense"}, {"sample_shape", {1, 2}},
                        {"size", 0},       {"features", 0},   {"tokens", 0},
                        {"vocab_size", 0}, {"class_names", {"a"}}};
    h[key] = value;
    return EncodeFrame("SLSHARD1", h, "");
  };
  ASSERT_TRUE(DecodeShard(header("name", "x"), "s").ok());
  EXPECT_EQ(DecodeShard(header("size", 1e30), "s").status().code(), Code::kDataLoss);
  EXPECT_EQ(DecodeShard(header("features", -1), "s").status().code(), Code::kDataLoss);
  EXPECT_EQ(DecodeShard(header("tokens", 0.5), "s").status().code(), Code::kDataLoss);
  EXPECT_EQ(DecodeShard(header("vocab_size", 1e300), "s").status().code(), Code::kDataLoss);
  EXPECT_EQ(DecodeShard(header("sample_shape", {1, 2.5}), "s").status().code(), Code::kDataLoss);
  EXPECT_EQ(DecodeShard(header("sample_shape", {-1, 2}), "s").status().code(), Code::kDataLoss);
  EXPECT_EQ(DecodeShard(header("sample_shape", {UINT64_MAX, 1}), "s").status().code(),
            Code::kDataLoss);
  EXPECT_EQ(DecodeShard(header("size", UINT64_MAX), "s").status().code(), Code::kDataLoss);
  EXPECT_EQ(DecodeShard(header("sample_shape", {1LL << 32, 1LL << 32, 1LL << 32}), "s")
                .status().code(),
            Code::kDataLoss);
}

}  // namespace
}  // namespace sl::train

#include "serve/placement/thresholds.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/file_util.h"

namespace sl::serve {
namespace {

std::string TempPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("sl_thresholds_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(ThresholdsTest, SaveThenLoadRoundTrips) {
  PlacementThresholds t;
  t.model = "fmnist-cnn";
  t.frequency_threshold = 432.5;
  t.size_threshold = 70000;
  t.window_ms = 500;
  t.derivation = "test";
  t.measurements_json = R"({"sizes":[1,2]})";
  std::string path = TempPath("t.json");
  ASSERT_TRUE(SaveThresholds(path, t).ok());
  auto loaded = LoadThresholds(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->model, "fmnist-cnn");
  EXPECT_DOUBLE_EQ(loaded->frequency_threshold, 432.5);
  EXPECT_EQ(loaded->size_threshold, 70000);
  EXPECT_EQ(loaded->window_ms, 500);
  EXPECT_EQ(loaded->measurements_json, R"({"sizes":[1,2]})");
}

TEST(ThresholdsTest, LoadErrorsNameTheFileAndKey) {
  EXPECT_EQ(LoadThresholds(TempPath("missing.json")).status().code(), Code::kNotFound);
  std::string path = TempPath("bad.json");
  ASSERT_TRUE(WriteFileAtomic(path, R"({"frequency_threshold_per_s": 10})").ok());
  auto r = LoadThresholds(path);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("size_threshold_bytes"), std::string::npos);
  EXPECT_NE(r.status().message().find(path), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(path, "not json").ok());
  EXPECT_EQ(LoadThresholds(path).status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(WriteFileAtomic(path, R"({"frequency_threshold_per_s": -1, "size_threshold_bytes": 5})").ok());
  EXPECT_EQ(LoadThresholds(path).status().code(), Code::kInvalidArgument);
}

TEST(ThresholdsTest, SizeThresholdIsWhereTheContainerBeatsLocal) {
  auto d = DeriveSizeThreshold({{1 << 20, 9.0, 7.0}, {1024, 1.0, 3.0}, {65536, 4.0, 4.5},
                                {262144, 6.0, 5.5}});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, 262144);
  auto never = DeriveSizeThreshold({{1024, 1.0, 3.0}, {4096, 1.5, 3.5}});
  EXPECT_EQ(*never, 8192);
  EXPECT_EQ(DeriveSizeThreshold({}).status().code(), Code::kInvalidArgument);
}

TEST(ThresholdsTest, FrequencyThresholdIsEightyPercentOfLocalSaturation) {
  std::vector<RateResult> rates = {{100, 1.0, 2.0, 3.0}, {400, 0.995, 2.1, 3.9}, {800, 0.999, 3.0, 9.0},
                                   {1600, 0.7, 40, 900}};
  // Unloaded p99 2 ms: the tail limit is max(4, 12) = 12 ms; 800/s (p99 9 ms) is the highest.
  auto f = DeriveFrequencyThreshold(rates, 2.0);
  ASSERT_TRUE(f.ok());
  EXPECT_DOUBLE_EQ(*f, 640.0);
  // Unloaded p99 20 ms: the limit is 2 x 20 = 40 ms; 1600/s fails on success (70 %) anyway.
  EXPECT_DOUBLE_EQ(DeriveFrequencyThreshold(rates, 20.0).value(), 640.0);
  // A tail within 10 ms of a small unloaded p99 is not saturation; 13 ms over 2 ms is.
  EXPECT_TRUE(WithinLocalCapacity({400, 1.0, 1.0, 11.9}, 2.0));
  EXPECT_FALSE(WithinLocalCapacity({400, 1.0, 1.0, 12.1}, 2.0));
  EXPECT_TRUE(WithinLocalCapacity({400, 1.0, 50, 79}, 40.0));
  EXPECT_FALSE(WithinLocalCapacity({400, 0.98, 1.0, 1.0}, 2.0));
  EXPECT_EQ(DeriveFrequencyThreshold({{100, 0.5, 1, 1}}, 2.0).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::serve

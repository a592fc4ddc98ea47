// The calibration file → service model, and its errors.
#include "serve/sim/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "common/file_util.h"

namespace sl::serve::sim {
namespace {

// A file as `straightline calibrate` writes it (values made up: local = 1.2 + 0.1 × samples ms
// exactly; p99 / p50 = e^(2.3263 × 0.2) at every size, so σ = 0.2).
std::string File(const std::string& extra_tiers = "") {
  const double r = std::exp(2.3263478740 * 0.2);
  return fmt::format(R"({{"format": "straightline-thresholds/1", "model": "fmnist-cnn",
    "frequency_threshold_per_s": 640.0, "size_threshold_bytes": 602272, "window_ms": 1000,
    "measurements": {{
      "sizes": [
        {{"samples_per_request": 1, "bytes": 4783,
          "local": {{"mean_ms": 1.3, "p50_ms": 1.0, "p99_ms": {}, "success": 1.0}},
          "container": {{"mean_ms": 2.0, "p50_ms": 2.0, "p99_ms": 2.0, "success": 1.0}}}},
        {{"samples_per_request": 16, "bytes": 75344,
          "local": {{"mean_ms": 2.8, "p50_ms": 2.0, "p99_ms": {}, "success": 1.0}},
          "container": {{"mean_ms": 4.0, "p50_ms": 4.0, "p99_ms": 4.0, "success": 0.5}}}},
        {{"samples_per_request": 64, "bytes": 301136,
          "local": {{"mean_ms": 7.6, "p50_ms": 4.0, "p99_ms": {}, "success": 1.0}}}}
      ]{}
    }}}})",
                     r, 2 * r, 4 * r, extra_tiers);
}

TEST(CalibrationTest, FitsALinePerTierAndTheSpreadOfATrickle) {
  auto c = ParseCalibration(File(R"(, "tiers": {"container": {"start_ms_ewma": 812.5},
      "function": {"start_ms_ewma": 640}}, "host_cores": 2)"), "t.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_DOUBLE_EQ(c->frequency_threshold, 640);
  EXPECT_EQ(c->size_threshold, 602272);
  EXPECT_EQ(c->model, "fmnist-cnn");
  EXPECT_NEAR(c->local.a_ms, 1.2, 1e-9);
  EXPECT_NEAR(c->local.m_ms, 0.1, 1e-9);
  EXPECT_NEAR(c->local.sigma, 0.2, 1e-9);
  EXPECT_EQ(c->local.points, 3);
  // The container failed half its 16-sample requests: only its 1-sample point counts.
  EXPECT_TRUE(c->container.measured);
  EXPECT_EQ(c->container.points, 1);
  EXPECT_NEAR(c->container.a_ms, 2.0, 1e-9);
  EXPECT_NEAR(c->container.m_ms, 0, 1e-9);
  EXPECT_FALSE(c->function.measured);
  EXPECT_DOUBLE_EQ(c->container_start_ms, 812.5);
  EXPECT_DOUBLE_EQ(c->function_start_ms, 640);
  EXPECT_EQ(c->host_cores, 2);
  // Draws have the fitted mean.
  std::mt19937_64 rng(1);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) sum += c->local.Draw(16, rng);
  EXPECT_NEAR(sum / 100000, 2.8, 0.02);
}

TEST(CalibrationTest, AFileWithoutTheTiersSectionStillLoads) {
  auto c = ParseCalibration(File(), "old.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->container_start_ms, 0);
  EXPECT_EQ(c->host_cores, 0);
}

TEST(CalibrationTest, BadInputsNameTheFileAndTheKey) {
  auto expect = [](const std::string& text, const std::string& needle) {
    auto c = ParseCalibration(text, "cal.json");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
    EXPECT_NE(c.status().message().find(needle), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find("cal.json"), std::string::npos) << c.status().message();
  };
  expect("[1, 2]", "not a JSON object");
  expect("{\"frequency_threshold_per_s\": 1}", "size_threshold_bytes");
  expect(R"({"frequency_threshold_per_s": 1, "size_threshold_bytes": 2})", "measurements");
  expect(R"({"frequency_threshold_per_s": 1, "size_threshold_bytes": 2, "measurements": {"sizes": []}})",
         "measurements.sizes");
  expect(R"({"frequency_threshold_per_s": 1, "size_threshold_bytes": 2, "measurements": {"sizes": [
           {"samples_per_request": 1, "container": {"mean_ms": 1, "p50_ms": 1, "p99_ms": 1}}]}})",
         "measurements.sizes[0]: no 'local'");
  expect(R"({"frequency_threshold_per_s": 1, "size_threshold_bytes": 2, "measurements": {"sizes": [
           {"samples_per_request": 1, "local": {"mean_ms": -1, "p50_ms": 1, "p99_ms": 1}}]}})",
         "measurements.sizes[0].local.mean_ms");
  expect(R"({"frequency_threshold_per_s": -5, "size_threshold_bytes": 2})", "frequency_threshold_per_s");
}

TEST(CalibrationTest, AMissingFileIsNotFound) {
  TempDir dir("sl-sim-cal");
  auto c = LoadCalibration(dir.path() + "/none.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kNotFound);
  EXPECT_NE(c.status().message().find("straightline calibrate"), std::string::npos);
}

}  // namespace
}  // namespace sl::serve::sim

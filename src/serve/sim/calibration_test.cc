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
  // Between and beyond the measured sizes: linear (here the points lie on one line).
  EXPECT_NEAR(c->local.MeanMs(1), 1.3, 1e-9);
  EXPECT_NEAR(c->local.MeanMs(40), 1.2 + 4.0, 1e-9);
  EXPECT_NEAR(c->local.MeanMs(128), 1.2 + 12.8, 1e-9);
  // Draws have the fitted mean.
  std::mt19937_64 rng(1);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) sum += c->local.Draw(16, rng);
  EXPECT_NEAR(sum / 100000, 2.8, 0.02);
}

TEST(CalibrationTest, TheMeanFollowsTheMeasuredSizesNotJustTheLine) {
  // 1 → 1 ms, 32 → 4 ms, 128 → 24 ms (the forward pass grows faster past the cache): 16 samples
  // interpolate to 1 + 3 × 15/31, 64 to 4 + 20 × 32/96, 256 extends the last slope.
  auto c = ParseCalibration(R"({"frequency_threshold_per_s": 1, "size_threshold_bytes": 2, "measurements": {"sizes": [
      {"samples_per_request": 128, "local": {"mean_ms": 24, "p50_ms": 24, "p99_ms": 24}},
      {"samples_per_request": 1, "local": {"mean_ms": 1, "p50_ms": 1, "p99_ms": 1}},
      {"samples_per_request": 32, "local": {"mean_ms": 4, "p50_ms": 4, "p99_ms": 4}}]}})", "c.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_NEAR(c->local.MeanMs(1), 1, 1e-9);
  EXPECT_NEAR(c->local.MeanMs(16), 1 + 3.0 * 15 / 31, 1e-9);
  EXPECT_NEAR(c->local.MeanMs(64), 4 + 20.0 * 32 / 96, 1e-9);
  EXPECT_NEAR(c->local.MeanMs(256), 24 + 20.0 / 96 * 128, 1e-9);
  EXPECT_EQ(c->local.sigma, 0);
  std::mt19937_64 rng(1);
  EXPECT_EQ(c->local.Draw(32, rng), 4);
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

TEST(CalibrationTest, TheCpuFractionComesFromTheRateSweep) {
  // 2 cores; within at 1,600/s, saturated at 3,200/s (p99 over max(2 x 2 ms, 2 + 10 ms) = 12 ms):
  // R_sat = sqrt(1,600 x 3,200) = 2,262.7/s, 2 cores / R_sat = 0.8839 CPU-ms of L(1) = 1.3 ms.
  auto c = ParseCalibration(File(R"(, "host_cores": 2, "local_unloaded": {"p50_ms": 1, "p99_ms": 2},
      "local_rates": [{"offered_per_s": 800, "success": 1, "p50_ms": 1, "p99_ms": 3},
                      {"offered_per_s": 1600, "success": 1, "p50_ms": 1.4, "p99_ms": 5.6},
                      {"offered_per_s": 3200, "success": 1, "p50_ms": 8, "p99_ms": 18.7}])"), "t.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // Warm cores: the lowest p50 within capacity (1 ms at 800/s) / the trickle's p50 at 1 sample
  // (1.0 ms in File()): 1, nothing changes. See WarmCores for a factor below 1.
  EXPECT_NEAR(c->warm_factor, 1, 1e-12);
  EXPECT_NEAR(c->saturation_rate, std::sqrt(1600.0 * 3200.0), 1e-9);
  EXPECT_NEAR(c->cpu_fraction, 2000.0 / std::sqrt(1600.0 * 3200.0) / 1.3, 1e-9);
  EXPECT_NE(c->cpu_fraction_note.find("between 1600/s (within) and 3200/s (saturated)"), std::string::npos)
      << c->cpu_fraction_note;
  // Without the cores, or the sweep: all of it CPU.
  auto plain = ParseCalibration(File(), "t.json");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->cpu_fraction, 1);
}

TEST(CalibrationTest, WarmCoresScaleEveryTiersTrickleTimes) {
  // Under load (400/s) single requests took p50 0.5 ms against the trickle's 1.0: every tier's
  // times halve (local 1.3 → 0.65 at 1 sample; the container's 2.0 → 1.0), and κ is taken of the
  // warm time: 2 cores / 1,600/s (all within: a lower bound) = 1.25 CPU-ms > 0.65 ms → 1.
  auto c = ParseCalibration(File(R"(, "host_cores": 2, "local_unloaded": {"p50_ms": 1, "p99_ms": 2},
      "local_rates": [{"offered_per_s": 400, "success": 1, "p50_ms": 0.5, "p99_ms": 3},
                      {"offered_per_s": 1600, "success": 1, "p50_ms": 0.7, "p99_ms": 5}])"), "t.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_NEAR(c->warm_factor, 0.5, 1e-12);
  EXPECT_NEAR(c->local.MeanMs(1), 0.65, 1e-9);
  EXPECT_NEAR(c->local.MeanMs(16), 1.4, 1e-9);
  EXPECT_NEAR(c->container.MeanMs(1), 1.0, 1e-9);
  EXPECT_NEAR(c->saturation_rate, 1600, 1e-9);
  EXPECT_EQ(c->cpu_fraction, 1);
  EXPECT_NE(c->cpu_fraction_note.find("at least 1600/s"), std::string::npos) << c->cpu_fraction_note;
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

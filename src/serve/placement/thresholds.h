// Placement thresholds file: F (request frequency, requests/s) and D (request size, bytes) of the
// StraightLine rule, written by `straightline calibrate` and read by `straightline serve` as the
// defaults of --frequency-threshold / --size-threshold.
//
// Format (JSON, one object; unknown keys ignored):
//   {"format": "straightline-thresholds/1", "model": "fmnist-cnn",
//    "frequency_threshold_per_s": 430.0, "size_threshold_bytes": 65536, "window_ms": 1000,
//    "derivation": "…", "measurements": {…}}
// How calibrate derives them (DeriveThresholds):
//   D = the smallest measured request size at which the container tier's mean latency is lower
//       than the local tier's (moving the data to a replica pays off); if it never is, twice the
//       largest measured size (every measured size stays local).
//   F = 0.8 × the local tier's saturation rate: the highest offered rate it served with ≥ 99 %
//       success and p99 ≤ max(2 × its unloaded p99, its unloaded p99 + 10 ms) (above F, the
//       local server saturates and small requests go to functions, as in the paper). Why not a
//       pure ratio to the unloaded p50: on a shared 2-core machine a sub-millisecond tail
//       doubles from scheduler noise alone, which called the local tier "saturated" at 400
//       requests/s while it served 2,500/s; queueing, the real sign of saturation, adds tens of
//       milliseconds and more.
// Failure contract: LoadThresholds → NOT_FOUND (no file), INVALID_ARGUMENT naming the file and the
// key (bad JSON, missing or negative F/D); SaveThresholds writes atomically.
// Thread safety: plain functions on values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl::serve {

struct PlacementThresholds {
  std::string model;
  double frequency_threshold = 500;   // F
  int64_t size_threshold = 64 * 1024; // D
  int64_t window_ms = 1000;
  std::string derivation;
  std::string measurements_json = "{}";  // raw measurements, kept for the record
};

Result<PlacementThresholds> LoadThresholds(const std::string& path);
Status SaveThresholds(const std::string& path, const PlacementThresholds& t);

// One measured point of calibration.
struct SizeLatency {
  int64_t bytes = 0;
  double local_ms = 0;      // mean latency, local tier
  double container_ms = 0;  // mean latency, container tier
};
struct RateResult {
  double offered_per_s = 0;
  double success_ratio = 0;  // 0..1
  double p50_ms = 0;
  double p99_ms = 0;
};

// D from the size sweep (see above). INVALID_ARGUMENT when `sizes` is empty.
Result<int64_t> DeriveSizeThreshold(std::vector<SizeLatency> sizes);
// Whether one measured rate is within the local tier's capacity (the rule above).
bool WithinLocalCapacity(const RateResult& rate, double unloaded_p99_ms);
// F from the local tier's rate sweep (see above), given its unloaded p99.
// INVALID_ARGUMENT when `rates` is empty or no rate was served within the criteria.
Result<double> DeriveFrequencyThreshold(std::vector<RateResult> rates, double unloaded_p99_ms);

}  // namespace sl::serve

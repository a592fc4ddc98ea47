// Calibration: what `straightline calibrate` measured on this machine (its thresholds file,
// serve/placement/thresholds.h, with the raw measurements), turned into the simulator's service
// model (issue 21 §5).
//
// From measurements.sizes (mean / p50 / p99 latency per tier and request size, at a trickle):
//   service(tier, samples) = (a + m × samples) × X,   X lognormal with mean 1 and
//   σ = median over the sizes of ln(p99 / p50) / 2.326 (the spread a trickle showed)
// a and m are the least-squares line through the tier's mean latencies over the measured sizes
// (a ≥ 0.01 ms, m ≥ 0): a is what every request pays (HTTP, decoding, the hop to the tier: the
// transfer part that does not grow), m what each sample adds (forward pass and the transfer of
// its bytes). One size measured: a = its mean, m = 0.
// From measurements.tiers (written by calibrate since issue 21 §5): the container start and the
// function cold start as the tiers measured them (start_ms_ewma); 0 = not measured.
// F, D and the window are the placer's thresholds, as `serve` reads them from the same file.
// Failure contract: NOT_FOUND (no file); INVALID_ARGUMENT naming the file and the key (bad JSON,
// no measurements.sizes, a row without the local tier's mean_ms, a negative or non-finite value).
// Thread safety: plain values and functions.
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "common/status.h"
#include "serve/api/tier.h"

namespace sl::serve::sim {

struct ServiceFit {
  bool measured = false;  // the file had this tier
  double a_ms = 0;        // per request
  double m_ms = 0;        // per sample
  double sigma = 0;       // lognormal spread (0: deterministic)
  int points = 0;
  double MeanMs(int64_t samples) const { return a_ms + m_ms * static_cast<double>(samples); }
  // One draw: MeanMs(samples) × a lognormal factor of mean 1.
  double Draw(int64_t samples, std::mt19937_64& rng) const;
};

struct Calibration {
  std::string file;
  std::string model;
  double frequency_threshold = 500;   // F
  int64_t size_threshold = 64 * 1024; // D
  int64_t window_ms = 1000;
  ServiceFit local, container, function;
  double container_start_ms = 0;      // 0: not measured
  double function_start_ms = 0;       // our INIT (model load) as measured here; 0: not measured
  int64_t host_cores = 0;             // 0: not recorded
  const ServiceFit& Fit(TierKind kind) const;
};

Result<Calibration> LoadCalibration(const std::string& path);
Result<Calibration> ParseCalibration(const std::string& json_text, const std::string& file);

}  // namespace sl::serve::sim

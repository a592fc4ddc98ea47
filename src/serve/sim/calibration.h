// Calibration: what `straightline calibrate` measured on this machine (its thresholds file,
// serve/placement/thresholds.h, with the raw measurements), turned into the simulator's service
// model (issue 21 §5).
//
// From measurements.sizes (mean / p50 / p99 latency per tier and request size, at a trickle):
//   service(tier, samples) = mean(samples) × X,   X lognormal with mean 1 and
//   σ = median over the sizes of ln(p99 / p50) / 2.326 (the spread a trickle showed)
// mean(samples) interpolates linearly between the measured sizes (HTTP, decoding, the hop to the
// tier, the transfer of the body and the forward pass, as measured together), is the smallest
// size's mean below it and follows the last segment's slope (>= 0) above the largest. For the
// record (and the printed model) a and m are the least-squares line a + m × samples through the
// same points (a >= 0.01 ms, m >= 0). One size measured: its mean for every size.
// From measurements.tiers (written by calibrate since issue 21 §5): the container start and the
// function cold start as the tiers measured them (start_ms_ewma); 0 = not measured.
// Warm cores (warm_factor): the size sweep runs at a trickle (calibrate's --probe-rate, 20/s), where
// every request wakes idle cores and threads; under load the same request is answered faster
// (here: p50 1.33 ms at 20/s, 0.86 ms at 400-800/s). warm_factor = the lowest p50 of the rate
// sweep's rates within capacity / the size sweep's local p50 at 1 sample, clamped to [0.2, 1];
// every tier's curve is multiplied by it (they were all measured at the same trickle). No sweep:
// 1.
// How much of a trickle's latency is CPU work (cpu_fraction, κ): a request answered in L ms at a
// trickle did not use L ms of CPU (part is waiting: wake-ups, the network stack, hand-offs between
// threads). From measurements.local_rates (calibrate's rate sweep of single-sample requests, the
// load generator on the same cores) and host_cores: the local tier saturates between the last
// rate within capacity and the first beyond it (serve::WithinLocalCapacity, the rule calibrate
// itself uses; their geometric mean is taken), so one request costs host_cores / R_sat CPU-ms and
// κ = that / L_local(1 sample), clamped to [0.05, 1]. The waiting, (1 − κ) × L_local(1), is taken
// as the same for every request (wake-ups and hand-offs do not grow with the body): the simulator
// charges it as a delay that holds nothing, and the rest of a request's time, on any tier and at
// any size, as CPU work there. No sweep or no cores recorded: κ = 1 (all of it CPU: the most
// pessimistic reading).
// F, D and the window are the placer's thresholds, as `serve` reads them from the same file.
// Failure contract: NOT_FOUND (no file); INVALID_ARGUMENT naming the file and the key (bad JSON,
// no measurements.sizes, a row without the local tier's mean_ms, a negative or non-finite value).
// Thread safety: plain values and functions.
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "serve/api/tier.h"

namespace sl::serve::sim {

struct ServiceFit {
  bool measured = false;  // the file had this tier
  double a_ms = 0;        // per request
  double m_ms = 0;        // per sample
  double sigma = 0;       // lognormal spread (0: deterministic)
  int points = 0;
  std::vector<std::pair<double, double>> curve;  // (samples, mean ms), sorted; empty: the line
  double MeanMs(int64_t samples) const;
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
  double warm_factor = 1;             // (see above)
  double cpu_fraction = 1;            // κ (see above)
  double saturation_rate = 0;         // R_sat, single-sample requests/s (0: not derived)
  std::string cpu_fraction_note;      // how κ was derived, for the report
  const ServiceFit& Fit(TierKind kind) const;
};

Result<Calibration> LoadCalibration(const std::string& path);
Result<Calibration> ParseCalibration(const std::string& json_text, const std::string& file);

}  // namespace sl::serve::sim

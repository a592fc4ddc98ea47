// RunPlacementSim: the serving gateway in virtual time (issue 21 §5), driven by the same load
// spec as `straightline load` (serve/load/load_spec.h) and placing every request with the REAL
// placer (serve/placement: MakePlacer), which reads the simulator's clock through its injected
// Clock. No processes, no sockets, no sleeping.
//
// What is simulated, and how it follows the real code:
// - The client (serve/load/load_runner.cc): sessions released at Phase::ArrivalTime (the load
//   runner's own function) whether or not earlier ones finished; `concurrency` connections run one
//   session each, its requests in sequence; a session that finds `backlog` (0: 16 × concurrency)
//   sessions waiting is dropped (a failed request with tier "client-backlog"); a failed request
//   ends its session; maxTotal bounds the requests released; each request's payload is drawn by
//   weight and its body size is what BuildPayload makes for the model's input (`input`).
// - The gateway (serve/gateway.cc): admission by samples in flight (max_inflight_samples → 429),
//   Observe() + Place() with every tier's TierState, Submit; a RESOURCE_EXHAUSTED from the chosen
//   tier is placed once more among the others (not for the fixed policies); Completed() with the
//   time from placement to the tier's answer; the request timeout → 504 (the client's own timeout,
//   if shorter, → no response). HTTP statuses as the gateway maps them: 429 full, 503 unavailable,
//   504 deadline.
// - The tiers: tier_models.h, on the calibration's service model (calibration.h).
// Where the model departs from a real run (no HTTP threads, decoding is part of each tier's
// measured time, no load generator on the cores): docs/benchmarks.md, "Placement at cloud scale".
// Failure contract: INVALID_ARGUMENT naming the option (bad spec, no tier, unknown policy, a
// memory size the profile does not allow); results are data, not errors.
// Thread safety: one run per call; independent calls may run on different threads.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faas/economics/provider_profile.h"
#include "serve/api/placer.h"
#include "serve/load/load_recorder.h"
#include "serve/load/load_runner.h"
#include "serve/load/load_spec.h"
#include "serve/placement/placement_policies.h"
#include "serve/sim/calibration.h"
#include "serve/sim/tier_models.h"

namespace sl::serve::sim {

struct Topology {
  // Tiers deployed, in the gateway's order (as `serve --tiers`).
  bool local = true, container = true, function = true;
  // > 0: every tier runs on these cores (one host, as `serve` here); 0: each tier on its own.
  double shared_cores = 0;
  // Local server: cores of its machine and inference threads (0: = cores), batching, queue.
  double local_cores = 2;
  int64_t local_threads = 0;
  SimLocalOptions local_options;      // threads taken from local_threads / local_cores
  SimContainerOptions container_options;  // start_ms <= 0: the calibration's measured start
  SimFunctionOptions function_options;    // concurrency_limit <= 0: the profile's; init_ms < 0: calibration's
  // Function work when the calibration has no function measurements: the local tier's, slowed
  // by the instance's vCPU share when below 1 (VcpuForMemory).
  // The share of a single-sample request's measured time that is CPU work (κ, calibration.h): the
  // rest, (1 - κ) × the local tier's time at 1 sample, is a wait every request has whatever its
  // size and tier; it holds no tier resource (a delay on the answer's way back) and the rest of a
  // request's measured time is CPU work on the tier. < 0: the calibration's.
  double cpu_fraction = -1;
  // Gateway.
  int64_t request_timeout_ms = 50000;
  int64_t max_inflight_samples = 16384;  // 0: no limit
};

// One call the simulation made on the placer, for tests that replay them on a fresh placer.
struct PlacerCall {
  enum Kind { kObserve, kPlace, kCompleted } kind = kObserve;
  TimePoint at{};
  std::vector<TierState> tiers;       // kPlace
  int64_t wire_bytes = 0, batch = 1;  // kPlace
  Decision decision;                  // kPlace: what the placer answered
  Completion completion;              // kCompleted
  InferenceResponse response;         // kCompleted (status, service_ms, cold_start, cost)
};

// One request as the client saw it (tests).
struct RequestTrace {
  TimePoint arrival{};   // its session's
  TimePoint sent{};
  load::RequestOutcome outcome;
};

struct PlacementSimOptions {
  load::LoadSpec spec;
  Calibration calibration;
  Topology topology;
  faas::ProviderProfile profile;      // the function tier's provider
  PlacerOptions placer;               // policy, thresholds (F, D, window), SLO, budget
  load::ModelInputInfo input;         // the model's input (body sizes); default 1x28x28 FP32
  std::function<void(const PlacerCall&)> on_placer_call;  // tests; may be empty
  std::function<void(const RequestTrace&)> on_request;    // tests; may be empty
};

// The tiers' state at the end of each simulated second (the load recorder has the requests').
struct TierSecond {
  int64_t local_queued = 0, local_inflight = 0;
  int64_t container_replicas = 0, container_queued = 0;
  int64_t function_instances = 0, function_inflight = 0;
};

struct TierSummary {
  std::string tier;
  SimTierStats stats;
};

struct PlacementSimResult {
  std::string policy;
  // As `straightline load` records a run (load_recorder.h): per phase and tier, per second.
  load::LoadResult load;
  std::map<std::string, std::map<std::string, int64_t>> placements;  // tier → rule → count
  std::vector<TierSummary> tiers;
  std::vector<TierSecond> tier_seconds;
  int64_t events = 0;
  double simulated_s = 0;
  double wall_ms = 0;                        // real time the simulation took
};

// Fills the options left to the calibration or the profile: the container start (start_ms <= 0:
// the calibration's measured start, else 1,000 ms), the function limit (<= 0: the profile's
// default concurrency), INIT (< 0: the calibration's measured cold start, else 0) and the CPU
// fraction (< 0: the calibration's).
void ResolveDefaults(PlacementSimOptions* options);

// Runs one simulation (ResolveDefaults applied to a copy of `options` first).
Result<PlacementSimResult> RunPlacementSim(const PlacementSimOptions& options);

// The default input: one Fashion-MNIST image (1x28x28 FP32), the model calibrate measures here.
load::ModelInputInfo DefaultInput();

}  // namespace sl::serve::sim

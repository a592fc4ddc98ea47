// Tier: one kind of resource that can run an inference request — the local in-process pool, the
// container replicas, or the serverless functions. The gateway (gateway.h) decodes each HTTP
// request once into an InferenceRequest, asks the Placer (placer.h) for a tier from the tiers'
// TierState snapshots, and Submits it there. Every tier answers with the KServe v2 response the
// gateway sends back, so tiers are interchangeable behind the placer.
//
// Failure contract of Submit (the callback always runs exactly once, possibly on the caller's
// thread when the tier refuses at once):
//   OK                  response holds the encoded KServe v2 response body
//   RESOURCE_EXHAUSTED  the tier's bounded queue is full (gateway: 429 + Retry-After, or try
//                       another tier if the policy allows)
//   UNAVAILABLE         the tier cannot serve now (no replica, shutting down)      → 503
//   DEADLINE_EXCEEDED   request deadline passed before/while running               → 504
//   INVALID_ARGUMENT    the model rejected the input (shape/datatype)              → 400
//   NOT_FOUND           unknown model                                              → 404
//   other               internal failure of the tier, message names the tier       → 500
// Thread safety: Submit and State may be called from any number of threads at once.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl::serve {

enum class TierKind { kLocal, kContainer, kFunction };
std::string_view TierName(TierKind kind);  // "local" | "container" | "function"

struct ServedModel;  // serve/model_repository.h

// A decoded KServe v2 inference request for one model.
// The HTTP header of the binary tensor data extension: the JSON part's length (v2/v2_codec.h).
inline constexpr const char* kInferenceHeaderLength = "Inference-Header-Content-Length";

struct InferenceRequest {
  std::string model;
  // The version the gateway decoded the request for (the repository's current one at arrival);
  // the local tier runs it on that version even if another was swapped in since. Null: the tier
  // looks the model up itself.
  std::shared_ptr<const ServedModel> served;
  std::string id;                       // the v2 "id" field, echoed in the response
  // Samples in the model's input layout, raw scale (see ml/predictor.h): n * input numel floats.
  int64_t batch = 0;
  std::vector<float> dense;
  std::vector<std::string> texts;       // text models: one string per sample (BYTES tensor)
  std::string input_name = "input__0";  // the v2 input tensor name, for the response
  // The v2 "outputs" the client asked for (names); empty: all of them.
  std::vector<std::string> outputs;
  // Outputs to answer as raw bytes (binary tensor data extension: "binary_data_output" on the
  // request or "binary_data" on an output); the gateway converts the JSON response
  // (v2::ToBinaryResponse). Empty: a plain JSON response.
  std::vector<std::string> binary_outputs;
  // The request as it arrived: content type and body, so remote tiers (container, function)
  // can forward it without re-encoding. wire_bytes = body size = r_d of the placement rule.
  std::string content_type;
  std::string body;
  int64_t wire_bytes = 0;
  // Binary tensor data extension: the Inference-Header-Content-Length header (-1: not used);
  // remote tiers forward it with the body.
  int64_t json_header_bytes = -1;
  // The gateway held no other request when it admitted this one (a hint: another may arrive at
  // once). The local tier may then run it on the caller's thread (LocalTierOptions::
  // run_lone_requests_inline); under concurrency it never does, so that HTTP threads keep
  // reading while the inference threads batch.
  bool alone = false;
  std::chrono::steady_clock::time_point arrival;
  std::chrono::steady_clock::time_point deadline;
};

struct InferenceResponse {
  Status status;
  std::string body;                     // KServe v2 response JSON when ok
  std::string content_type = "application/json";
  double queue_ms = 0;                  // waited inside the tier before running
  double service_ms = 0;                // ran (incl. cold start / container start if any)
  bool cold_start = false;              // function cold start or container start on the path
  double cost_usd = 0;                  // billed cost (function tier), 0 elsewhere
  int64_t batch_size = 0;               // local tier: size of the dynamic batch it ran in
  // The model version that answered (local tier: the one the request ran on, which may differ
  // from the current one after a swap); "" when the tier does not know (the gateway then names
  // the version current when the request arrived).
  std::string model_version;
};

using InferenceCallback = std::function<void(InferenceResponse)>;

// A snapshot of what a tier can take now, for placement. Cheap to compute (atomics).
struct TierState {
  TierKind kind = TierKind::kLocal;
  bool available = false;               // deployed and serving
  int64_t inflight = 0;                 // running now
  int64_t queued = 0;                   // waiting in the tier's bounded queue
  int64_t capacity = 0;                 // max inflight + queued before it refuses (S_F, S_D)
  int64_t replicas = 0;                 // local: worker threads; container: running replicas;
                                        // function: warm instances
  int64_t max_replicas = 0;
  double service_ms_ewma = 0;           // measured recent service time per request (0: unknown)
  double start_ms_ewma = 0;             // measured cold start (function) / container start
  double cost_per_request_usd = 0;      // recent mean billed cost per request
  // Runs on the gateway's own cores (in-process, or child processes / containers / function
  // instances on this host): moving a request to it moves CPU work, it does not add CPU.
  bool shares_gateway_cpu = false;
  bool HasCapacity() const { return available && inflight + queued < capacity; }
};

// The moving average behind TierState's *_ewma fields and the placers' own measurements: 0 means
// "nothing measured yet", so the first sample is taken as it is.
inline void UpdateEwma(double* average, double sample, double alpha = 0.2) {
  *average = *average == 0 ? sample : (1 - alpha) * *average + alpha * sample;
}

class Tier {
 public:
  virtual ~Tier() = default;
  virtual TierKind kind() const = 0;
  // Models this tier serves (names as in the model repository).
  virtual std::vector<std::string> Models() const = 0;
  virtual void Submit(InferenceRequest request, InferenceCallback done) = 0;
  virtual TierState State() const = 0;
  // Stops accepting, fails queued requests with UNAVAILABLE, releases processes. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace sl::serve

// LoadRunner: open-loop load against a KServe v2 endpoint on this machine (`straightline load`).
//
// One scheduler thread releases sessions at the phases' arrival times (linear ramps, not Poisson)
// whether or not earlier ones have finished (open loop); `concurrency` worker threads, each with
// one keep-alive connection (lean_http_client.h), run each session's requests in sequence. A
// session that finds `backlog` sessions already waiting is counted failed ("client backlog
// full"): the client never queues without bound. Request bodies are built once per payload kind
// from the model's input shape (GET /v2/models/{m}). Every request is counted (load_recorder.h)
// with its phase, the tier from the X-Straightline-Tier header, the placement rule
// (X-Straightline-Rule), f_t and F (X-Straightline-Frequency), the HTTP status and its response
// time (send → response); the session length runs from its arrival to its last response. Memory
// is bounded by the run's length, not by its number of requests: counts and histograms per phase
// and tier and per second, no list of requests.
// With spec.auth_token, every request carries "Authorization: Bearer <token>".
// Failure contract: Run returns PERMISSION_DENIED for a non-loopback target or when the server
// answers the metadata request with 401 (no token, or a refused one), INVALID_ARGUMENT for
// a bad spec, UNAVAILABLE/NOT_FOUND when the model's metadata cannot be fetched; failed requests
// are data in the report, not errors.
// Thread safety: one Run at a time per LoadRunner.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "serve/load/load_recorder.h"
#include "serve/load/load_spec.h"

namespace sl::serve::load {

struct ModelInputInfo {
  std::string name = "input__0";
  std::string datatype = "FP32";
  std::vector<int64_t> shape;  // per sample
  int64_t numel = 1;
};

struct LoadResult {
  // Per phase and tier, per phase (sessions) and per second; shared so that results copy cheaply.
  std::shared_ptr<const LoadRecorder> recorded;
  std::vector<int64_t> payload_bytes;  // body size per payload kind
  double wall_s = 0;
  int64_t dropped_sessions = 0;        // client backlog full
};

// Parses GET /v2/models/{m} (KServe v2 model metadata): the first input's name, datatype, shape
// (a leading -1 batch dimension is dropped).
Result<ModelInputInfo> ParseModelMetadata(const std::string& json);
// The request body (and content type) of one payload kind for `input`, deterministic in `seed`.
struct Payload {
  std::string content_type;
  std::string body;
  int64_t json_header_bytes = -1;  // >= 0: sent as Inference-Header-Content-Length
};
Result<Payload> BuildPayload(const PayloadKind& kind, const ModelInputInfo& input, uint64_t seed);

Result<LoadResult> RunLoad(const LoadSpec& spec);

}  // namespace sl::serve::load

// Load specification for `straightline load` (issue 6): Artillery-style phases, sessions, a
// payload-size mix and a bounded total, from flags or a YAML file.
//
//   YAML:  target: http://127.0.0.1:8080
//          model: fmnist-cnn
//          phases: [{duration: 60, arrivalRate: 10, rampTo: 100, name: ramp}]
//          session: {requests: 3}
//          payloads: [{kind: json, weight: 8}, {kind: raw, weight: 1}, {kind: batch, weight: 1, batch: 64}]
//          maxTotal: 100000     concurrency: 64     timeoutMs: 50000
//   Phases flag: "DURATION_S:RATE[:RAMP_TO][,…]", rates in sessions (arrivals) per second.
//   Payload kinds: json (one sample, FP32 JSON), pixels (one sample, UINT8 octet-stream),
//                  raw (one sample, FP32 octet-stream), batch (`batch` samples, FP32 JSON),
//                  binary (`batch` samples, FP32 through the binary tensor data extension:
//                  a JSON header, then the raw tensor; Inference-Header-Content-Length).
// Failure contract: INVALID_ARGUMENT naming the flag/key/file and the bad value; any target that
// is not a loopback address (127.0.0.0/8, ::1, localhost) is refused with PERMISSION_DENIED.
// Thread safety: plain values and functions.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl::serve::load {

struct Phase {
  std::string name;
  double duration_s = 0;
  double arrival_rate = 0;   // sessions/s at the start
  double ramp_to = -1;       // sessions/s at the end; < 0: constant arrival_rate
  double EndRate() const { return ramp_to < 0 ? arrival_rate : ramp_to; }
  // Time (s from the phase start) of the k-th arrival (k = 1, 2, …) of a linear ramp, or a
  // negative value when the phase has fewer than k arrivals.
  double ArrivalTime(int64_t k) const;
};

struct PayloadKind {
  std::string kind = "json";  // json | pixels | raw | batch | binary
  double weight = 1;
  int64_t batch = 1;
};

struct LoadSpec {
  std::string target = "http://127.0.0.1:8080";
  std::string model;
  std::vector<Phase> phases;
  int64_t session_requests = 1;
  std::vector<PayloadKind> payloads = {PayloadKind{}};
  int64_t max_total = 0;        // max requests in all; 0: no bound beyond the phases
  int64_t concurrency = 64;     // connections (worker threads)
  int64_t backlog = 0;          // sessions waiting for a connection; 0: 16 × concurrency
  int64_t timeout_ms = 50000;   // per request, as in the paper
  uint64_t seed = 1;
  // Sent as "Authorization: Bearer <token>" with every request (the metadata GET too) when not
  // empty: the gateway's token (`load --auth-token-file` / STRAIGHTLINE_TOKEN). Never in reports.
  std::string auth_token;
};

Status CheckLoopbackTarget(const std::string& url);
Result<std::vector<Phase>> ParsePhases(const std::string& text);
Result<std::vector<PayloadKind>> ParsePayloadMix(const std::string& text);  // "json:8,batch:1:64"
Result<LoadSpec> LoadSpecFromYaml(const std::string& path);
Status ValidateSpec(const LoadSpec& spec);

}  // namespace sl::serve::load

// Trace replay against a function host (`straightline load --trace ... --target platform`):
// every function of a ReplayPlan is deployed as the built-in `trace` handler
// (runtime/trace_handler.h) and invoked at its planned send times, open loop (a send never waits
// for an earlier call), on any faas::FunctionHost: the embedded platform, Lambda or HTTP.
//
// Deployed spec per function: handler `trace`, memory = the provider's size for the touched
// memory + memory_headroom_mb (NearestAllowedMemory: rounded up to its steps; the touched memory
// is cut to fit when the provider's largest size is smaller, and a note says so), timeout = twice
// the longest planned duration + 30 s (within the profile's limits), the keep-alive policy spec
// given (else the spec default, the profile's fixed keep-alive), and STRAIGHTLINE_TRACE_MB so that
// each instance touches its memory in INIT (measured as its cold start).
//
// Measured per call: latency (send to response, on `clock`), and what the host reports (cold
// start, init, duration, billed, queued, cost: the ledger record's fields). On a host with live
// state (the embedded platform) the idle instances of every function are sampled every
// idle_sample of real time up to the plan's horizon: idle instance-time, converted to trace time
// (x speed), is the replay's wasted memory time once multiplied by the function's memory.
//
// Failure contract: Deploy errors (INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE from the host) and an
// unknown provider profile are returned before anything is sent; failed invocations are data.
// Thread safety: one replay at a time per host (function names are fixed by the plan).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "faas/economics/invocation_record.h"
#include "faas/function_host.h"
#include "trace/replay/replay_plan.h"

namespace sl::trace {

struct CallResult {
  bool done = false;
  bool ok = false;            // host: success outcome; gateway: HTTP 2xx
  bool cold = false;
  std::string error;          // outcome name / status / HTTP status when not ok
  std::string tier;           // gateway: X-Straightline-Tier
  double send_lag_ms = 0;     // sent this much after its planned time
  double latency_ms = 0;      // send → response, measured by the replay
  double init_ms = 0, duration_ms = 0, billed_ms = 0, queued_ms = 0, cost_usd = 0;
};

struct HostReplayOptions {
  std::string provider = "aws-lambda";
  std::string keep_alive;          // "" = FunctionSpec's default ("fixed": the profile's)
  bool spin = false;               // handlers burn CPU instead of waiting
  int64_t memory_headroom_mb = 32; // above the touched memory: the worker's own RSS
  // Handlers touch this share of their app's memory; the configured (billed) size stays the
  // trace's. Below 1 where the machine cannot hold or quickly fault in the trace's memory
  // (touching 1.6 GB cost a 1.6 s cold start here, 64 s of trace time at --speed 40).
  double touch_scale = 1;
  Clock* clock = nullptr;          // sends and latencies; null = Clock::Real()
  std::chrono::milliseconds idle_sample{5};
  std::string stage = "trace-replay";  // ledger stage tag of every invocation
};

struct ReplayResult {
  std::string target;                  // "local", "lambda", "http", "gateway"
  std::vector<int64_t> memory_mb;      // per plan function: the deployed size (host targets)
  std::vector<double> touch_mb;        // per plan function: what its handler touched
  std::vector<CallResult> calls;       // in plan order
  bool idle_measured = false;          // the host reported live state
  std::vector<double> idle_trace_s;    // per function: idle instance-seconds in trace time
  std::string keep_alive;              // the policy spec deployed
  double wall_s = 0;
  std::vector<std::string> notes;      // what the replay measured vs emulated
};

Result<ReplayResult> RunHostReplay(const ReplayPlan& plan, faas::FunctionHost* host,
                                   const HostReplayOptions& options);

}  // namespace sl::trace

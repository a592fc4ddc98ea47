// Trace replay against the serving gateway (`straightline load --trace ... --target URL`): every
// planned invocation becomes one KServe v2 inference request (POST /v2/models/{model}/infer) to a
// running `straightline serve`, sent at its planned time, open loop. The trace's functions and
// durations shape only the arrivals: the gateway decides where each request runs (its placer),
// and the model decides how long it takes. Bodies are built as `straightline load` builds them
// (serve/load: the model's input shape from GET /v2/models/{model}, payload kind `json` unless
// given), with the gateway's token as "Authorization: Bearer".
//
// Failure contract: PERMISSION_DENIED for a non-loopback URL or a 401 on the metadata request
// (naming --auth-token-file), NOT_FOUND for an unknown model, UNAVAILABLE when the gateway does
// not answer; failed requests are data (their HTTP status, or "transport" / "timeout").
// Thread safety: one replay at a time.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "trace/replay/host_replay.h"
#include "trace/replay/replay_plan.h"

namespace sl::trace {

struct GatewayReplayOptions {
  std::string url = "http://127.0.0.1:8080";
  std::string model;
  std::string payload = "json";  // a serve/load payload kind: json | pixels | raw | batch | binary
  std::string auth_token;        // "" = none
  int64_t timeout_ms = 50000;
  Clock* clock = nullptr;        // null = Clock::Real()
};

Result<ReplayResult> RunGatewayReplay(const ReplayPlan& plan, const GatewayReplayOptions& options);

}  // namespace sl::trace

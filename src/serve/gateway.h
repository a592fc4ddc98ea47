// Gateway: the KServe v2 REST inference protocol over the deployed tiers (issue 6). It is the
// HttpHandler of the server `straightline serve` runs:
//
//   GET  /v2/health/live            200 {"live": true}
//   GET  /v2/health/ready           200 {"ready": true} when a tier is available, else 503
//   GET  /v2                        server metadata {"name", "version", "extensions"}
//   GET  /v2/models/{m}[/versions/{v}]        model metadata (inputs, outputs, shapes, datatypes)
//   GET  /v2/models/{m}[/versions/{v}]/ready  200 {"name", "ready": true}
//   POST /v2/models/{m}[/versions/{v}]/infer  JSON tensors, or a binary body (octet-stream raw
//                                   pixels / FP32, image/png) — see serve/v2/v2_codec.h
//   GET  /metrics                   Prometheus text: requests by tier and outcome, latency
//                                   histograms, placements by tier and rule, queue depths,
//                                   batch sizes, cold starts, containers, billed cost
//
// Authentication (issue 14): with GatewayOptions::auth set, every request — any method, any path,
// known or not — except those to `open_paths` (by default the two health endpoints) must carry
// "Authorization: Bearer <token>" or "X-API-Key: <token>" with a token the authenticator accepts
// (common/auth_token.h: constant-time). Otherwise 401 with "WWW-Authenticate: Bearer ..." and
// {"error": ...} saying whether the credential was missing, malformed or unknown — never which
// tokens exist — before anything else is looked at (an unknown path is 401, not 404). Failures
// are counted in sl_serve_auth_failures_total{reason}; tokens are never logged.
//
// Per inference request: decode once (bad input → 4xx {"error": "..."} naming the field, 404
// unknown model, 415 unsupported content type; 413 over the body limit comes from HttpServer),
// Observe + Place on the Placer with every tier's TierState, Submit to the chosen tier. When the
// chosen tier refuses for a full queue the request is placed once more among the other tiers
// (not for the fixed policies). No tier can take it → 429 (all full) / 503 (none available) with
// Retry-After. The request deadline (default 50 s, as the paper's load tests) → 504, even if the
// tier never answers. Every answer carries X-Straightline-Tier: "<tier>; reason=<why>" (or
// "none; reason=..." when refused), X-Straightline-Queue-Ms and X-Straightline-Service-Ms; every
// answered inference also X-Straightline-Model-Version: the version that ran it (issue 20: a model
// from a store is swapped for a new version while serving; requests decoded before the swap run
// on the version they were decoded for). Every answer also carries X-Straightline-Rule: the
// placement rule that decided (Decision::rule: frequent_small, large, local_capacity, ...; or
// "timeout" / "admission"), a bounded set a client can count by; and every request that got as
// far as placement X-Straightline-Frequency: "f_t=812.000; F=500.000" — the request frequency
// f_t over GatewayOptions::frequency_window when it was placed, and the threshold F it is
// compared with (issue 19: the load generator's f_t-against-F series, under any policy).
//
// Admission (issue 16; under overload with large binary batches the gateway answered no 429 and
// grew to 4.5 GB): every inference request holds, from its arrival until the tier is done with it
// (after a 504 too, while the tier still holds it), its request memory — the body as received
// plus the decoded tensor — and its samples (the work it puts on a tier). A request that would
// take the gateway past GatewayOptions::max_inflight_bytes (checked on the body before decoding,
// then on the decoded size) or max_inflight_samples is answered 429 + Retry-After with
// "X-Straightline-Tier: none; reason=admission: ..." before it is decoded or placed; the tiers'
// own queue limits still apply after it. Counted in sl_serve_admission_refusals_total{resource};
// sl_serve_inflight_bytes and sl_serve_inflight_samples show what is held.
// Metrics labels are bounded: a request for a model the repository does not serve is counted
// under model="__unknown__" (kUnknownModelLabel), never under the name it asked for.
//
// Ownership: borrows the repository, the tiers and the placer; they must outlive the gateway,
// and the HttpServer must be stopped before the gateway is destroyed.
// Thread safety: Handle may be called from any number of server threads at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/auth_token.h"
#include "common/clock.h"
#include "common/host_cpu.h"
#include "common/http_message.h"
#include "common/http_server.h"
#include "common/status.h"
#include "serve/model_repository.h"
#include "serve/api/placer.h"
#include "serve/api/tier.h"

namespace sl {
class MetricsRegistry;
}

namespace sl::serve {

inline constexpr const char* kUnknownModelLabel = "__unknown__";
inline constexpr const char* kModelVersionHeader = "X-Straightline-Model-Version";
inline constexpr const char* kRuleHeader = "X-Straightline-Rule";
inline constexpr const char* kFrequencyHeader = "X-Straightline-Frequency";

struct GatewayOptions {
  std::chrono::milliseconds request_timeout{50000};
  // Admission (see above); 0: no limit. 16,384 samples is ~3 s of work at this machine's
  // calibrated F = 5,120 samples/s (docs/benchmarks.md); 512 MiB bounds what a burst of large
  // batches can make the gateway hold (it grew to 4.5 GB without a bound).
  int64_t max_inflight_bytes = int64_t{512} << 20;
  int64_t max_inflight_samples = 16384;
  int retry_after_s = 1;                      // Retry-After on 429 / 503
  std::string server_version = "0.1.0";
  MetricsRegistry* metrics = nullptr;         // null: MetricsRegistry::Default()
  HostCpuMeter* host_cpu = nullptr;           // not owned; null: placers see host_cpu_busy = -1
  // Arrival times, request deadlines (InferenceRequest::deadline) and the latencies measured
  // (not owned). Null: Clock::Real(). Give the placer and the tiers the same clock. The request
  // timeout itself fires on real time (DeadlineTimer): it bounds a real waiting client.
  Clock* clock = nullptr;
  // X-Straightline-Frequency: f_t counts the inference requests that reach placement (those the
  // placer's Observe() counts) over this window, on `clock`; give the placer's window for the
  // same f_t as Algorithm 1 compares. F: the threshold the header names (the straightline
  // placer's); < 0: the header carries f_t alone.
  std::chrono::milliseconds frequency_window{1000};
  double frequency_threshold = -1;
  // Null: every path is open (`serve --auth none`). Shared: immutable, read by every thread.
  std::shared_ptr<const TokenAuthenticator> auth;
  // Exact paths answered without a token when `auth` is set.
  std::vector<std::string> open_paths = {"/v2/health/live", "/v2/health/ready"};
};

class Gateway {
 public:
  static Result<std::unique_ptr<Gateway>> Create(const ModelRepository* models,
                                                 std::vector<Tier*> tiers, Placer* placer,
                                                 GatewayOptions options);
  ~Gateway();

  void Handle(HttpRequest&& request, HttpResponder respond);
  HttpHandler Handler();  // [this](req, respond) { Handle(...); }

  // Requests answered so far, by outcome (tests): ok, client errors, refused, timed out, failed.
  struct Counts {
    int64_t ok = 0, client_error = 0, refused = 0, timed_out = 0, failed = 0;
    int64_t refused_for_admission = 0;  // of `refused`: over max_inflight_bytes / _samples
  };
  Counts counts() const;
  // Held now by requests in flight (see Admission above).
  int64_t inflight_bytes() const;
  int64_t inflight_samples() const;
  // f_t now: inference requests placed per second over GatewayOptions::frequency_window, on the
  // gateway's clock (what X-Straightline-Frequency would say now); for the live dashboard.
  double FrequencyNow() const;

  class Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The HTTP status for a tier/codec status (see tier.h's failure contract).
int HttpStatusFor(const Status& status);

// {"error": message} with `status`: every error the gateway sends; also set as the HttpServer's
// error_response so that 413 / 400 from the server itself have the same shape.
HttpResponse JsonErrorResponse(int status, std::string message);

}  // namespace sl::serve

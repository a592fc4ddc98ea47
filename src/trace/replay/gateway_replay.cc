#include "trace/replay/gateway_replay.h"

#include <fmt/format.h>

#include "common/http_client.h"
#include "serve/load/lean_http_client.h"
#include "serve/load/load_runner.h"
#include "serve/load/load_spec.h"
#include "trace/replay/open_loop.h"

namespace sl::trace {

Result<ReplayResult> RunGatewayReplay(const ReplayPlan& plan, const GatewayReplayOptions& o) {
  Clock* clock = o.clock != nullptr ? o.clock : Clock::Real();
  SL_RETURN_IF_ERROR(serve::load::CheckLoopbackTarget(o.url));
  if (o.model.empty()) return InvalidArgument("--model: the gateway's model name is required with a gateway target");
  std::string base = o.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string bearer = o.auth_token.empty() ? "" : "Bearer " + o.auth_token;
  serve::load::ModelInputInfo input;
  {
    HttpClient client;
    HttpHeaders headers;
    if (!bearer.empty()) headers.Set("Authorization", bearer);
    auto meta = client.Get(base + "/v2/models/" + o.model, headers);
    if (!meta.ok()) return meta.status().WithContext(fmt::format("gateway {}: model metadata", base));
    if (meta->status == 404) return NotFound("gateway {}: no model '{}'", base, o.model);
    if (meta->status == 401) {
      return PermissionDenied("gateway {}: GET /v2/models/{} answered 401: {}", base, o.model,
                              o.auth_token.empty() ? "no token sent; give the server's token with "
                                                     "--auth-token-file FILE or STRAIGHTLINE_TOKEN"
                                                   : "the token sent was refused");
    }
    if (meta->status != 200) {
      return Unavailable("gateway {}: GET /v2/models/{} answered {}", base, o.model, meta->status);
    }
    SL_ASSIGN_OR_RETURN(input, serve::load::ParseModelMetadata(meta->body));
  }
  SL_ASSIGN_OR_RETURN(auto kinds, serve::load::ParsePayloadMix(o.payload));
  SL_ASSIGN_OR_RETURN(serve::load::Payload payload, serve::load::BuildPayload(kinds.front(), input, plan.options.seed));
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", payload.content_type}};
  if (!bearer.empty()) headers.emplace_back("Authorization", bearer);
  if (payload.json_header_bytes >= 0) {
    headers.emplace_back("Inference-Header-Content-Length", std::to_string(payload.json_header_bytes));
  }
  const std::string path = "/v2/models/" + o.model + "/infer";

  ReplayResult result;
  result.target = "gateway";
  result.calls.resize(plan.calls.size());
  const TimePoint t0 = clock->Now();
  RunOpenLoop(plan, clock, [&](size_t i, double lag_ms) {
    // A connection per request: requests overlap as the trace's invocations do, and a loopback
    // connect costs tens of microseconds.
    serve::load::LeanHttpClient client(base, o.timeout_ms, "X-Straightline-Tier");
    const TimePoint sent = clock->Now();
    auto r = client.Post(path, payload.body, headers);
    CallResult& c = result.calls[i];
    c.latency_ms = std::chrono::duration<double, std::milli>(clock->Now() - sent).count();
    c.send_lag_ms = lag_ms;
    c.done = true;
    if (!r.ok()) {
      c.error = r.status().code() == Code::kDeadlineExceeded ? "timeout" : "transport";
      return;
    }
    c.ok = r->status >= 200 && r->status < 300;
    if (!c.ok) c.error = fmt::format("http-{}", r->status);
    std::string tier = r->kept_header.substr(0, r->kept_header.find(';'));
    c.tier = tier;
  });
  result.wall_s = std::chrono::duration<double>(clock->Now() - t0).count();
  result.notes.push_back(fmt::format(
      "measured: every request's latency here (send to response) against {} model '{}', payload "
      "{} ({} bytes); the trace's durations and memory are not used (the model's work is the "
      "request's)", base, o.model, kinds.front().kind, payload.body.size()));
  return result;
}

}  // namespace sl::trace

#include "serve/gateway.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/deadline_timer.h"
#include "common/log.h"
#include "common/metrics.h"
#include "serve/placement/request_rate.h"
#include "serve/v2/v2_codec.h"

namespace sl::serve {
namespace {

constexpr std::array<TierKind, 3> kKinds = {TierKind::kLocal, TierKind::kContainer,
                                            TierKind::kFunction};


// "/v2/models/m/versions/1/infer" → {"m", "1", "infer"}; ok=false when the path is not a model path.
struct ModelPath {
  bool ok = false;
  std::string model, version, action;  // action: "" (metadata) | "ready" | "infer"
};

ModelPath ParseModelPath(std::string_view path) {
  ModelPath p;
  constexpr std::string_view kPrefix = "/v2/models/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return p;
  std::vector<std::string_view> parts;
  std::string_view rest = path.substr(kPrefix.size());
  while (!rest.empty()) {
    auto slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (parts.empty() || parts[0].empty()) return p;
  p.model = std::string(parts[0]);
  size_t i = 1;
  if (parts.size() >= 3 && parts[1] == "versions" && !parts[2].empty()) {
    p.version = std::string(parts[2]);
    i = 3;
  }
  if (parts.size() == i) {
    p.ok = true;
  } else if (parts.size() == i + 1 && (parts[i] == "ready" || parts[i] == "infer")) {
    p.action = std::string(parts[i]);
    p.ok = true;
  }
  return p;
}

std::string_view OutcomeOf(int http_status) {
  if (http_status < 400) return "ok";
  if (http_status == 429 || http_status == 503) return "refused";
  if (http_status == 504) return "timeout";
  if (http_status < 500) return "client_error";
  return "error";
}

// What the requests in flight hold (GatewayOptions::max_inflight_*), and one request's share.
struct Admission {
  std::atomic<int64_t> bytes{0}, samples{0};

  static bool TryAdd(std::atomic<int64_t>& held, int64_t n, int64_t cap) {
    if (n <= 0) return true;
    int64_t cur = held.load(std::memory_order_relaxed);
    do {
      if (cap > 0 && cur + n > cap) return false;
    } while (!held.compare_exchange_weak(cur, cur + n, std::memory_order_acq_rel));
    return true;
  }
};

class AdmissionTicket {
 public:
  explicit AdmissionTicket(Admission* a) : a_(a) {}
  ~AdmissionTicket() {
    a_->bytes.fetch_sub(bytes_, std::memory_order_acq_rel);
    a_->samples.fetch_sub(samples_, std::memory_order_acq_rel);
  }
  AdmissionTicket(const AdmissionTicket&) = delete;
  AdmissionTicket& operator=(const AdmissionTicket&) = delete;
  bool AddBytes(int64_t n, int64_t cap) {
    if (!Admission::TryAdd(a_->bytes, n, cap)) return false;
    bytes_ += std::max<int64_t>(n, 0);
    return true;
  }
  bool AddSamples(int64_t n, int64_t cap) {
    if (!Admission::TryAdd(a_->samples, n, cap)) return false;
    samples_ += std::max<int64_t>(n, 0);
    return true;
  }
  int64_t bytes() const { return bytes_; }
  int64_t samples() const { return samples_; }

 private:
  Admission* a_;
  int64_t bytes_ = 0, samples_ = 0;
};

// Request memory of a decoded request: the body it keeps for remote tiers and the tensor.
int64_t DecodedBytes(const InferenceRequest& r) {
  int64_t n = static_cast<int64_t>(r.body.capacity() + r.dense.capacity() * sizeof(float));
  for (const auto& t : r.texts) n += static_cast<int64_t>(t.capacity());
  return n;
}

}  // namespace

HttpResponse JsonErrorResponse(int status, std::string message) {
  return HttpResponse::Json(status, v2::ErrorBody(message));
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition:
    case Code::kOutOfRange: return 400;
    case Code::kNotFound: return 404;
    case Code::kResourceExhausted: return 429;
    case Code::kUnavailable: return 503;
    case Code::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

class Gateway::Impl {
 public:
  Impl(const ModelRepository* models, std::vector<Tier*> tiers, Placer* placer,
       GatewayOptions options)
      : models_(models), tiers_(std::move(tiers)), placer_(placer), options_(std::move(options)),
        rate_(options_.frequency_window) {
    if (options_.metrics == nullptr) options_.metrics = MetricsRegistry::Default();
    if (options_.clock == nullptr) options_.clock = Clock::Real();
    clock_ = options_.clock;
    fixed_policy_ = placer_->name() == "local" || placer_->name() == "container" ||
                    placer_->name() == "function";
  }

  Status InitMetrics() {
    MetricsRegistry& m = *options_.metrics;
    SL_ASSIGN_OR_RETURN(requests_, m.AddCounter("sl_serve_requests_total",
                                                "Inference requests answered, by model, tier "
                                                "(none: refused before a tier) and outcome.",
                                                {"model", "tier", "outcome"}));
    SL_ASSIGN_OR_RETURN(latency_, m.AddHistogram("sl_serve_request_duration_seconds",
                                                 "Gateway response time of inference requests.",
                                                 {"tier"},
                                                 {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50}));
    SL_ASSIGN_OR_RETURN(placements_, m.AddCounter("sl_serve_placements_total",
                                                  "Placement decisions by tier and rule.",
                                                  {"policy", "tier", "rule"}));
    SL_ASSIGN_OR_RETURN(auto* cold, m.AddCounter("sl_serve_cold_starts_total",
                                                 "Requests that paid a function cold start or a "
                                                 "container start.", {"tier"}));
    SL_ASSIGN_OR_RETURN(auto* cost, m.AddCounter("sl_serve_billed_cost_usd_total",
                                                 "Billed cost of requests (function tier, under "
                                                 "its provider profile).", {"tier"}));
    SL_ASSIGN_OR_RETURN(auto* queued, m.AddGauge("sl_serve_tier_queue_depth",
                                                 "Requests waiting in a tier.", {"tier"}));
    SL_ASSIGN_OR_RETURN(auto* inflight, m.AddGauge("sl_serve_tier_inflight",
                                                   "Requests running in a tier.", {"tier"}));
    SL_ASSIGN_OR_RETURN(admission_refusals_, m.AddCounter(
        "sl_serve_admission_refusals_total",
        "Inference requests answered 429 because the gateway's requests in flight held "
        "max_inflight_bytes of request memory or max_inflight_samples samples.", {"resource"}));
    SL_ASSIGN_OR_RETURN(auto* held_bytes, m.AddGauge("sl_serve_inflight_bytes",
                                                     "Request memory (bodies and decoded "
                                                     "tensors) held by inference requests in "
                                                     "flight."));
    SL_ASSIGN_OR_RETURN(auto* held_samples, m.AddGauge("sl_serve_inflight_samples",
                                                       "Samples of the inference requests in "
                                                       "flight."));
    SL_ASSIGN_OR_RETURN(inflight_bytes_gauge_, held_bytes->WithLabels({}));
    SL_ASSIGN_OR_RETURN(inflight_samples_gauge_, held_samples->WithLabels({}));
    SL_ASSIGN_OR_RETURN(auth_failures_, m.AddCounter("sl_serve_auth_failures_total",
                                                     "Requests refused with 401, by what was wrong "
                                                     "with their credentials.", {"reason"}));
    SL_ASSIGN_OR_RETURN(auto* replicas, m.AddGauge("sl_serve_tier_replicas",
                                                   "Local workers, running containers, warm "
                                                   "function instances.", {"tier"}));
    for (TierKind k : kKinds) {
      const auto i = static_cast<size_t>(k);
      const std::string name(TierName(k));
      SL_ASSIGN_OR_RETURN(cold_[i], cold->WithLabels({name}));
      SL_ASSIGN_OR_RETURN(cost_[i], cost->WithLabels({name}));
      SL_ASSIGN_OR_RETURN(queued_[i], queued->WithLabels({name}));
      SL_ASSIGN_OR_RETURN(inflight_[i], inflight->WithLabels({name}));
      SL_ASSIGN_OR_RETURN(replicas_[i], replicas->WithLabels({name}));
    }
    return Status::Ok();
  }

  void Handle(HttpRequest&& req, HttpResponder respond) {
    const std::string& path = req.path;
    if (options_.auth != nullptr && !IsOpenPath(path)) {
      const AuthVerdict verdict = options_.auth->Check(req.headers);
      if (verdict != AuthVerdict::kAllowed) return respond(Unauthorized(verdict));
    }
    if (path == "/metrics") {
      if (req.method != "GET") return respond(MethodNotAllowed(req, "GET"));
      RefreshTierGauges();
      HttpResponse r;
      r.status = 200;
      r.headers.Set("Content-Type", std::string(kPrometheusContentType));
      r.body = options_.metrics->Render();
      return respond(std::move(r));
    }
    if (path == "/v2/health/live") {
      if (req.method != "GET") return respond(MethodNotAllowed(req, "GET"));
      return respond(HttpResponse::Json(200, R"({"live":true})"));
    }
    if (path == "/v2/health/ready") {
      if (req.method != "GET") return respond(MethodNotAllowed(req, "GET"));
      const bool ready = AnyTierAvailable();
      return respond(HttpResponse::Json(ready ? 200 : 503, ready ? R"({"ready":true})"
                                                                 : R"({"ready":false})"));
    }
    if (path == "/v2" || path == "/v2/") {
      if (req.method != "GET") return respond(MethodNotAllowed(req, "GET"));
      nlohmann::json j = {{"name", "straightline"},
                          {"version", options_.server_version},
                          {"extensions", {"binary_tensor_data"}}};
      return respond(HttpResponse::Json(200, j.dump()));
    }
    ModelPath mp = ParseModelPath(path);
    if (!mp.ok) return respond(JsonErrorResponse(404, fmt::format("no such endpoint: {} {}", req.method, path)));
    // This request's view of the model: a version swapped in while it runs does not affect it.
    std::shared_ptr<const ServedModel> model = models_->Find(mp.model);
    if (model == nullptr) {
      CountClientError(kUnknownModelLabel);  // a bounded label: never the name asked for
      return respond(JsonErrorResponse(404, fmt::format("unknown model '{}' (serving: {})", mp.model,
                                                fmt::join(models_->Names(), ", "))));
    }
    if (!mp.version.empty() && mp.version != model->version) {
      return respond(JsonErrorResponse(404, fmt::format("model '{}' has no version '{}' (versions: {})",
                                                mp.model, mp.version, model->version)));
    }
    if (mp.action.empty()) {
      if (req.method != "GET") return respond(MethodNotAllowed(req, "GET"));
      return respond(HttpResponse::Json(200, model->metadata.dump()));
    }
    if (mp.action == "ready") {
      if (req.method != "GET") return respond(MethodNotAllowed(req, "GET"));
      const bool ready = AnyTierAvailable();
      nlohmann::json j = {{"name", model->name}, {"ready", ready}};
      return respond(HttpResponse::Json(ready ? 200 : 503, j.dump()));
    }
    if (req.method != "POST") return respond(MethodNotAllowed(req, "POST"));
    Infer(std::move(model), std::move(req), std::move(respond));
  }

  Counts counts() const {
    Counts c;
    c.ok = ok_.load();
    c.client_error = client_error_.load();
    c.refused = refused_.load();
    c.timed_out = timed_out_.load();
    c.failed = failed_.load();
    c.refused_for_admission = refused_for_admission_.load();
    return c;
  }
  int64_t inflight_bytes() const { return admission_.bytes.load(); }
  int64_t inflight_samples() const { return admission_.samples.load(); }
  double FrequencyNow() const { return rate_.PerSecond(clock_->Now()); }

 private:
  // One inference request in flight: answered exactly once, by the tier or by the timer.
  struct Call {
    HttpResponder respond;
    std::string model;
    std::string model_version;  // current at arrival; named when the tier does not say
    TimePoint arrival;
    std::atomic<bool> answered{false};
    uint64_t timer_id = 0;
    std::mutex timer_mu;  // guards timer_id against the callback racing the Schedule
    std::vector<std::string> binary_outputs;  // answer these outputs as raw bytes (v2 codec)
    // What this request holds of the gateway's admission budget; returned when the last holder
    // of the Call (the tier's callback, the timer) lets go.
    std::optional<AdmissionTicket> ticket;
    // f_t when the request was placed (the gateway's own window, GatewayOptions::
    // frequency_window); < 0: not measured (refused before placement). Written before the timer
    // is scheduled, read in Finish.
    double f_t = -1;
  };

  HttpResponse MethodNotAllowed(const HttpRequest& req, std::string_view allowed) {
    HttpResponse r = JsonErrorResponse(405, fmt::format("method {} not allowed on {} (allowed: {})",
                                                req.method, req.path, allowed));
    r.headers.Set("Allow", std::string(allowed));
    return r;
  }

  bool IsOpenPath(const std::string& path) const {
    return std::find(options_.open_paths.begin(), options_.open_paths.end(), path) !=
           options_.open_paths.end();
  }

  HttpResponse Unauthorized(AuthVerdict verdict) {
    if (auto c = auth_failures_->WithLabels({std::string(AuthVerdictName(verdict))}); c.ok()) {
      (*c)->Inc();
    }
    HttpResponse r = JsonErrorResponse(401, AuthFailureMessage(verdict));
    r.headers.Set("WWW-Authenticate", WwwAuthenticateFor(verdict));
    return r;
  }

  bool AnyTierAvailable() const {
    for (Tier* t : tiers_) {
      if (t->State().available) return true;
    }
    return false;
  }

  void RefreshTierGauges() {
    inflight_bytes_gauge_->Set(static_cast<double>(admission_.bytes.load()));
    inflight_samples_gauge_->Set(static_cast<double>(admission_.samples.load()));
    for (Tier* t : tiers_) {
      TierState s = t->State();
      const auto i = static_cast<size_t>(s.kind);
      queued_[i]->Set(static_cast<double>(s.queued));
      inflight_[i]->Set(static_cast<double>(s.inflight));
      replicas_[i]->Set(static_cast<double>(s.replicas));
    }
  }

  Tier* TierOf(TierKind kind) const {
    for (Tier* t : tiers_) {
      if (t->kind() == kind) return t;
    }
    return nullptr;
  }

  void CountClientError(const std::string& model) {
    client_error_.fetch_add(1);
    if (auto c = requests_->WithLabels({model, "none", "client_error"}); c.ok()) (*c)->Inc();
  }

  void Infer(std::shared_ptr<const ServedModel> served, HttpRequest&& req, HttpResponder respond) {
    const ServedModel& model = *served;
    const TimePoint arrival = clock_->Now();
    std::string content_type(req.headers.Get("Content-Type"));
    if (v2::ClassifyContentType(content_type) == v2::BodyKind::kUnsupported) {
      CountClientError(model.name);
      return respond(JsonErrorResponse(415, fmt::format(
          "unsupported Content-Type '{}' for /v2/models/{}/infer (use application/json, "
          "application/octet-stream or image/png)", content_type, model.name)));
    }
    int64_t json_header_bytes = -1;
    if (std::string_view h = req.headers.Get(kInferenceHeaderLength); !h.empty()) {
      auto n = v2::ParseInferenceHeaderLength(h);
      if (!n.ok()) {
        CountClientError(model.name);
        return respond(JsonErrorResponse(400, n.status().message()));
      }
      json_header_bytes = *n;
    }
    auto call = std::make_shared<Call>();
    call->respond = std::move(respond);
    call->model = model.name;
    call->model_version = model.version;
    call->arrival = arrival;
    call->ticket.emplace(&admission_);
    // Admission, first on the body as received (before spending CPU and memory on decoding it).
    const int64_t body_bytes = static_cast<int64_t>(req.body.size());
    if (!call->ticket->AddBytes(body_bytes, options_.max_inflight_bytes)) {
      return RefuseForAdmission(call, "bytes", body_bytes);
    }
    auto decoded = v2::DecodeRequest(model.name, content_type, std::move(req.body), model.input,
                                     json_header_bytes);
    if (!decoded.ok()) {
      call->ticket.reset();
      CountClientError(model.name);
      return call->respond(
          JsonErrorResponse(HttpStatusFor(decoded.status()), decoded.status().message()));
    }
    InferenceRequest request = std::move(*decoded);
    request.served = std::move(served);
    request.arrival = arrival;
    request.deadline = arrival + options_.request_timeout;
    // ... then on what decoding made (the tensor; the body is kept for remote tiers) and on the
    // work it brings.
    const int64_t decoded_bytes = DecodedBytes(request);
    if (!call->ticket->AddBytes(decoded_bytes - call->ticket->bytes(),
                                options_.max_inflight_bytes)) {
      return RefuseForAdmission(call, "bytes", decoded_bytes);
    }
    if (!call->ticket->AddSamples(std::max<int64_t>(1, request.batch),
                                  options_.max_inflight_samples)) {
      return RefuseForAdmission(call, "samples", request.batch);
    }
    call->binary_outputs = request.binary_outputs;
    request.alone = admission_.samples.load(std::memory_order_acquire) == call->ticket->samples();
    // The same arrivals the placer's Observe() counts, on the same clock (see GatewayOptions).
    rate_.Record(clock_->Now());
    call->f_t = rate_.PerSecond(clock_->Now());
    {
      std::lock_guard<std::mutex> l(call->timer_mu);
      // The timer runs on real time; on another clock (tests) the same timeout from real now.
      const TimePoint fire_at = clock_ == Clock::Real()
                                    ? request.deadline
                                    : Clock::Real()->Now() + options_.request_timeout;
      call->timer_id = timer_.Schedule(fire_at, [this, call] {
        InferenceResponse r;
        r.status = DeadlineExceeded("request timeout of {} ms passed before the tier answered",
                                    options_.request_timeout.count());
        Finish(call, "none", "timeout", "timeout", std::move(r));
      });
    }
    placer_->Observe();
    Place(call, std::move(request), /*excluded=*/-1);
  }

  void RefuseForAdmission(const std::shared_ptr<Call>& call, std::string_view resource,
                          int64_t wanted) {
    refused_for_admission_.fetch_add(1);
    if (auto c = admission_refusals_->WithLabels({std::string(resource)}); c.ok()) (*c)->Inc();
    const bool bytes = resource == "bytes";
    InferenceResponse r;
    r.status = ResourceExhausted(
        "gateway busy: requests in flight hold {} {} (limit {}); this request needs {}; retry "
        "later", bytes ? admission_.bytes.load() : admission_.samples.load(),
        bytes ? "bytes" : "samples",
        bytes ? options_.max_inflight_bytes : options_.max_inflight_samples, wanted);
    call->ticket.reset();  // hold nothing while answering
    Finish(call, "none",
           bytes ? "admission: request bytes in flight at the limit"
                 : "admission: samples in flight at the limit",
           "admission", std::move(r));
  }

  // Places and submits; `excluded` is a tier kind (as int) that just refused, or -1.
  void Place(const std::shared_ptr<Call>& call, InferenceRequest request, int excluded) {
    std::vector<TierState> states;
    states.reserve(tiers_.size());
    for (Tier* t : tiers_) {
      states.push_back(t->State());
      if (static_cast<int>(states.back().kind) == excluded) {
        states.back().capacity = 0;  // it just said it is full
      }
    }
    PlacementInput in;
    in.model = request.model;
    in.wire_bytes = request.wire_bytes;
    in.batch = request.batch;
    in.tiers = states;
    if (options_.host_cpu != nullptr) in.host_cpu_busy = options_.host_cpu->BusyFraction();
    Decision d = placer_->Place(in);
    if (auto c = placements_->WithLabels({std::string(placer_->name()),
                                          d.status.ok() ? std::string(TierName(d.tier)) : "none",
                                          d.rule.empty() ? "other" : d.rule});
        c.ok()) {
      (*c)->Inc();
    }
    Tier* tier = d.status.ok() ? TierOf(d.tier) : nullptr;
    std::string rule = d.rule.empty() ? "other" : d.rule;
    if (!d.status.ok() || tier == nullptr) {
      InferenceResponse r;
      r.status = d.status.ok() ? Unavailable("tier {} is not deployed", TierName(d.tier))
                               : d.status;
      return Finish(call, "none", d.reason, rule, std::move(r));
    }
    // A refusal for a full queue is placed once more among the others (adaptive/straightline).
    std::shared_ptr<InferenceRequest> retry_copy;
    if (!fixed_policy_ && excluded < 0 && tiers_.size() > 1) {
      retry_copy = std::make_shared<InferenceRequest>(request);
      // The copy is request memory too (admitted already: counted, not refused).
      if (call->ticket) call->ticket->AddBytes(DecodedBytes(*retry_copy), 0);
    }
    const TierKind kind = d.tier;
    std::string reason = std::move(d.reason);
    Completion done;
    done.tier = kind;
    done.samples = std::max<int64_t>(1, request.batch);
    done.predicted_ms = d.predicted_ms;
    const TimePoint placed = clock_->Now();
    tier->Submit(std::move(request), [this, call, done, placed, reason, rule, retry_copy](
                                         InferenceResponse r) mutable {
      const TierKind kind = done.tier;
      done.observed_ms =
          std::chrono::duration<double, std::milli>(clock_->Now() - placed).count();
      placer_->Completed(done, r);
      if (r.cold_start) cold_[static_cast<size_t>(kind)]->Inc();
      if (r.cost_usd > 0) cost_[static_cast<size_t>(kind)]->Inc(r.cost_usd);
      if (r.status.code() == Code::kResourceExhausted && retry_copy != nullptr &&
          !call->answered.load()) {
        return Place(call, std::move(*retry_copy), static_cast<int>(kind));
      }
      Finish(call, TierName(kind), reason, rule, std::move(r));
    });
  }

  // `rule`: the placement rule that decided (Decision::rule, a bounded set), or "timeout" /
  // "admission" when no tier answered for those.
  void Finish(const std::shared_ptr<Call>& call, std::string_view tier, std::string_view reason,
              std::string_view rule, InferenceResponse r) {
    if (call->answered.exchange(true)) return;  // the timer or the tier came first
    {
      std::lock_guard<std::mutex> l(call->timer_mu);
      timer_.Cancel(call->timer_id);
    }
    HttpResponse resp;
    if (r.status.ok() && !call->binary_outputs.empty()) {
      // Binary tensor data extension: JSON header, then the outputs' bytes (v2::ToBinaryResponse).
      auto bin = v2::ToBinaryResponse(std::move(r.body), r.content_type, call->binary_outputs);
      if (bin.ok()) {
        resp.status = 200;
        resp.headers.Set("Content-Type", "application/octet-stream");
        resp.headers.Set(kInferenceHeaderLength, std::to_string(bin->json_header_bytes));
        resp.body = std::move(bin->body);
      } else {
        resp = JsonErrorResponse(HttpStatusFor(bin.status()), bin.status().message());
      }
    } else if (r.status.ok()) {
      resp.status = 200;
      resp.headers.Set("Content-Type", r.content_type);
      resp.body = std::move(r.body);
    } else {
      resp = JsonErrorResponse(HttpStatusFor(r.status), r.status.message());
      if (resp.status == 429 || resp.status == 503) {
        resp.headers.Set("Retry-After", std::to_string(options_.retry_after_s));
      }
    }
    // Header values must be one line of visible text; reasons are generated, but be strict.
    std::string why(reason);
    for (char& c : why) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    resp.headers.Set("X-Straightline-Tier", fmt::format("{}; reason={}", tier, why));
    resp.headers.Set(kRuleHeader, std::string(rule));
    if (call->f_t >= 0) {
      resp.headers.Set(kFrequencyHeader,
                       options_.frequency_threshold >= 0
                           ? fmt::format("f_t={:.3f}; F={:.3f}", call->f_t,
                                         options_.frequency_threshold)
                           : fmt::format("f_t={:.3f}", call->f_t));
    }
    resp.headers.Set("X-Straightline-Queue-Ms", fmt::format("{:.3f}", r.queue_ms));
    resp.headers.Set("X-Straightline-Service-Ms", fmt::format("{:.3f}", r.service_ms));
    if (r.cold_start) resp.headers.Set("X-Straightline-Cold-Start", "1");
    if (r.batch_size > 0) resp.headers.Set("X-Straightline-Batch-Size", std::to_string(r.batch_size));
    if (r.status.ok()) {
      resp.headers.Set(kModelVersionHeader,
                       r.model_version.empty() ? call->model_version : r.model_version);
    }

    const std::string_view outcome = OutcomeOf(resp.status);
    if (outcome == "ok") ok_.fetch_add(1);
    else if (outcome == "refused") refused_.fetch_add(1);
    else if (outcome == "timeout") timed_out_.fetch_add(1);
    else if (outcome == "client_error") client_error_.fetch_add(1);
    else failed_.fetch_add(1);
    if (auto c = requests_->WithLabels({call->model, std::string(tier), std::string(outcome)}); c.ok()) {
      (*c)->Inc();
    }
    const double seconds =
        std::chrono::duration<double>(clock_->Now() - call->arrival).count();
    if (auto h = latency_->WithLabels({std::string(tier)}); h.ok()) (*h)->Observe(seconds);
    call->respond(std::move(resp));
  }

  const ModelRepository* models_;
  std::vector<Tier*> tiers_;
  Placer* placer_;
  GatewayOptions options_;
  Clock* clock_ = nullptr;  // options_.clock, never null
  bool fixed_policy_ = false;
  DeadlineTimer timer_;
  CounterFamily* requests_ = nullptr;
  HistogramFamily* latency_ = nullptr;
  CounterFamily* placements_ = nullptr;
  CounterFamily* auth_failures_ = nullptr;
  CounterFamily* admission_refusals_ = nullptr;
  Gauge* inflight_bytes_gauge_ = nullptr;
  Gauge* inflight_samples_gauge_ = nullptr;
  Admission admission_;
  RequestRate rate_;  // f_t for kFrequencyHeader
  std::atomic<int64_t> refused_for_admission_{0};
  std::array<Counter*, 3> cold_{}, cost_{};
  std::array<Gauge*, 3> queued_{}, inflight_{}, replicas_{};
  std::atomic<int64_t> ok_{0}, client_error_{0}, refused_{0}, timed_out_{0}, failed_{0};
};

Result<std::unique_ptr<Gateway>> Gateway::Create(const ModelRepository* models,
                                                 std::vector<Tier*> tiers, Placer* placer,
                                                 GatewayOptions options) {
  if (models == nullptr) return InvalidArgument("gateway: no model repository");
  if (placer == nullptr) return InvalidArgument("gateway: no placer");
  if (tiers.empty()) return InvalidArgument("gateway: no tier deployed");
  for (size_t i = 0; i < tiers.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (tiers[i]->kind() == tiers[j]->kind()) {
        return InvalidArgument("gateway: tier '{}' given twice", TierName(tiers[i]->kind()));
      }
    }
  }
  if (options.request_timeout.count() <= 0) {
    return InvalidArgument("gateway: request timeout must be positive");
  }
  if (options.auth != nullptr && options.auth->size() == 0) {
    return InvalidArgument("gateway: authentication on but no token accepted (every request "
                           "would get 401)");
  }
  auto impl = std::make_unique<Impl>(models, std::move(tiers), placer, std::move(options));
  SL_RETURN_IF_ERROR(impl->InitMetrics());
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() = default;
void Gateway::Handle(HttpRequest&& request, HttpResponder respond) {
  impl_->Handle(std::move(request), std::move(respond));
}
HttpHandler Gateway::Handler() {
  return [this](HttpRequest&& request, HttpResponder respond) {
    Handle(std::move(request), std::move(respond));
  };
}
Gateway::Counts Gateway::counts() const { return impl_->counts(); }
int64_t Gateway::inflight_bytes() const { return impl_->inflight_bytes(); }
int64_t Gateway::inflight_samples() const { return impl_->inflight_samples(); }
double Gateway::FrequencyNow() const { return impl_->FrequencyNow(); }

}  // namespace sl::serve

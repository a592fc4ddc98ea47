#include "faas/front/lambda_front.h"

#include <chrono>
#include <ctime>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/clock.h"
#include "common/log.h"
#include "faas/economics/provider_profile.h"
#include "faas/front/lambda_errors.h"
#include "faas/function_host.h"

namespace sl::faas {
namespace {

constexpr std::string_view kFunctionsPrefix = "/2015-03-31/functions";
constexpr size_t kLogTailBytes = 4096;

std::string_view TypeName(InvocationType t) {
  switch (t) {
    case InvocationType::kRequestResponse: return "RequestResponse";
    case InvocationType::kEvent: return "Event";
    case InvocationType::kDryRun: return "DryRun";
  }
  return "?";
}

bool ValidName(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return true;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

// Counters looked up per request (one family mutex each); the families are registered once.
struct LambdaFront::Metrics {
  CounterFamily* requests = nullptr;   // {function, type, code}
  CounterFamily* errors = nullptr;     // {function, error_type}
  CounterFamily* throttles = nullptr;  // {function}
  HistogramFamily* latency = nullptr;  // {type}
  CounterFamily* auth_failures = nullptr;  // {reason}

  static void Inc(CounterFamily* f, const std::vector<std::string>& labels) {
    if (f == nullptr) return;
    if (auto c = f->WithLabels(labels); c.ok()) (*c)->Inc();
  }
};

std::string HttpDate(WallTime t) {
  std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);  // C locale: English names
  return buf;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

Result<std::string> ParseFunctionName(std::string_view raw, std::string_view query_qualifier) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t colon = raw.find(':', start);
    parts.push_back(raw.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  std::string_view name, qualifier;
  if (parts.size() >= 7 && parts[0] == "arn" && parts[5] == "function") {
    name = parts[6];  // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    if (parts.size() == 8) qualifier = parts[7];
    if (parts.size() > 8) return InvalidArgument("function name '{}': malformed ARN", raw);
  } else if (parts.size() >= 3 && parts[1] == "function") {
    name = parts[2];  // ACCOUNT:function:NAME[:QUALIFIER]
    if (parts.size() == 4) qualifier = parts[3];
    if (parts.size() > 4) return InvalidArgument("function name '{}': malformed partial ARN", raw);
  } else if (parts.size() <= 2) {
    name = parts[0];
    if (parts.size() == 2) qualifier = parts[1];
  } else {
    return InvalidArgument("function name '{}': malformed", raw);
  }
  if (!ValidName(name)) {
    return InvalidArgument("function name '{}': must match [A-Za-z0-9_-]{{1,64}}", raw);
  }
  if (!query_qualifier.empty()) {
    if (!qualifier.empty() && qualifier != query_qualifier) {
      return InvalidArgument("function '{}': qualifier '{}' in the name and '{}' in the query differ",
                             name, qualifier, query_qualifier);
    }
    qualifier = query_qualifier;
  }
  if (!qualifier.empty() && qualifier != "$LATEST") {
    return NotFound("Function not found: {}:{} (only $LATEST exists on this platform)", name,
                    qualifier);
  }
  return std::string(name);
}

LambdaFront::LambdaFront(Invoker* invoker, FrontOptions options)
    : invoker_(invoker), options_(std::move(options)),
      registry_(options_.metrics ? options_.metrics : MetricsRegistry::Default()),
      metrics_(std::make_unique<Metrics>()) {
  // A clash with another shape under the same name leaves that series out; the front still runs.
  if (auto f = registry_->AddCounter("sl_front_requests_total",
                                     "Invoke API requests, by invocation type and HTTP status.",
                                     {"function", "type", "code"});
      f.ok()) {
    metrics_->requests = *f;
  }
  if (auto f = registry_->AddCounter(
          "sl_front_errors_total",
          "Invoke API errors: Lambda error types and function errors (Unhandled/Handled).",
          {"function", "error_type"});
      f.ok()) {
    metrics_->errors = *f;
  }
  if (auto f = registry_->AddCounter("sl_front_throttles_total",
                                     "Invocations answered 429 TooManyRequestsException.",
                                     {"function"});
      f.ok()) {
    metrics_->throttles = *f;
  }
  if (auto f = registry_->AddHistogram(
          "sl_front_request_duration_seconds", "Invoke API request time at the front.", {"type"},
          {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
           5, 10, 30, 60, 300, 900});
      f.ok()) {
    metrics_->latency = *f;
  }
  if (auto f = registry_->AddCounter("sl_front_auth_failures_total",
                                     "Requests refused by SigV4 verification, by reason.",
                                     {"reason"});
      f.ok()) {
    metrics_->auth_failures = *f;
  }
  EventQueue::Options eq = options_.events;
  if (eq.metrics == nullptr) eq.metrics = registry_;
  events_ = std::make_unique<EventQueue>(invoker_, std::move(eq));
  FutureWaiter::Options wo;
  wo.max_waiting = options_.max_sync_waiting > 0 ? options_.max_sync_waiting : 1;
  waiter_ = std::make_unique<FutureWaiter>(wo);
  host_ = dynamic_cast<FunctionHost*>(invoker_);
}

Result<std::unique_ptr<LambdaFront>> LambdaFront::Start(Invoker* invoker, FrontOptions options) {
  if (invoker == nullptr) return InvalidArgument("lambda front: no invoker");
  std::unique_ptr<LambdaFront> front(new LambdaFront(invoker, options));
  LambdaFront* self = front.get();
  HttpHandler handler = [self](HttpRequest&& req, HttpResponder respond) {
    self->Handle(std::move(req), std::move(respond));
  };
  if (front->options_.wrap_handler) handler = front->options_.wrap_handler(std::move(handler));
  auto server = HttpServer::Start(front->options_.http, std::move(handler));
  if (!server.ok()) return server.status().WithContext("lambda front");
  front->server_ = std::move(server).value();
  return front;
}

LambdaFront::~LambdaFront() { Stop(); }

void LambdaFront::Stop() {
  if (server_) server_->Stop();
  if (waiter_) waiter_->Stop();  // waits for the synchronous invocations still running
  if (events_) events_->Stop();
}

size_t LambdaFront::sync_waiting() const { return waiter_ ? waiter_->waiting() : 0; }

int LambdaFront::port() const { return server_ ? server_->port() : 0; }

std::string LambdaFront::endpoint() const {
  return fmt::format("http://{}:{}", options_.http.host, port());
}

std::optional<HttpResponse> LambdaFront::Authenticate(const HttpRequest& req) {
  if (!options_.auth) return std::nullopt;
  SigV4Verdict v = options_.auth->Verify(req);
  if (v.ok()) return std::nullopt;
  Metrics::Inc(metrics_->auth_failures, {std::string(SigV4FailureName(v.failure))});
  // The first line of the message only: a mismatch's canonical request is for the client.
  SL_LOG_WARN("front", "{} {} from {}: refused ({}{}): {}", req.method, req.path,
              req.remote_address, SigV4FailureName(v.failure),
              v.access_key_id.empty() ? "" : ", access key id " + v.access_key_id,
              v.message.substr(0, v.message.find('\n')));
  HttpResponse r = LambdaAuthErrorResponse(v, NewRequestId());
  // The server's time, as AWS sends it: SDKs (the JS SDK v3, botocore) correct their clock skew
  // from the Date of a "Signature expired" answer and retry.
  r.headers.Set("Date", HttpDate(options_.auth->options().clock->WallNow()));
  return r;
}

void LambdaFront::Handle(HttpRequest&& req, HttpResponder respond) {
  std::string_view path = req.path;
  if (path == "/healthz" && (req.method == "GET" || req.method == "HEAD")) {
    return respond(HttpResponse::Text(200, "ok\n"));
  }
  bool open = path == "/metrics" && options_.metrics_open;
  if (!open) {
    if (auto refused = Authenticate(req)) return respond(std::move(*refused));
  }
  if (path.substr(0, kFunctionsPrefix.size()) == kFunctionsPrefix) {
    std::string_view rest = path.substr(kFunctionsPrefix.size());
    if (rest.empty() || rest == "/") {
      if (req.method == "GET") return respond(ListFunctions());
      if (req.method == "POST") return respond(CreateFunction(req));
    } else if (rest[0] == '/') {
      rest.remove_prefix(1);
      size_t slash = rest.find('/');
      std::string_view name = rest.substr(0, slash);
      std::string_view tail = slash == std::string_view::npos ? "" : rest.substr(slash);
      if (tail == "/invocations" && req.method == "POST") {
        return Invoke(req, name, std::move(respond));
      }
      if (tail.empty() && req.method == "GET") return respond(GetFunction(name, false));
      if (tail.empty() && req.method == "DELETE") return respond(DeleteFunction(name));
      if (tail == "/configuration" && req.method == "GET") return respond(GetFunction(name, true));
    }
  } else if (path == "/metrics" && req.method == "GET") {
    return respond(MetricsPage());
  }
  respond(LambdaErrorResponse(
      NotFound("{} {}: not an operation of this Lambda API front", req.method, req.path),
      NewRequestId(), "UnknownOperationException"));
}

// One Invoke request: what its answer needs, kept until the invocation completes.
struct LambdaFront::InvokeCall {
  std::chrono::steady_clock::time_point started = Clock::Real()->Now();
  std::string request_id = NewRequestId();
  InvocationType type = InvocationType::kRequestResponse;
  std::string label_function = "(invalid)";
  std::string function;
  bool tail = false;
};

HttpResponse LambdaFront::Finish(const InvokeCall& call, HttpResponse r,
                                 std::string_view error_type) {
  Metrics::Inc(metrics_->requests, {call.label_function, std::string(TypeName(call.type)),
                                    std::to_string(r.status)});
  if (!error_type.empty()) {
    Metrics::Inc(metrics_->errors, {call.label_function, std::string(error_type)});
  }
  if (r.status == 429) Metrics::Inc(metrics_->throttles, {call.label_function});
  if (metrics_->latency) {
    if (auto h = metrics_->latency->WithLabels({std::string(TypeName(call.type))}); h.ok()) {
      (*h)->Observe(
          std::chrono::duration<double>(Clock::Real()->Now() - call.started).count());
    }
  }
  return r;
}

HttpResponse LambdaFront::Fail(const InvokeCall& call, const Status& s,
                               std::string_view type_override) {
  HttpResponse r = LambdaErrorResponse(s, call.request_id, type_override);
  std::string error_type(r.headers.Get("x-amzn-ErrorType"));
  return Finish(call, std::move(r), error_type);
}

Result<int64_t> LambdaFront::AsyncPayloadLimit(const std::string& function) {
  if (options_.async_payload_limit) return options_.async_payload_limit(function);
  if (host_ == nullptr) return kDefaultAsyncPayloadBytes;
  SL_ASSIGN_OR_RETURN(FunctionDescription d, host_->Describe(function));
  std::lock_guard<std::mutex> lock(profiles_mu_);
  auto it = async_limits_.find(d.spec.provider);
  if (it != async_limits_.end()) return it->second;
  SL_ASSIGN_OR_RETURN(ProviderProfile p, LoadProviderProfile(d.spec.provider));
  const int64_t limit = p.max_async_request_bytes > 0 ? p.max_async_request_bytes
                                                      : p.max_sync_request_bytes;
  async_limits_.emplace(d.spec.provider, limit);
  return limit;
}

HttpResponse LambdaFront::Complete(const InvokeCall& call, InvokeResult r) {
  std::string request_id = r.request_id.empty() ? call.request_id : r.request_id;
  InvokeCall named = call;
  named.request_id = request_id;
  if (r.status.code() != Code::kNotFound) named.label_function = call.function;
  if (!r.status.ok()) return Fail(named, r.status);

  HttpResponse out = HttpResponse::Json(200, std::move(r.payload));
  out.headers.Set("X-Amz-Executed-Version", "$LATEST");
  out.headers.Set("X-Amz-Request-Id", request_id);
  out.headers.Set("x-amzn-RequestId", request_id);
  if (!r.function_error.empty()) out.headers.Set("X-Amz-Function-Error", r.function_error);
  if (call.tail) {
    std::string_view tail = r.log_tail;
    if (tail.size() > kLogTailBytes) tail.remove_prefix(tail.size() - kLogTailBytes);
    out.headers.Set("X-Amz-Log-Result", Base64Encode(tail));
  }
  std::string error_type = r.function_error;
  return Finish(named, std::move(out), error_type);
}

void LambdaFront::Invoke(HttpRequest& req, std::string_view raw_name, HttpResponder respond) {
  auto call = std::make_shared<InvokeCall>();
  std::string type_header(req.headers.Get("X-Amz-Invocation-Type"));
  if (type_header.empty() || type_header == "RequestResponse") {
    call->type = InvocationType::kRequestResponse;
  } else if (type_header == "Event") {
    call->type = InvocationType::kEvent;
  } else if (type_header == "DryRun") {
    call->type = InvocationType::kDryRun;
  } else {
    return respond(Fail(*call,
                        InvalidArgument("X-Amz-Invocation-Type '{}': must be RequestResponse, "
                                        "Event or DryRun", type_header),
                        "InvalidParameterValueException"));
  }
  std::string_view log_type = req.headers.Get("X-Amz-Log-Type");
  if (!log_type.empty() && log_type != "None" && log_type != "Tail") {
    return respond(Fail(*call, InvalidArgument("X-Amz-Log-Type '{}': must be None or Tail", log_type),
                        "InvalidParameterValueException"));
  }
  Result<std::string> name = ParseFunctionName(raw_name, QueryParam(req.query, "Qualifier"));
  if (!name.ok()) {
    bool not_found = name.status().code() == Code::kNotFound;
    return respond(Fail(*call, name.status(), not_found ? "" : "InvalidParameterValueException"));
  }
  call->function = *name;
  // Only names that exist become label values; a 404 is counted under "(unknown)".
  call->label_function = "(unknown)";
  if (!req.body.empty() && !nlohmann::json::accept(req.body)) {
    std::string why = "invalid JSON";
    try {
      nlohmann::json parsed = nlohmann::json::parse(req.body);
    } catch (const nlohmann::json::parse_error& e) {
      why = e.what();
    }
    return respond(Fail(*call, InvalidArgument("Could not parse request body into json: {}", why)));
  }

  InvokeRequest ir;
  ir.function = *name;
  call->tail = log_type == "Tail" && call->type == InvocationType::kRequestResponse;
  ir.tail_log = call->tail;
  if (call->type == InvocationType::kEvent || call->type == InvocationType::kDryRun) {
    // Validate function and payload first (404/413 before 202, as Lambda does).
    InvokeRequest check;
    check.function = *name;
    check.payload = req.body;
    check.type = InvocationType::kDryRun;
    InvokeResult r = invoker_->Invoke(std::move(check)).get();
    if (!r.status.ok()) return respond(Fail(*call, r.status));
    call->label_function = *name;
    if (call->type == InvocationType::kDryRun) {
      HttpResponse ok;
      ok.status = 204;
      ok.headers.Set("X-Amz-Request-Id", call->request_id);
      ok.headers.Set("x-amzn-RequestId", call->request_id);
      return respond(Finish(*call, std::move(ok), ""));
    }
    // The dry run checked the synchronous limit; an event has the profile's asynchronous one.
    Result<int64_t> limit = AsyncPayloadLimit(*name);
    if (!limit.ok()) return respond(Fail(*call, limit.status()));
    if (*limit > 0 && static_cast<int64_t>(req.body.size()) > *limit) {
      return respond(Fail(*call, OutOfRange("{} byte payload is too large for the Event "
                                            "invocation type (limit {} bytes)",
                                            req.body.size(), *limit)));
    }
    ir.payload = std::move(req.body);
    Status queued = events_->Enqueue(std::move(ir), call->request_id);
    if (!queued.ok()) return respond(Fail(*call, queued));
    HttpResponse accepted;
    accepted.status = 202;
    accepted.headers.Set("X-Amz-Request-Id", call->request_id);
    accepted.headers.Set("x-amzn-RequestId", call->request_id);
    return respond(Finish(*call, std::move(accepted), ""));
  }

  // Synchronous: answered from the invocation's completion, on the waiter's thread, so that no
  // HTTP server thread waits for the function.
  if (!waiter_->TryReserve()) {
    return respond(Fail(*call, ResourceExhausted(
        "Rate Exceeded: {} synchronous invocations already waiting at this front",
        waiter_->waiting())));
  }
  ir.payload = std::move(req.body);
  ir.type = InvocationType::kRequestResponse;
  std::future<InvokeResult> future;
  try {
    future = invoker_->Invoke(std::move(ir));
  } catch (const std::exception& e) {  // the platform's fault: 500
    waiter_->Unreserve();
    return respond(Fail(*call, Internal("invoke '{}': {}", *name, e.what())));
  }
  if (future.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    waiter_->Unreserve();  // answered at once (refused, or an in-process invoker): no hand-off
    InvokeResult r;
    try {
      r = future.get();
    } catch (const std::exception& e) {
      r.status = Internal("invoke '{}': {}", *name, e.what());
    }
    return respond(Complete(*call, std::move(r)));
  }
  waiter_->Wait(std::move(future), [this, call, respond = std::move(respond)](InvokeResult r) {
    respond(Complete(*call, std::move(r)));
  });
}

HttpResponse LambdaFront::ListFunctions() {
  if (!options_.list_functions) {
    return LambdaErrorResponse(NotFound("ListFunctions: this front has no function catalogue"),
                               NewRequestId(), "UnknownOperationException");
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : options_.list_functions()) {
    list.push_back(FunctionConfigurationJson(f, options_.region, options_.account_id));
  }
  nlohmann::json body = {{"Functions", std::move(list)}};
  HttpResponse r = HttpResponse::Json(200, Dump(body));
  std::string id = NewRequestId();
  r.headers.Set("x-amzn-RequestId", id);
  return r;
}

HttpResponse LambdaFront::GetFunction(std::string_view raw_name, bool configuration_only) {
  std::string id = NewRequestId();
  if (!options_.list_functions) {
    return LambdaErrorResponse(NotFound("GetFunction: this front has no function catalogue"), id,
                               "UnknownOperationException");
  }
  Result<std::string> name = ParseFunctionName(raw_name, {});
  if (!name.ok()) return LambdaErrorResponse(name.status(), id);
  for (const auto& f : options_.list_functions()) {
    if (f.name != *name) continue;
    nlohmann::json config = FunctionConfigurationJson(f, options_.region, options_.account_id);
    nlohmann::json body = configuration_only ? config : nlohmann::json{{"Configuration", config}};
    HttpResponse r = HttpResponse::Json(200, Dump(body));
    r.headers.Set("x-amzn-RequestId", id);
    return r;
  }
  return LambdaErrorResponse(
      NotFound("Function not found: arn:aws:lambda:{}:{}:function:{}", options_.region,
               options_.account_id, *name),
      id);
}

HttpResponse LambdaFront::CreateFunction(const HttpRequest& req) {
  std::string id = NewRequestId();
  if (!options_.create_function) {
    return LambdaErrorResponse(NotFound("CreateFunction: this front cannot create functions"), id,
                               "UnknownOperationException");
  }
  Result<CreateFunctionRequest> parsed = ParseCreateFunctionRequest(req.body);
  if (!parsed.ok()) {
    return LambdaErrorResponse(parsed.status(), id, "InvalidParameterValueException");
  }
  Result<FunctionSummary> created = options_.create_function(*parsed);
  if (!created.ok()) {
    const Status& st = created.status();
    return LambdaErrorResponse(
        st, id, st.code() == Code::kInvalidArgument ? "InvalidParameterValueException" : "");
  }
  SL_LOG_INFO("front", "CreateFunction {} (handler {}) from {}", created->name, created->handler,
              req.remote_address);
  HttpResponse r = HttpResponse::Json(
      201, Dump(FunctionConfigurationJson(*created, options_.region, options_.account_id)));
  r.headers.Set("x-amzn-RequestId", id);
  return r;
}

HttpResponse LambdaFront::DeleteFunction(std::string_view raw_name) {
  std::string id = NewRequestId();
  if (!options_.delete_function) {
    return LambdaErrorResponse(NotFound("DeleteFunction: this front cannot delete functions"), id,
                               "UnknownOperationException");
  }
  Result<std::string> name = ParseFunctionName(raw_name, {});
  if (!name.ok()) return LambdaErrorResponse(name.status(), id);
  if (Status st = options_.delete_function(*name); !st.ok()) return LambdaErrorResponse(st, id);
  HttpResponse r;
  r.status = 204;
  r.headers.Set("x-amzn-RequestId", id);
  return r;
}

HttpResponse LambdaFront::MetricsPage() {
  HttpResponse r;
  r.status = 200;
  r.headers.Set("Content-Type", std::string(kPrometheusContentType));
  r.body = registry_->Render();
  return r;
}

}  // namespace sl::faas

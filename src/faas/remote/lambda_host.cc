#include "faas/remote/lambda_host.h"

#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/log.h"
#include "common/sha256.h"
#include "faas/remote/lambda_wire.h"
#include "faas/remote/platform_report.h"

namespace sl::faas {
namespace {

constexpr std::string_view kApi = "/2015-03-31/functions";
constexpr double kDefaultFunctionTimeoutS = 900;  // Lambda's maximum: an unknown function may use it

double MsSince(Clock* clock, TimePoint t0) {
  return std::chrono::duration<double, std::milli>(clock->Now() - t0).count();
}

std::string_view TypeHeader(InvocationType t) {
  switch (t) {
    case InvocationType::kRequestResponse: return "RequestResponse";
    case InvocationType::kEvent: return "Event";
    case InvocationType::kDryRun: return "DryRun";
  }
  return "RequestResponse";
}

struct Endpoint {
  std::string base;  // "http://127.0.0.1:9000"
  std::string host;  // "127.0.0.1:9000"
};

Result<Endpoint> ParseEndpoint(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  size_t scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return InvalidArgument("lambda endpoint '{}' must be http://host[:port] or https://host[:port]", url);
  }
  std::string host = url.substr(scheme_end + 3);
  if (host.empty() || host.find('/') != std::string::npos) {
    return InvalidArgument("lambda endpoint '{}' must be a scheme and host[:port] without a path", url);
  }
  return Endpoint{url, host};
}

std::string RequestIdOf(const HttpResponse& r) {
  std::string id = HeaderValue(r, "x-amzn-RequestId");
  if (id.empty()) id = HeaderValue(r, "X-Amz-Request-Id");
  return id;
}

// A GetFunction / GetFunctionConfiguration body → description + State.
struct RemoteConfig {
  FunctionDescription description;
  std::string state;         // "Active", "Pending", "Failed", ... ("" when not reported)
  std::string state_reason;
};

RemoteConfig ParseConfiguration(const nlohmann::json& c, const std::string& provider,
                                const std::string& source) {
  RemoteConfig rc;
  FunctionDescription& d = rc.description;
  d.host = "lambda";
  d.has_live_state = false;
  d.spec.provider = provider;
  d.spec.source = source;
  auto str = [&](const char* k) {
    auto it = c.find(k);
    return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  d.spec.name = str("FunctionName");
  d.spec.handler = str("Handler");
  if (d.spec.handler.empty()) {  // image functions: the handler is the image's command
    auto ic = c.find("ImageConfigResponse");
    if (ic != c.end() && ic->is_object()) {
      auto cfg = ic->find("ImageConfig");
      if (cfg != ic->end() && cfg->is_object()) {
        auto cmd = cfg->find("Command");
        if (cmd != cfg->end() && cmd->is_array() && !cmd->empty() && (*cmd)[0].is_string()) {
          d.spec.handler = (*cmd)[0].get<std::string>();
        }
      }
    }
  }
  if (auto it = c.find("MemorySize"); it != c.end() && it->is_number()) d.spec.memory_mb = it->get<int64_t>();
  if (auto it = c.find("Timeout"); it != c.end() && it->is_number()) d.spec.timeout_s = it->get<double>();
  if (auto env = c.find("Environment"); env != c.end() && env->is_object()) {
    if (auto vars = env->find("Variables"); vars != env->end() && vars->is_object()) {
      for (auto& [k, v] : vars->items()) {
        if (v.is_string()) d.spec.environment[k] = v.get<std::string>();
      }
    }
  }
  d.spec.kind = str("Runtime") == "provided.al2023" || str("Runtime") == "provided.al2" ||
                        str("Runtime") == "provided"
                    ? HandlerKind::kBootstrap
                    : HandlerKind::kBuiltin;
  rc.state = str("State");
  rc.state_reason = str("StateReason");
  return rc;
}

bool UnsupportedOperation(const LambdaApiError& e) {
  return e.http_status == 405 || e.http_status == 501 ||
         (e.http_status == 404 && e.type == "UnknownOperationException");
}

}  // namespace

std::string LambdaFunctionPath(std::string_view name, std::string_view suffix) {
  return fmt::format("{}/{}{}", kApi, AwsUriEncode(name, /*keep_slash=*/false), suffix);
}

std::string SignLambdaRequest(std::string_view method, const std::string& sent_path,
                              const std::string& body, std::map<std::string, std::string>* headers,
                              const AwsCredentials& creds, const std::string& region,
                              WallTime now) {
  SigV4Request r;
  r.method = std::string(method);
  // Non-S3 services double-encode: the canonical URI encodes the path as sent once more.
  r.encoded_path = sent_path;
  r.uri_escape_path = true;
  r.headers = *headers;
  r.payload_sha256 = Sha256Hex(body);
  std::string auth = SignV4(r, creds, region, "lambda", now);
  *headers = std::move(r.headers);
  return auth;
}

Result<std::unique_ptr<LambdaHost>> LambdaHost::Create(LambdaHostOptions options) {
  EnvLookup env = options.env ? options.env : ProcessEnv();
  std::string region = options.region;
  if (region.empty()) {
    auto r = ResolveAwsRegion(env);
    if (!r.ok()) return r.status().WithContext("lambda host: region");
    region = *r;
  }
  if (region.empty()) region = "us-east-1";
  bool real_aws = options.endpoint_url.empty();
  std::string url = real_aws ? fmt::format("https://lambda.{}.amazonaws.com", region) : options.endpoint_url;
  SL_ASSIGN_OR_RETURN(Endpoint ep, ParseEndpoint(url));
  AwsCredentials creds;
  std::string source;
  if (options.credentials) {
    creds = *options.credentials;
    source = "options";
    if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
      return InvalidArgument("lambda host: credentials given without an access key id or secret");
    }
  } else {
    auto c = ResolveAwsCredentials(env);
    if (!c.ok()) return c.status().WithContext(fmt::format("lambda host for {}", ep.base));
    creds = c->credentials;
    source = c->source;
  }
  if (options.image_uri.empty() != options.role_arn.empty()) {
    return InvalidArgument("lambda host: image URI and role ARN go together (CreateFunction of a "
                           "container image needs both); got only the {}",
                           options.image_uri.empty() ? "role ARN" : "image URI");
  }
  if (options.max_concurrency < 1) {
    return InvalidArgument("lambda host: max_concurrency must be >= 1, got {}", options.max_concurrency);
  }
  SL_ASSIGN_OR_RETURN(auto accounting, RemoteAccounting::Open("lambda", options.provider, options.ledger_path));
  return std::unique_ptr<LambdaHost>(new LambdaHost(std::move(options), std::move(region), ep.base, ep.host,
                                                    std::move(creds), std::move(source), std::move(accounting)));
}

LambdaHost::LambdaHost(LambdaHostOptions options, std::string region, std::string endpoint, std::string host,
                       AwsCredentials creds, std::string creds_source,
                       std::unique_ptr<RemoteAccounting> accounting)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()),
      region_(std::move(region)),
      endpoint_(std::move(endpoint)),
      host_(std::move(host)),
      creds_(std::move(creds)),
      credentials_source_(std::move(creds_source)),
      real_aws_(options_.endpoint_url.empty()),
      accounting_(std::move(accounting)),
      backoff_(options_.retry) {
  HttpClient::Options co;
  co.connect_timeout_ms = options_.connect_timeout_ms;
  co.timeout_ms = options_.control_timeout_ms;
  control_ = std::make_unique<HttpClient>(co);
  pool_ = std::make_unique<ClientPool>(options_.max_concurrency, co);
}

LambdaHost::~LambdaHost() {
  stopping_ = true;  // running invocations stop retrying; queued ones are cancelled
  pool_.reset();
}

std::string LambdaHost::CredentialHint() const {
  return fmt::format("access key id {} from {}, region {}", creds_.access_key_id, credentials_source_, region_);
}

LambdaHost::Known LambdaHost::KnownOf(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = known_.find(name);
  return it == known_.end() ? Known{} : it->second;
}

void LambdaHost::Remember(const std::string& name, int64_t memory_mb, double timeout_s) const {
  std::lock_guard<std::mutex> lock(mu_);
  known_[name] = Known{memory_mb, timeout_s};
}

Result<HttpResponse> LambdaHost::Send(HttpClient& client, std::string_view method, const std::string& path,
                                      const std::string& body, HttpHeaders extra, int64_t timeout_ms) const {
  std::map<std::string, std::string> signed_headers;
  signed_headers["host"] = host_;
  for (auto& [k, v] : extra.items) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    signed_headers[lower] = v;
  }
  std::string auth = SignLambdaRequest(method, path, body, &signed_headers, creds_, region_, clock_->WallNow());
  HttpHeaders headers;
  for (auto& [k, v] : signed_headers) headers.items.emplace_back(k, v);
  headers.items.emplace_back("authorization", auth);
  return client.Send(method, endpoint_ + path, body, headers, timeout_ms);
}

// Control-plane calls (idempotent or safely repeatable: a repeated CreateFunction gets 409),
// retried on throttling, 5xx and connection failures.
Result<HttpResponse> LambdaHost::Control(std::string_view method, const std::string& path,
                                         const std::string& body) const {
  HttpHeaders extra;
  if (!body.empty()) extra.Set("content-type", "application/json");
  for (int attempt = 0;; ++attempt) {
    Result<HttpResponse> r = [&] {
      std::lock_guard<std::mutex> lock(control_mu_);
      return Send(*control_, method, path, body, extra, options_.control_timeout_ms);
    }();
    bool transient = false;
    std::optional<Nanos> retry_after;
    if (!r.ok()) {
      transient = r.status().code() == Code::kUnavailable;
    } else if (r->status == 429 || r->status >= 500) {
      transient = true;
      retry_after = DecodeLambdaApiError(*r).retry_after;
    }
    if (!transient || attempt + 1 >= options_.retry.max_attempts) {
      if (!r.ok()) return r.status().WithContext(fmt::format("lambda: {} {}{}", method, endpoint_, path));
      return r;
    }
    clock_->SleepFor(backoff_.Wait(attempt, retry_after));
  }
}

std::future<InvokeResult> LambdaHost::Invoke(InvokeRequest request) { return Submit(std::move(request), false); }

std::vector<std::future<InvokeResult>> LambdaHost::Map(const std::string& function,
                                                       const std::vector<std::string>& payloads) {
  return MapEach(function, payloads, [this](InvokeRequest r) { return Submit(std::move(r), true); });
}

std::future<InvokeResult> LambdaHost::Submit(InvokeRequest request, bool in_map) {
  auto promise = std::make_shared<std::promise<InvokeResult>>();
  std::future<InvokeResult> f = promise->get_future();
  TimePoint submitted = clock_->Now();
  auto req = std::make_shared<InvokeRequest>(std::move(request));
  std::string endpoint = endpoint_;
  pool_->Submit(
      [this, promise, req, in_map, submitted](HttpClient& client) {
        InvokeResult r;
        try {
          r = RunInvoke(client, *req, in_map, submitted);
        } catch (const std::exception& e) {
          r = NotRunResult(Internal("lambda: invoke '{}' at {}: {}", req->function, endpoint_, e.what()), "",
                           BillingSource::kMeasuredByCaller);
        }
        promise->set_value(std::move(r));
      },
      [promise, req, endpoint] {
        promise->set_value(NotRunResult(
            Unavailable("lambda: invoke '{}' at {}: the host is shutting down", req->function, endpoint), "",
            BillingSource::kMeasuredByCaller));
      });
  return f;
}

InvokeResult LambdaHost::RunInvoke(HttpClient& client, const InvokeRequest& request, bool in_map,
                                   TimePoint submitted) {
  const WallTime start = clock_->WallNow();
  const std::string what = fmt::format("lambda: invoke '{}' at {}", request.function, endpoint_);
  const bool sync = request.type == InvocationType::kRequestResponse;
  const Known known = KnownOf(request.function);
  int64_t timeout_ms = options_.read_timeout_ms;
  if (timeout_ms <= 0) {
    double fn_timeout_s = known.timeout_s > 0 ? known.timeout_s : kDefaultFunctionTimeoutS;
    timeout_ms = static_cast<int64_t>(std::ceil(fn_timeout_s * 1000)) + options_.read_timeout_margin_ms;
  }
  HttpHeaders extra;
  extra.Set("x-amz-invocation-type", std::string(TypeHeader(request.type)));
  if (sync) extra.Set("x-amz-log-type", "Tail");
  extra.Set("content-type", "application/json");
  const std::string path = LambdaFunctionPath(request.function, "/invocations");

  InvokeResult out;
  out.billing = BillingSource::kMeasuredByCaller;
  for (int attempt = 0;; ++attempt) {
    const TimePoint t0 = clock_->Now();
    auto resp = Send(client, "POST", path, request.payload, extra, timeout_ms);
    const double rtt_ms = MsSince(clock_, t0);
    ClassifiedError err;
    std::optional<Nanos> retry_after;
    if (!resp.ok()) {
      const Status& s = resp.status();
      if (s.code() == Code::kDeadlineExceeded) {
        err.status = DeadlineExceeded(
            "{}: no response within {} ms (client-side timeout; the invocation may still be running "
            "on the platform, so it is not retried): {}",
            what, timeout_ms, s.message());
      } else if (s.code() == Code::kInvalidArgument) {
        err.status = s.WithContext(what);
      } else {
        // Refused, reset, or not HTTP: the platform may or may not have started the function.
        err.status = Unavailable("{}: {}", what, s.message());
        err.retry = RetryClass::kMaybeExecuted;
      }
    } else if (resp->status >= 200 && resp->status < 300) {
      out.request_id = RequestIdOf(*resp);
      if (!sync) {  // Event (202) / DryRun (204): accepted or validated; nothing ran (yet) here
        out.duration_ms = 0;
        return out;
      }
      out.payload = std::move(resp->body);
      out.function_error = HeaderValue(*resp, "X-Amz-Function-Error");
      std::string error_type;
      if (!out.function_error.empty()) error_type = FunctionErrorType(out.payload);
      out.outcome = ClassifyLambdaError(out.function_error, error_type);
      std::string log;
      if (std::string b64 = HeaderValue(*resp, "X-Amz-Log-Result"); !b64.empty()) {
        auto decoded = Base64Decode(b64);
        if (decoded.ok()) {
          log = std::move(decoded).value();
        } else {
          SL_LOG_WARN("faas", "{}: X-Amz-Log-Result is not base64: {}", what, decoded.status().message());
        }
      }
      auto report = ParsePlatformReport(log);
      if (request.tail_log) out.log_tail = log;
      int64_t memory = report && report->memory_mb ? *report->memory_mb : known.memory_mb;
      accounting_->Bill(&out, report, rtt_ms, memory);
      accounting_->Record(request, out, memory, start, error_type);
      return out;
    } else {
      LambdaApiError api = DecodeLambdaApiError(*resp);
      retry_after = api.retry_after;
      err = ClassifyLambdaApiError(api, what, CredentialHint());
      out.request_id = RequestIdOf(*resp);
    }
    if (!stopping_.load() &&
        ShouldRetry(options_.retry, err.retry, attempt, err.throttled, in_map, clock_->Now() - submitted)) {
      SL_LOG_DEBUG("faas", "{}: attempt {} failed, retrying: {}", what, attempt + 1, err.status.ToString());
      clock_->SleepFor(backoff_.Wait(attempt, retry_after));
      continue;
    }
    out.status = FinalStatus(err.status, attempt);
    out.outcome = OutcomeOfStatus(out.status);
    out.payload.clear();
    if (sync) accounting_->Record(request, out, known.memory_mb, start, "");
    return out;
  }
}

Result<FunctionDescription> LambdaHost::GetFunction(const std::string& name, bool* unsupported,
                                                    std::string* state) const {
  *unsupported = false;
  SL_ASSIGN_OR_RETURN(HttpResponse r, Control("GET", LambdaFunctionPath(name, ""), ""));
  if (r.status == 200) {
    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
    nlohmann::json config = body.is_object() && body.contains("Configuration") ? body["Configuration"] : body;
    if (!config.is_object()) {
      return Internal("lambda: GetFunction '{}' at {}: response is not a JSON object: {}", name, endpoint_,
                      r.body.substr(0, 200));
    }
    RemoteConfig rc = ParseConfiguration(config, options_.provider, endpoint_);
    if (rc.description.spec.name.empty()) rc.description.spec.name = name;
    rc.description.vcpu = VcpuForMemory(accounting_->profile(), rc.description.spec.memory_mb);
    Remember(name, rc.description.spec.memory_mb, rc.description.spec.timeout_s);
    if (state != nullptr) *state = rc.state;
    if (rc.state == "Failed") {
      return FailedPrecondition("lambda: function '{}' at {} is in state Failed: {}", name, endpoint_,
                                rc.state_reason);
    }
    return rc.description;
  }
  LambdaApiError e = DecodeLambdaApiError(r);
  if (UnsupportedOperation(e)) *unsupported = true;
  return ClassifyLambdaApiError(e, fmt::format("lambda: GetFunction '{}' at {}", name, endpoint_), CredentialHint())
      .status;
}

Status LambdaHost::WaitActive(const std::string& name) {
  const TimePoint deadline = clock_->Now() + options_.deploy_wait;
  std::string last_state;
  for (int attempt = 0;; ++attempt) {
    auto r = Control("GET", LambdaFunctionPath(name, "/configuration"), "");
    if (r.ok() && r->status == 200) {
      nlohmann::json c = nlohmann::json::parse(r->body, nullptr, false);
      if (c.is_object()) {
        RemoteConfig rc = ParseConfiguration(c, options_.provider, endpoint_);
        last_state = rc.state;
        if (rc.state.empty() || rc.state == "Active") return Status::Ok();
        if (rc.state == "Failed") {
          return FailedPrecondition("lambda: function '{}' at {} failed to become active: {}", name, endpoint_,
                                    rc.state_reason);
        }
      }
    }
    if (clock_->Now() >= deadline) {
      return Unavailable("lambda: function '{}' at {} is still in state '{}' after {} s", name, endpoint_,
                         last_state, options_.deploy_wait.count());
    }
    clock_->SleepFor(std::min<Nanos>(backoff_.Wait(attempt), std::chrono::seconds(5)));
  }
}

Status LambdaHost::Deploy(const FunctionSpec& spec) {
  const ProviderProfile& profile = accounting_->profile();
  const int64_t want_memory = spec.memory_mb > 0 ? spec.memory_mb : profile.default_memory_mb;
  const double want_timeout = spec.timeout_s > 0 ? spec.timeout_s : profile.default_timeout_s;
  // What the provider would refuse is refused here, before any request.
  if (Status m = CheckMemorySize(profile, want_memory); !m.ok()) {
    return InvalidArgument("lambda: function '{}': memory: {}", spec.name, m.message());
  }
  if (!(want_timeout > 0) || (profile.max_timeout_s > 0 && want_timeout > profile.max_timeout_s)) {
    return InvalidArgument("lambda: function '{}': timeout {} s not in (0, {}] ({})", spec.name, want_timeout,
                           profile.max_timeout_s, profile.name);
  }
  bool unsupported = false;
  std::string state;
  auto existing = GetFunction(spec.name, &unsupported, &state);
  if (existing.ok()) {
    const FunctionSpec& have = existing->spec;
    if (have.memory_mb != want_memory || std::ceil(have.timeout_s) != std::ceil(want_timeout)) {
      SL_LOG_WARN("faas",
                  "lambda: function '{}' at {} exists with {} MB / {} s, the spec asks for {} MB / {} s; "
                  "using it as it is (update it on the platform to change it)",
                  spec.name, endpoint_, have.memory_mb, have.timeout_s, want_memory, want_timeout);
    }
    if (state == "Pending") return WaitActive(spec.name);  // created a moment ago by someone else
    return Status::Ok();
  }
  if (unsupported) {
    SL_LOG_WARN("faas",
                "lambda: {} does not answer GetFunction; assuming '{}' exists there (invocations will "
                "say NOT_FOUND if not)",
                endpoint_, spec.name);
    Remember(spec.name, want_memory, want_timeout);
    return Status::Ok();
  }
  if (existing.status().code() != Code::kNotFound) return existing.status();
  SL_RETURN_IF_ERROR(CreateFunction(spec));
  Remember(spec.name, want_memory, want_timeout);
  return Status::Ok();
}

Status LambdaHost::CreateFunction(const FunctionSpec& spec) {
  auto how = [&](std::string_view why) {
    return NotFound(
        "lambda: function '{}' does not exist at {} and was not created ({}). Deploy it first: on AWS "
        "Lambda, build the function image with `straightline package`, push it to ECR and give its image "
        "URI and an execution role ARN (--function-image / --function-role) so that it is created, or "
        "create it yourself (`aws lambda create-function --function-name {} --package-type Image --code "
        "ImageUri=... --role ...`); a `straightline platform serve` endpoint creates built-in handlers "
        "(here '{}') by itself, or declares them in its functions file",
        spec.name, endpoint_, why, spec.name, spec.handler);
  };
  if (real_aws_ && options_.image_uri.empty()) {
    return how("no function image was given, and AWS Lambda cannot run straightline's built-in handlers "
               "without one");
  }
  const ProviderProfile& profile = accounting_->profile();
  nlohmann::json body;
  body["FunctionName"] = spec.name;
  body["MemorySize"] = spec.memory_mb > 0 ? spec.memory_mb : profile.default_memory_mb;
  body["Timeout"] = static_cast<int64_t>(std::ceil(spec.timeout_s > 0 ? spec.timeout_s : profile.default_timeout_s));
  if (!spec.environment.empty()) body["Environment"] = {{"Variables", spec.environment}};
  if (!options_.image_uri.empty()) {
    // Lambda refuses Runtime and Handler for image functions; the handler is the image's command.
    body["PackageType"] = "Image";
    body["Code"] = {{"ImageUri", options_.image_uri}};
    body["Role"] = options_.role_arn;
    body["ImageConfig"] = {{"Command", {spec.handler}}};
  } else {
    body["Runtime"] = "provided.al2023";
    body["Handler"] = spec.handler;
  }
  SL_ASSIGN_OR_RETURN(HttpResponse r, Control("POST", std::string(kApi), body.dump()));
  if (r.status == 200 || r.status == 201) {
    SL_LOG_INFO("faas", "lambda: created function '{}' at {}", spec.name, endpoint_);
    nlohmann::json c = nlohmann::json::parse(r.body, nullptr, false);
    if (c.is_object() && c.value("State", "") == "Pending") return WaitActive(spec.name);
    return Status::Ok();
  }
  LambdaApiError e = DecodeLambdaApiError(r);
  if (r.status == 409) {  // created meanwhile by someone else (a second tier, a resumed run)
    return Status::Ok();
  }
  std::string reason = fmt::format("CreateFunction: HTTP {}{}{}", r.status, e.type.empty() ? "" : " " + e.type,
                                   e.message.empty() ? "" : ": " + e.message);
  if (r.status == 400 || r.status == 404 || r.status == 405 || r.status == 501) return how(reason);
  return ClassifyLambdaApiError(e, fmt::format("lambda: CreateFunction '{}' at {}", spec.name, endpoint_),
                                CredentialHint())
      .status;
}

Result<FunctionDescription> LambdaHost::Describe(const std::string& name) const {
  bool unsupported = false;
  auto d = GetFunction(name, &unsupported);
  if (!d.ok() && unsupported) {
    return Unimplemented("lambda: {} does not answer GetFunction, so '{}' cannot be described", endpoint_, name);
  }
  return d;
}

}  // namespace sl::faas

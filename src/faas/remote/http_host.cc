#include "faas/remote/http_host.h"

#include <cmath>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "faas/lambda_format.h"
#include "faas/remote/lambda_wire.h"

namespace sl::faas {
namespace {

double MsSince(Clock* clock, TimePoint t0) {
  return std::chrono::duration<double, std::milli>(clock->Now() - t0).count();
}

std::string Shorten(std::string_view s, size_t n = 200) {
  std::string out(s.substr(0, n));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (s.size() > n) out += "...";
  return out;
}

// {"errorMessage", "errorType"} when the body is such an object; nullopt otherwise.
std::optional<std::string> FunctionErrorJson(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto t = j.find("errorType");
  auto m = j.find("errorMessage");
  if ((t == j.end() || !t->is_string()) && (m == j.end() || !m->is_string())) return std::nullopt;
  return std::string(body);
}

std::string DescribeAuth(const HttpFunctionConfig& f) {
  const HttpAuth& a = f.auth;
  std::vector<std::string> parts;
  if (!a.bearer_token_file.empty()) parts.push_back("a bearer token from file " + a.bearer_token_file);
  if (!a.bearer_token_env.empty()) parts.push_back("a bearer token from $" + a.bearer_token_env);
  std::string where = a.function_key_in_query ? "?code=" : "x-functions-key";
  if (!a.function_key_file.empty()) parts.push_back(where + " from file " + a.function_key_file);
  if (!a.function_key_env.empty()) parts.push_back(where + " from $" + a.function_key_env);
  if (parts.empty()) return "no credential was sent (add auth: under the function in " + f.source + ")";
  return fmt::format("sent {}; check that it is current and grants invoke on this function",
                     fmt::join(parts, " and "));
}

}  // namespace

Result<std::unique_ptr<HttpHost>> HttpHost::Create(HttpHostOptions options) {
  if (options.max_concurrency < 1) {
    return InvalidArgument("http host: max_concurrency must be >= 1, got {}", options.max_concurrency);
  }
  std::unique_ptr<HttpHost> host(new HttpHost(std::move(options)));
  const HttpHostOptions& o = host->options_;
  auto accounting_for = [&](const std::string& profile) -> Result<const RemoteAccounting*> {
    auto it = host->accounting_.find(profile);
    if (it != host->accounting_.end()) return it->second.get();
    SL_ASSIGN_OR_RETURN(auto a, RemoteAccounting::Open("http", profile, o.ledger_path));
    const RemoteAccounting* raw = a.get();
    host->accounting_[profile] = std::move(a);
    return raw;
  };
  SL_RETURN_IF_ERROR(accounting_for(o.provider).status());
  for (const auto& f : o.functions) {
    if (f.name.empty()) return InvalidArgument("http host: a function without a name ({})", f.source);
    if (host->functions_.count(f.name)) {
      return InvalidArgument("http host: function '{}' declared twice ({})", f.name, f.source);
    }
    if (!f.url.empty() && !f.url.starts_with("http://") && !f.url.starts_with("https://")) {
      return InvalidArgument("{}: function '{}': url '{}' must start with http:// or https://", f.source, f.name,
                             f.url);
    }
    Fn fn;
    fn.config = f;
    // Resolve now: a missing variable or unreadable token file fails here, not mid-training.
    SL_ASSIGN_OR_RETURN(fn.env_credential, ResolveHttpCredential(f, host->env_));
    std::string profile = f.provider.empty() ? o.provider : f.provider;
    SL_ASSIGN_OR_RETURN(fn.accounting, accounting_for(profile));
    host->functions_[f.name] = std::move(fn);
  }
  return host;
}

HttpHost::HttpHost(HttpHostOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()),
      env_(options_.env ? options_.env : ProcessEnv()),
      backoff_(options_.retry) {
  HttpClient::Options co;
  co.connect_timeout_ms = options_.connect_timeout_ms;
  co.timeout_ms = options_.read_timeout_ms;
  pool_ = std::make_unique<ClientPool>(options_.max_concurrency, co);
}

HttpHost::~HttpHost() {
  stopping_ = true;  // running invocations stop retrying; queued ones are cancelled
  pool_.reset();
}

const HttpHost::Fn* HttpHost::Find(const std::string& name) const {
  auto it = functions_.find(name);
  if (it != functions_.end()) return &it->second;
  std::lock_guard<std::mutex> lock(mu_);
  auto alias = aliases_.find(name);
  if (alias == aliases_.end()) return nullptr;
  it = functions_.find(alias->second);
  return it == functions_.end() ? nullptr : &it->second;
}

Status HttpHost::Deploy(const FunctionSpec& spec) {
  const Fn* fn = Find(spec.name);
  if (fn == nullptr && !spec.handler.empty()) {
    // Callers that name their functions per job (the trainer's sl-train-<job>) find the one
    // trigger deployed for that handler: HTTP functions are deployed ahead, under the user's names.
    std::vector<const std::pair<const std::string, Fn>*> by_handler;
    for (const auto& entry : functions_) {
      if (entry.second.config.handler == spec.handler) by_handler.push_back(&entry);
    }
    if (by_handler.size() > 1) {
      return InvalidArgument("http: {} functions in {} have handler '{}'; cannot tell which serves '{}' (declare "
                             "'{}' itself)",
                             by_handler.size(), options_.config_source, spec.handler, spec.name, spec.name);
    }
    if (by_handler.size() == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      aliases_[spec.name] = by_handler[0]->first;
      fn = &by_handler[0]->second;
    }
  }
  if (fn == nullptr || fn->config.url.empty()) {
    return NotFound("http: function '{}' (handler '{}') has no URL: add `url: https://...` (the function's HTTP "
                    "trigger) under functions.{} in {}, or a function with `handler: {}`",
                    spec.name, spec.handler, spec.name, fn != nullptr ? fn->config.source : options_.config_source,
                    spec.handler);
  }
  if (fn->config.memory_mb == 0 && spec.memory_mb > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    deployed_memory_[spec.name] = spec.memory_mb;
  }
  return Status::Ok();
}

Result<FunctionDescription> HttpHost::Describe(const std::string& name) const {
  const Fn* fn = Find(name);
  if (fn == nullptr) return NotFound("http: no function '{}' in {}", name, options_.config_source);
  FunctionDescription d;
  d.host = "http";
  d.has_live_state = false;
  d.spec.name = name;
  d.spec.handler = fn->config.handler;
  d.spec.provider = fn->accounting->profile().name;
  d.spec.memory_mb = fn->config.memory_mb;
  if (d.spec.memory_mb == 0) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = deployed_memory_.find(name);
    d.spec.memory_mb = it != deployed_memory_.end() ? it->second : fn->accounting->profile().default_memory_mb;
  }
  d.spec.timeout_s = fn->config.timeout_s;
  d.spec.source = fn->config.source;
  d.vcpu = VcpuForMemory(fn->accounting->profile(), d.spec.memory_mb);
  return d;
}

std::future<InvokeResult> HttpHost::Invoke(InvokeRequest request) { return Submit(std::move(request), false); }

std::vector<std::future<InvokeResult>> HttpHost::Map(const std::string& function,
                                                     const std::vector<std::string>& payloads) {
  return MapEach(function, payloads, [this](InvokeRequest r) { return Submit(std::move(r), true); });
}

std::future<InvokeResult> HttpHost::Submit(InvokeRequest request, bool in_map) {
  auto promise = std::make_shared<std::promise<InvokeResult>>();
  std::future<InvokeResult> f = promise->get_future();
  auto fail_now = [&](Status s) {
    promise->set_value(NotRunResult(std::move(s), "", BillingSource::kMeasuredByCaller));
    return std::move(f);
  };
  const Fn* fn = Find(request.function);
  if (fn == nullptr || fn->config.url.empty()) {
    return fail_now(NotFound("http: invoke '{}': no URL configured for it in {}", request.function,
                             fn != nullptr ? fn->config.source : options_.config_source));
  }
  if (request.type == InvocationType::kEvent) {
    return fail_now(InvalidArgument("http: invoke '{}': HTTP triggers have no asynchronous (Event) invocation; "
                                    "use RequestResponse",
                                    request.function));
  }
  if (request.type == InvocationType::kDryRun) {
    InvokeResult r;
    r.billing = BillingSource::kMeasuredByCaller;
    promise->set_value(std::move(r));
    return f;
  }
  TimePoint submitted = clock_->Now();
  auto req = std::make_shared<InvokeRequest>(std::move(request));
  pool_->Submit(
      [this, promise, req, in_map, submitted](HttpClient& client) {
        InvokeResult r;
        try {
          r = RunInvoke(client, *req, in_map, submitted);
        } catch (const std::exception& e) {
          r = NotRunResult(Internal("http: invoke '{}': {}", req->function, e.what()), "",
                           BillingSource::kMeasuredByCaller);
        }
        promise->set_value(std::move(r));
      },
      [promise, req] {
        promise->set_value(NotRunResult(Unavailable("http: invoke '{}': the host is shutting down", req->function),
                                        "", BillingSource::kMeasuredByCaller));
      });
  return f;
}

InvokeResult HttpHost::RunInvoke(HttpClient& client, const InvokeRequest& request, bool in_map,
                                 TimePoint submitted) {
  const Fn& fn = *Find(request.function);
  const HttpFunctionConfig& cfg = fn.config;
  const WallTime start = clock_->WallNow();
  const std::string what = fmt::format("http: invoke '{}' at {}", request.function, cfg.url);
  int64_t memory = cfg.memory_mb;
  if (memory == 0) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = deployed_memory_.find(request.function);
    if (it != deployed_memory_.end()) memory = it->second;
  }
  const int64_t timeout_ms =
      cfg.timeout_s > 0 ? static_cast<int64_t>(std::ceil(cfg.timeout_s * 1000)) + options_.read_timeout_margin_ms
                        : options_.read_timeout_ms;

  InvokeResult out;
  out.billing = BillingSource::kMeasuredByCaller;
  out.request_id = RandomRequestId();
  for (int attempt = 0;; ++attempt) {
    // Credentials from files are re-read per attempt (rotated tokens); from variables, fixed.
    HttpCredential cred = fn.env_credential;
    if (!cfg.auth.bearer_token_file.empty() || !cfg.auth.function_key_file.empty()) {
      auto c = ResolveHttpCredential(cfg, env_);
      if (!c.ok()) {
        out.status = c.status();
        out.outcome = OutcomeOfStatus(out.status);
        return out;
      }
      cred = std::move(c).value();
    }
    HttpHeaders headers;
    headers.Set("Content-Type", "application/json");
    headers.Set("X-Request-Id", out.request_id);
    for (const auto& [k, v] : cfg.headers) headers.Set(k, v);
    for (const auto& [k, v] : cred.headers) headers.Set(k, v);
    std::string url = cfg.url;
    if (!cred.query.empty()) url += (url.find('?') == std::string::npos ? "?" : "&") + cred.query;

    const TimePoint t0 = clock_->Now();
    auto resp = client.Send("POST", url, request.payload, headers, timeout_ms);
    const double rtt_ms = MsSince(clock_, t0);
    ClassifiedError err;
    std::optional<Nanos> retry_after;
    std::optional<std::string> function_error;  // error JSON when the function failed
    if (!resp.ok()) {
      const Status& s = resp.status();
      if (s.code() == Code::kDeadlineExceeded) {
        err.status = DeadlineExceeded("{}: no response within {} ms (client-side timeout; not retried)", what,
                                      timeout_ms);
      } else if (s.code() == Code::kInvalidArgument) {
        err.status = InvalidArgument("{}: {}", what, s.message());
      } else {
        err.status = Unavailable("{}: {}", what, s.message());
        err.retry = RetryClass::kMaybeExecuted;
      }
    } else {
      const int st = resp->status;
      std::string body_excerpt = Shorten(resp->body);
      retry_after = ParseRetryAfter(resp->headers.Get("Retry-After"));
      if (std::string rid(resp->headers.Get("X-Request-Id")); !rid.empty()) out.request_id = rid;
      if (st >= 200 && st < 300) {
        std::string fe(resp->headers.Get("X-Amz-Function-Error"));
        out.payload = std::move(resp->body);
        if (!fe.empty()) {
          out.function_error = fe;
        }
      } else if (st >= 500 && (function_error = FunctionErrorJson(resp->body))) {
        out.function_error = "Unhandled";
        out.payload = *function_error;
      } else if (st == 504) {
        out.function_error = "Unhandled";
        out.payload = ErrorJson(fmt::format("HTTP 504 from {}: the function did not answer within the trigger's "
                                            "timeout: {}",
                                            cfg.url, body_excerpt),
                                "Sandbox.Timedout");
      } else if (st == 500) {
        out.function_error = "Unhandled";
        out.payload = ErrorJson(fmt::format("HTTP 500 from {}: {}", cfg.url, body_excerpt), "Function.HttpError500");
      } else if (st == 502) {
        out.function_error = "Unhandled";
        out.payload = ErrorJson(fmt::format("HTTP 502 from {}: the instance dropped the request: {}", cfg.url,
                                            body_excerpt),
                                "Runtime.ExitError");
      } else {
        std::string detail = fmt::format("HTTP {}{}", st, body_excerpt.empty() ? "" : ": " + body_excerpt);
        if (st == 429) {
          err.status = ResourceExhausted("{}: throttled ({})", what, detail);
          err.retry = RetryClass::kNotExecuted;
          err.throttled = true;
        } else if (st >= 500) {
          err.status = Unavailable("{}: {}", what, detail);
          err.retry = RetryClass::kMaybeExecuted;
        } else if (st == 401 || st == 403) {
          err.status = PermissionDenied("{}: refused ({}); {}", what, detail, DescribeAuth(cfg));
        } else if (st == 404) {
          err.status = NotFound("{}: no function at this URL ({}); check functions.{}.url in {}", what, detail,
                                request.function, cfg.source);
        } else if (st == 413) {
          err.status = OutOfRange("{}: payload too large ({})", what, detail);
        } else if (st == 408) {
          err.status = DeadlineExceeded("{}: {}", what, detail);
        } else {
          err.status = InvalidArgument("{}: {}", what, detail);
        }
      }
      if (err.status.ok()) {  // the function ran: success or function error
        std::string error_type = out.function_error.empty() ? "" : FunctionErrorType(out.payload);
        out.outcome = ClassifyLambdaError(out.function_error, error_type);
        fn.accounting->Bill(&out, std::nullopt, rtt_ms, memory);
        fn.accounting->Record(request, out, memory, start, error_type);
        return out;
      }
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
    fn.accounting->Record(request, out, memory, start, "");
    return out;
  }
}

}  // namespace sl::faas

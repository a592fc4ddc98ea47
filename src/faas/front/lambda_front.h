// LambdaFront: the AWS Lambda Invoke API over HTTP (what `aws lambda invoke --endpoint-url`
// talks to), serving any Invoker — the local Platform in `straightline platform serve`, a
// scripted invoker in tests.
//
//   POST   /2015-03-31/functions/{name}/invocations     Invoke
//          X-Amz-Invocation-Type: RequestResponse (200 + payload) | Event (202, EventQueue) |
//                                 DryRun (204);  X-Amz-Log-Type: Tail → X-Amz-Log-Result
//          {name}: "fn", "fn:$LATEST", "123456789012:function:fn", "arn:aws:lambda:…:function:fn"
//          (only $LATEST exists: any other qualifier is ResourceNotFoundException)
//   GET    /2015-03-31/functions/                       ListFunctions   (needs list_functions)
//   GET    /2015-03-31/functions/{name}[/configuration] GetFunction[Configuration]
//   POST   /2015-03-31/functions                        CreateFunction  (needs create_function)
//   DELETE /2015-03-31/functions/{name}                 DeleteFunction  (needs delete_function)
//   GET    /metrics                                     Prometheus text (the whole registry)
//   GET    /healthz                                     "ok"
// Function errors answer 200 with X-Amz-Function-Error and the error JSON as payload; platform
// errors answer Lambda's error responses (lambda_errors.h, the one Status → HTTP mapping).
// A non-empty payload must be JSON (else 400 InvalidRequestContentException, as on Lambda).
// Every response carries X-Amz-Request-Id and x-amzn-RequestId.
//
// Authentication: with FrontOptions::auth set, every request except /healthz (and /metrics when
// metrics_open) must carry a valid SigV4 signature for service "lambda" by one of the verifier's
// keys; otherwise it is answered 403 with Lambda's error type (lambda_errors.h) before routing,
// so an unauthenticated caller learns nothing about which functions or paths exist. Without
// auth every request is accepted (the library default, for in-process tests and benchmarks;
// `platform serve` refuses to run that way unless told `--auth none`).
//
// Resource bounds (issue 16):
//   * An Event invocation's payload is checked against the function's provider profile's
//     asynchronous limit (limits.max_async_request_bytes: 1 MiB on aws-lambda since Oct 2025,
//     256 KiB before), not the synchronous one: over it, 413 RequestEntityTooLargeException.
//     FrontOptions::async_payload_limit decides; by default, when the invoker is a FunctionHost
//     (the Platform), from Describe(function).spec.provider's profile (loaded once per
//     provider), else kDefaultAsyncPayloadBytes.
//   * The Event queue is bounded in payload bytes as well as events (EventQueue::Options::
//     max_bytes): over either, 429 TooManyRequestsException + Retry-After, as Lambda throttles.
//   * The HTTP server's own bounds (common/http_server.h) apply: timeouts, connection cap,
//     request body bytes in flight.
// Threading: a synchronous invocation does not hold an HTTP server thread while the function
// runs: the front starts it and answers from its completion on a FutureWaiter thread
// (future_waiter.h), so /healthz and /metrics stay fast with any number of slow invocations in
// flight. At most FrontOptions::max_sync_waiting are waited for at once; more get 429
// TooManyRequestsException before they start. An invoker whose future is ready at once (a
// refusal, the ScriptedInvoker) is answered inline.
// Ownership: the invoker is not owned and must outlive the front; the verifier is shared.
// Thread safety: Start/Stop from one owner thread; the callbacks are called from HTTP threads,
// several at once. Stop() stops the event queue (queued events are dropped and reported) and
// waits for in-flight requests, so stop or unblock the invoker's long operations first if they
// can hang.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_server.h"
#include "common/metrics.h"
#include "common/sigv4_verifier.h"
#include "common/status.h"
#include "faas/front/create_function.h"
#include "faas/front/event_queue.h"
#include "faas/front/function_configuration.h"
#include "faas/front/future_waiter.h"
#include "faas/invoker.h"

namespace sl::faas {

class FunctionHost;

struct FrontOptions {
  FrontOptions() { http.threads = 32; }
  HttpServer::Options http;
  std::string region = "us-east-1";          // for ARNs in ListFunctions
  std::string account_id = "000000000000";
  EventQueue::Options events;                // events.metrics defaults to `metrics`
  MetricsRegistry* metrics = nullptr;        // null: MetricsRegistry::Default()
  // The function catalogue; null: ListFunctions/GetFunction are unknown operations.
  std::function<std::vector<FunctionSummary>()> list_functions;
  // Registers a validated CreateFunction request and returns what was registered; null:
  // CreateFunction is an unknown operation. Errors: ALREADY_EXISTS (→ 409
  // ResourceConflictException), INVALID_ARGUMENT (→ 400 InvalidParameterValueException, e.g. a
  // handler that is not built in), others as in lambda_errors.h.
  std::function<Result<FunctionSummary>(const CreateFunctionRequest&)> create_function;
  // Removes a function; NOT_FOUND if there is none. null: DeleteFunction is an unknown operation.
  std::function<Status(const std::string& name)> delete_function;
  // SigV4 verification of requests (see above); null: no authentication.
  std::shared_ptr<const SigV4Verifier> auth;
  // With auth: true leaves GET /metrics open (for a Prometheus scraper that cannot sign).
  bool metrics_open = false;
  // The asynchronous payload limit of a function (bytes; <= 0: none). Null: see the top.
  std::function<Result<int64_t>(const std::string& function)> async_payload_limit;
  // Synchronous invocations waited for at once (each holds a waiter thread, not an HTTP one).
  size_t max_sync_waiting = 1024;
  // Wraps the front's handler before the server starts; null: none. `platform serve` puts its
  // live dashboard in front (dashboard/dashboard_http.h: /dashboard only), which authenticates
  // its own requests since a browser cannot sign SigV4; every other request reaches the front
  // and its authentication unchanged.
  std::function<HttpHandler(HttpHandler front)> wrap_handler;
};

// The asynchronous payload limit used when the invoker cannot say (aws-lambda's profile value).
inline constexpr int64_t kDefaultAsyncPayloadBytes = 1 << 20;

// The function an Invoke path names. NOT_FOUND for a qualifier other than $LATEST (only the
// unpublished version exists here), INVALID_ARGUMENT for an empty or malformed name.
Result<std::string> ParseFunctionName(std::string_view raw, std::string_view query_qualifier);

class LambdaFront {
 public:
  static Result<std::unique_ptr<LambdaFront>> Start(Invoker* invoker, FrontOptions options);
  ~LambdaFront();
  LambdaFront(const LambdaFront&) = delete;
  LambdaFront& operator=(const LambdaFront&) = delete;

  int port() const;
  std::string endpoint() const;  // "http://127.0.0.1:PORT"
  EventQueue& events() { return *events_; }
  size_t sync_waiting() const;  // synchronous invocations started and not yet answered
  void Stop();  // idempotent

 private:
  struct Metrics;
  struct InvokeCall;
  LambdaFront(Invoker* invoker, FrontOptions options);
  void Handle(HttpRequest&& req, HttpResponder respond);
  void Invoke(HttpRequest& req, std::string_view raw_name, HttpResponder respond);
  HttpResponse Complete(const InvokeCall& call, InvokeResult r);
  HttpResponse Finish(const InvokeCall& call, HttpResponse r, std::string_view error_type);
  HttpResponse Fail(const InvokeCall& call, const Status& s, std::string_view type_override = {});
  Result<int64_t> AsyncPayloadLimit(const std::string& function);
  HttpResponse ListFunctions();
  HttpResponse GetFunction(std::string_view raw_name, bool configuration_only);
  HttpResponse CreateFunction(const HttpRequest& req);
  HttpResponse DeleteFunction(std::string_view raw_name);
  // Null when the request may proceed, else the 403 to send.
  std::optional<HttpResponse> Authenticate(const HttpRequest& req);
  HttpResponse MetricsPage();

  Invoker* invoker_;
  FrontOptions options_;
  MetricsRegistry* registry_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<EventQueue> events_;
  std::unique_ptr<FutureWaiter> waiter_;
  FunctionHost* host_ = nullptr;  // the invoker, when it is a FunctionHost
  std::mutex profiles_mu_;
  std::map<std::string, int64_t> async_limits_;  // GUARDED_BY(profiles_mu_) by provider
  std::unique_ptr<HttpServer> server_;            // last: stopped and destroyed first
};

// "Thu, 01 Jan 2026 00:00:00 GMT" (RFC 7231 IMF-fixdate).
std::string HttpDate(WallTime t);

// A fresh Lambda-style request id (UUID version 4, lower-case hex).
std::string NewRequestId();

}  // namespace sl::faas

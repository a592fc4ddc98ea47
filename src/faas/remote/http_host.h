// HttpHost: the `http` FunctionHost — functions behind an HTTP trigger: a Knative Service, Cloud
// Run functions, an Azure Functions HTTP trigger (function key in x-functions-key or ?code=),
// an OpenWhisk web action. Each function is a URL (http_functions.h); an invocation POSTs the
// payload there (Content-Type: application/json, X-Request-Id, the configured headers and
// credential) and reads the answer:
//
//   2xx                       success, the body is the payload; with an X-Amz-Function-Error
//                             header it is a function error (Lambda's convention, for handlers
//                             written against it), typed by the body's errorType
//   5xx + JSON {errorMessage, errorType}
//                             function error (Unhandled), typed by errorType (ClassifyLambdaError)
//   504                       the function timed out (kTimeout): Cloud Run answers 504 when a
//                             request outlives the service's request timeout, and the instance
//                             may go on processing it (cloud.google.com/run/docs/configuring/
//                             request-timeout), so it is not retried; Knative likewise
//   500                       unhandled error (kUnhandled): what Azure Functions and the Cloud Run
//                             functions framework answer for an uncaught exception
//   502                       the instance crashed mid-request (kCrash): Knative's queue-proxy
//                             answers an empty 502 when the user container panics or drops the
//                             connection (knative/serving#5146); it also does when the restarted
//                             container refuses the connection, which a 502 cannot tell apart
//   429                       throttled (not executed): retried with backoff, honouring
//                             Retry-After, then RESOURCE_EXHAUSTED (Cloud Run: "the request was
//                             aborted because there was no available instance"; Azure: host
//                             concurrency limit)
//   503                       unavailable (Cloud Run sends the same "no available instance" as
//                             503 too; Knative activator overloaded; cold start failed): retried
//                             as "maybe executed" (remote_retry.h), then UNAVAILABLE
//   401/403                   PERMISSION_DENIED, saying which credential was sent
//   404                       NOT_FOUND (nothing at the URL); 413 OUT_OF_RANGE; other 4xx
//                             INVALID_ARGUMENT
//   no answer in time         DEADLINE_EXCEEDED (not retried)
// Function errors are built as Lambda's error JSON {"errorMessage", "errorType"} in `payload`
// with function_error "Unhandled", so callers handle both hosts alike.
// Only RequestResponse exists over HTTP triggers: Event is INVALID_ARGUMENT; DryRun checks the
// configuration without sending anything.
//
// Billing: always the caller's round trip (kMeasuredByCaller, an upper bound: it includes the
// network and any queueing at the trigger), at the configured memory, priced by the function's
// profile (HttpFunctionConfig::provider, else HttpHostOptions::provider).
// Deploy: checks that the function has a URL (NOT_FOUND naming the function and the file to put
// it in otherwise); nothing is sent: on Cloud Run functions and Azure HTTP triggers any method
// reaches the handler, so a probe would be an invocation.
// Describe: from the configuration (has_live_state = false).
// Credentials: bearer token files are re-read for every request (identity tokens expire and
// are rotated on disk); environment values are read once, at Create.
//
// Threading, ownership and shutdown: as LambdaHost (a bounded pool of workers, one HttpClient
// each; Invoke never blocks). Thread safety: every method may be called from any thread at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "faas/function_host.h"
#include "faas/remote/aws_credentials.h"
#include "faas/remote/client_pool.h"
#include "faas/remote/http_functions.h"
#include "faas/remote/remote_accounting.h"
#include "faas/remote/remote_retry.h"

namespace sl::faas {

struct HttpHostOptions {
  std::vector<HttpFunctionConfig> functions;
  std::string provider = "aws-lambda";  // pricing profile of functions that name none
  std::string ledger_path;              // "": no caller-side ledger
  EnvLookup env;                        // null: the process environment (credential variables)
  int64_t connect_timeout_ms = 5000;
  int64_t read_timeout_ms = 300000;     // functions without a `timeout`; with one: timeout + margin
  int64_t read_timeout_margin_ms = 30000;
  RemoteRetryPolicy retry;
  int max_concurrency = 64;
  Clock* clock = nullptr;               // null: Clock::Real()
  std::string config_source = "the functions file";  // named in "add a url" messages
};

class HttpHost final : public FunctionHost {
 public:
  // Errors: a profile that cannot be loaded, a credential that cannot be read (naming the
  // function and the file or variable), a URL that is not http(s), a function declared twice,
  // a ledger that cannot be opened.
  static Result<std::unique_ptr<HttpHost>> Create(HttpHostOptions options);
  ~HttpHost() override;

  std::string_view kind() const override { return "http"; }
  Status Deploy(const FunctionSpec& spec) override;
  Result<FunctionDescription> Describe(const std::string& name) const override;
  std::future<InvokeResult> Invoke(InvokeRequest request) override;
  std::vector<std::future<InvokeResult>> Map(const std::string& function,
                                             const std::vector<std::string>& payloads) override;

 private:
  struct Fn {
    HttpFunctionConfig config;
    HttpCredential env_credential;        // resolved at Create when it comes from variables
    const RemoteAccounting* accounting = nullptr;
  };
  explicit HttpHost(HttpHostOptions options);
  std::future<InvokeResult> Submit(InvokeRequest request, bool in_map);
  InvokeResult RunInvoke(HttpClient& client, const InvokeRequest& request, bool in_map,
                         TimePoint submitted);
  const Fn* Find(const std::string& name) const;

  const HttpHostOptions options_;
  Clock* const clock_;
  EnvLookup env_;
  std::map<std::string, std::unique_ptr<RemoteAccounting>> accounting_;  // by profile name
  std::map<std::string, Fn> functions_;  // immutable after Create
  mutable std::mutex mu_;
  std::map<std::string, int64_t> deployed_memory_;  // GUARDED_BY(mu_): from Deploy's spec
  // GUARDED_BY(mu_): a name Deploy was given → the configured function with its handler.
  std::map<std::string, std::string> aliases_;
  Backoff backoff_;
  std::atomic<bool> stopping_{false};  // set by the destructor: no more retries
  std::unique_ptr<ClientPool> pool_;  // last: destroyed (joined) first
};

}  // namespace sl::faas

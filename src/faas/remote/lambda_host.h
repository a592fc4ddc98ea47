// LambdaHost: the `lambda` FunctionHost — functions on AWS Lambda, or on any endpoint that
// speaks the Lambda API (`straightline platform serve` on another host), over HTTP(S) with
// SigV4 (service "lambda").
//
//   Invoke    POST /2015-03-31/functions/{name}/invocations, X-Amz-Invocation-Type
//             RequestResponse | Event | DryRun. Synchronous calls always ask for
//             X-Amz-Log-Type: Tail: Lambda's REPORT line (Duration, Billed Duration, Memory Size,
//             Max Memory Used, Init Duration) becomes the result's durations, memory and cold
//             start, priced by the profile (billing = kPlatformReport); without a REPORT line
//             the measured round trip is priced instead (kMeasuredByCaller). log_tail is filled
//             only when the request asks for it.
//   Deploy    GetFunction; if the function exists it is used as it is (a memory or timeout that
//             differs from the spec is logged as a warning). If not, CreateFunction:
//               - with image_uri and role_arn (real AWS): PackageType Image, Code.ImageUri, Role,
//                 ImageConfig.Command [handler], MemorySize, Timeout, Environment. The image is
//                 the function image of `straightline package` (issue 15), pushed to ECR first;
//                 Deploy then waits for the function's State to become Active.
//               - otherwise (a Lambda-compatible endpoint such as `platform serve`, which creates
//                 built-in handlers): Runtime provided.al2023, Handler, MemorySize, Timeout,
//                 Environment.
//             Against real AWS without an image nothing is created: NOT_FOUND says what to
//             deploy. A refused creation is NOT_FOUND too, quoting the endpoint's reason.
//   Describe  GetFunction → memory, timeout, handler (has_live_state = false).
//   Map       Invoker::Map semantics, but throttled invocations of a map keep retrying with
//             backoff (RemoteRetryPolicy::map_throttle_patience) so that a map larger than the
//             function's concurrency still completes; in-flight requests are bounded by the
//             worker pool (max_concurrency).
// Errors, retries and the "may it have run?" rule: lambda_wire.h and remote_retry.h. Client-side
// timeouts are DEADLINE_EXCEEDED and not retried; the read timeout defaults to the function's
// timeout (from Deploy/Describe, else 900 s) plus read_timeout_margin.
//
// Threading: Invoke never blocks; futures complete on the pool's worker threads (each with its
// own HttpClient, at most max_concurrency). Deploy/Describe run on the caller's thread.
// Ownership: Clock not owned (must outlive the host). The destructor completes queued
// invocations with UNAVAILABLE and waits for running ones.
// Thread safety: every method may be called from any thread at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/http_client.h"
#include "common/sigv4.h"
#include "faas/function_host.h"
#include "faas/remote/aws_credentials.h"
#include "faas/remote/client_pool.h"
#include "faas/remote/remote_accounting.h"
#include "faas/remote/remote_retry.h"

namespace sl::faas {

struct LambdaHostOptions {
  std::string region;        // "": AWS_REGION / AWS_DEFAULT_REGION / ~/.aws/config, else us-east-1
  std::string endpoint_url;  // "": https://lambda.{region}.amazonaws.com
  // Unset: the standard chain (aws_credentials.h) over `env`.
  std::optional<AwsCredentials> credentials;
  EnvLookup env;             // null: the process environment
  std::string provider = "aws-lambda";  // pricing profile (profiles/<name>.yaml)
  std::string ledger_path;   // "": no caller-side ledger
  int64_t connect_timeout_ms = 5000;
  int64_t read_timeout_ms = 0;  // 0: the function's timeout + read_timeout_margin_ms
  int64_t read_timeout_margin_ms = 30000;
  int64_t control_timeout_ms = 30000;  // GetFunction / CreateFunction
  RemoteRetryPolicy retry;
  int max_concurrency = 64;  // worker threads = synchronous invocations in flight
  Clock* clock = nullptr;    // null: Clock::Real(); signing dates, round trips, backoff waits
  // CreateFunction on real AWS (see above). Both or neither.
  std::string image_uri;
  std::string role_arn;
  std::chrono::seconds deploy_wait{120};  // how long Deploy waits for State Active
};

class LambdaHost final : public FunctionHost {
 public:
  // Resolves region, endpoint and credentials and loads the profile. Errors: no credentials
  // (NOT_FOUND listing where they were looked for), a malformed credentials/config file
  // (INVALID_ARGUMENT naming file:line and key), a bad endpoint URL or profile, a ledger that
  // cannot be opened, image_uri without role_arn or the reverse.
  static Result<std::unique_ptr<LambdaHost>> Create(LambdaHostOptions options);
  ~LambdaHost() override;

  std::string_view kind() const override { return "lambda"; }
  Status Deploy(const FunctionSpec& spec) override;
  Result<FunctionDescription> Describe(const std::string& name) const override;
  std::future<InvokeResult> Invoke(InvokeRequest request) override;
  std::vector<std::future<InvokeResult>> Map(const std::string& function,
                                             const std::vector<std::string>& payloads) override;

  const std::string& endpoint() const { return endpoint_; }
  const std::string& region() const { return region_; }
  const std::string& credentials_source() const { return credentials_source_; }

 private:
  struct Known {  // what Deploy/Describe learnt about a function
    int64_t memory_mb = 0;
    double timeout_s = 0;
  };
  LambdaHost(LambdaHostOptions options, std::string region, std::string endpoint, std::string host,
             AwsCredentials creds, std::string creds_source,
             std::unique_ptr<RemoteAccounting> accounting);

  std::future<InvokeResult> Submit(InvokeRequest request, bool in_map);
  InvokeResult RunInvoke(HttpClient& client, const InvokeRequest& request, bool in_map,
                         TimePoint submitted);
  // One signed request; a Status only when no HTTP response arrived.
  Result<HttpResponse> Send(HttpClient& client, std::string_view method, const std::string& path,
                            const std::string& body, HttpHeaders extra,
                            int64_t timeout_ms) const;
  Result<HttpResponse> Control(std::string_view method, const std::string& path,
                               const std::string& body) const;
  // GetFunction; `unsupported`: the endpoint has no such operation; `state`: the function's State.
  Result<FunctionDescription> GetFunction(const std::string& name, bool* unsupported,
                                          std::string* state = nullptr) const;
  Status CreateFunction(const FunctionSpec& spec);
  Status WaitActive(const std::string& name);
  std::string CredentialHint() const;
  Known KnownOf(const std::string& name) const;
  void Remember(const std::string& name, int64_t memory_mb, double timeout_s) const;

  const LambdaHostOptions options_;
  Clock* const clock_;
  const std::string region_;
  const std::string endpoint_;  // "https://lambda.us-east-1.amazonaws.com", no trailing '/'
  const std::string host_;      // the Host header: "lambda.us-east-1.amazonaws.com[:port]"
  const AwsCredentials creds_;
  const std::string credentials_source_;
  const bool real_aws_;         // the default endpoint (no endpoint_url)
  std::unique_ptr<RemoteAccounting> accounting_;
  mutable Backoff backoff_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Known> known_;     // GUARDED_BY(mu_)
  mutable std::unique_ptr<HttpClient> control_;    // GUARDED_BY(control_mu_)
  mutable std::mutex control_mu_;
  std::atomic<bool> stopping_{false};  // set by the destructor: no more retries
  std::unique_ptr<ClientPool> pool_;  // last: destroyed (joined) first
};

// The request path of an operation on a function: "/2015-03-31/functions/<name><suffix>", the
// name percent-encoded (an ARN's ':' becomes %3A) as it is sent.
std::string LambdaFunctionPath(std::string_view name, std::string_view suffix);

// SigV4 for service "lambda": like every AWS service but S3, the canonical URI is the sent path
// percent-encoded once more (so %3A becomes %253A). Adds x-amz-date, x-amz-content-sha256
// (and x-amz-security-token) to `headers` and returns the Authorization value.
std::string SignLambdaRequest(std::string_view method, const std::string& sent_path,
                              const std::string& body, std::map<std::string, std::string>* headers,
                              const AwsCredentials& creds, const std::string& region,
                              WallTime now);

}  // namespace sl::faas

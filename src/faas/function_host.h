// FunctionHost: where functions run — the one seam (after leveldb's Env) between the layers that
// use functions (the serverless trainer, the serving function tier, `invoke`) and the platforms
// that run them. Nothing above faas names a concrete platform; the command line picks one:
//
//   local    faas::Platform, the embedded platform (platform.h): the default and the test double
//            for everything that needs real processes
//   lambda   the AWS Lambda Invoke API over HTTP(S) with SigV4 (faas/remote/lambda_host.h): real
//            AWS, or any Lambda-compatible endpoint such as `straightline platform serve`
//   http     HTTP-triggered functions: Knative, Cloud Run functions, Azure Functions, OpenWhisk
//            web actions (faas/remote/http_host.h)
//   fake     FakeFunctionHost (faas/fake_function_host.h): scripted handlers on a FakeClock
//
// Outcomes are typed (InvokeResult::outcome, faas/economics/invocation_record.h); callers switch
// on it, never on error strings. The Lambda wire strings ("Unhandled", "Sandbox.Timedout", ...)
// are mapped to it in one place, ClassifyLambdaError below.
//
// Failure contract: Deploy names the function and the host in its errors; see invoker.h for
// Invoke's. Describe on a remote host answers from the host's configuration API (or, for http,
// from the functions file); live counters (instances, queued) are known only to local hosts.
// Thread safety: every method may be called from any thread at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "faas/function_spec.h"
#include "faas/invoker.h"

namespace sl::faas {

// What a host says about one deployed function.
struct FunctionDescription {
  FunctionSpec spec;         // as deployed (memory, timeout, provider profile used for pricing)
  std::string host;          // "local", "lambda", "http", "fake"
  // Live state; known only where the host runs the instances itself (has_live_state).
  bool has_live_state = false;
  double vcpu = 0;           // CPU the memory buys under the profile
  int64_t instances = 0;     // live instances (starting, idle or busy)
  int64_t idle_instances = 0;
  int64_t inflight = 0;      // accepted, not finished
  int64_t queued = 0;        // waiting for capacity on this machine
};

class FunctionHost : public Invoker {
 public:
  ~FunctionHost() override = default;

  // "local", "lambda", "http" or "fake".
  virtual std::string_view kind() const = 0;

  // Makes `spec` invocable under spec.name. A function that already exists under that name is
  // used as it is (so a coordinator that resumes, or a second tier, deploys idempotently).
  //   local:  registers it on the embedded platform.
  //   lambda: GetFunction; if absent, CreateFunction (our `platform serve` creates built-in
  //           handlers; real AWS needs an image, see lambda_host.h).
  //   http:   checks that the functions file gives the function a URL.
  // Errors: INVALID_ARGUMENT (spec not allowed by its profile), NOT_FOUND (a remote host has no
  // such function and cannot create it: the message says how to deploy it), UNAVAILABLE.
  virtual Status Deploy(const FunctionSpec& spec) = 0;

  // NOT_FOUND if the host has no such function.
  virtual Result<FunctionDescription> Describe(const std::string& name) const = 0;
};

// The typed outcome of a Lambda-style function error: `function_error` is the
// X-Amz-Function-Error header ("Handled" | "Unhandled"), `error_type` the errorType of the
// error JSON ("Sandbox.Timedout", "Runtime.OutOfMemory", "Runtime.ExitError", ...).
Outcome ClassifyLambdaError(std::string_view function_error, std::string_view error_type);

// The outcome of a platform-level Status (not OK): kThrottled for RESOURCE_EXHAUSTED, else
// kPlatformError.
Outcome OutcomeOfStatus(const Status& status);

}  // namespace sl::faas

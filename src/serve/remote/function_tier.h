// FunctionTier (serve::Tier kind kFunction): serverless inference — the worker-side `predict`
// handler (serve/handler/predict_handler.h) deployed as one function per model on a function host
// (faas/function_host.h: the embedded platform by default, or Lambda / HTTP functions), under a
// provider profile (billing, memory → CPU), with keep-alive (scale to zero), an optional
// concurrency limit and provisioned instances. Submit invokes it with faas::Invoker::Invoke; the
// request body travels as the invocation payload (JSON as-is, binary bodies base64-wrapped with
// their content type).
//
// Reported per response: cold_start, service_ms (init + duration), queue_ms (waited for local
// capacity), cost_usd (priced under the profile). TierState: warm instances (replicas), inflight,
// the concurrency limit as capacity, EWMAs of service time, cold-start time and cost per request.
// Failure contract (tier.h): a throttle (concurrency limit) → RESOURCE_EXHAUSTED; payload over
// the profile's limit → INVALID_ARGUMENT; the handler's own errors keep their code (bad input →
// INVALID_ARGUMENT); a timeout, crash or out-of-memory → INTERNAL naming the function; the
// request deadline passing first (on options.clock) → DEADLINE_EXCEEDED (the invocation still
// runs to its end and holds its slot until then).
// Thread safety: Submit/State from any thread; Shutdown waits for in-flight invocations.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "serve/api/tier.h"

namespace sl {
class Clock;
}
namespace sl::faas {
class FunctionHost;
}

namespace sl::serve {

struct FunctionTierOptions {
  std::string model;                   // model name (requests name it)
  std::string model_dir;               // passed to the instances as STRAIGHTLINE_MODEL_DIR
  // A store folder holding the model (store/function_env.h UploadDirectory); when set, the
  // instances fetch it from there (STRAIGHTLINE_MODEL_URI, with the caller's store credentials
  // as STRAIGHTLINE_STORE_*) instead of reading model_dir: what a host on another machine needs.
  std::string model_uri;
  std::string function_name;           // "" = "predict-<model>" (invalid characters → '-')
  // The host to deploy on (not owned, required): the embedded platform, Lambda, HTTP functions.
  faas::FunctionHost* functions = nullptr;
  // The clock of request deadlines (InferenceRequest::deadline; not owned). Null: the real one.
  Clock* clock = nullptr;
  std::string provider = "aws-lambda";
  int64_t memory_mb = 1024;
  double timeout_s = 30;
  std::string keep_alive = "fixed";    // faas keep_alive_policy spec
  int64_t concurrency_limit = 32;      // reserved concurrency; also the tier's capacity
  int64_t provisioned = 0;             // instances kept warm
  int64_t instance_concurrency = 1;
};

class FunctionTier final : public Tier {
 public:
  static Result<std::unique_ptr<FunctionTier>> Create(FunctionTierOptions options);
  ~FunctionTier() override;

  TierKind kind() const override { return TierKind::kFunction; }
  std::vector<std::string> Models() const override;
  void Submit(InferenceRequest request, InferenceCallback done) override;
  TierState State() const override;
  void Shutdown() override;

  const std::string& function_name() const;
  faas::FunctionHost* host() const;

  class Impl;

 private:
  explicit FunctionTier(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

Result<std::unique_ptr<Tier>> MakeFunctionTier(const FunctionTierOptions& options);

}  // namespace sl::serve

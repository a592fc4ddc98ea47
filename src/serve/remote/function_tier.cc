#include "serve/remote/function_tier.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/log.h"
#include "faas/function_host.h"
#include "serve/handler/predict_handler.h"
#include "store/function_env.h"

namespace sl::serve {
namespace {

// Waits for the invocation until `deadline` on `clock`; false if the deadline came first. The
// real clock is waited on exactly; another clock (a test's FakeClock) moves without notice, so
// it is checked every millisecond of real time.
bool ReadyBy(const std::future<faas::InvokeResult>& future, TimePoint deadline, Clock* clock) {
  if (clock == Clock::Real()) return future.wait_until(deadline) == std::future_status::ready;
  while (clock->Now() < deadline) {
    if (future.wait_for(std::chrono::milliseconds(1)) == std::future_status::ready) return true;
  }
  return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

}  // namespace

class FunctionTier::Impl {
 public:
  FunctionTierOptions o;
  faas::FunctionHost* host = nullptr;
  Clock* clock = Clock::Real();  // request deadlines are on it
  mutable std::mutex mu;
  std::condition_variable idle;
  bool shutdown = false;
  int64_t inflight = 0;
  double service_ewma = 0, start_ewma = 0, cost_ewma = 0;

  InferenceResponse ToResponse(const faas::InvokeResult& r) {
    InferenceResponse resp;
    resp.cold_start = r.cold_start;
    resp.queue_ms = r.queued_ms;
    resp.service_ms = r.init_ms + r.duration_ms;
    resp.cost_usd = r.cost_usd;
    const std::string where = "function tier: " + o.function_name;
    if (!r.status.ok()) {
      Code c = r.status.code() == Code::kOutOfRange ? Code::kInvalidArgument : r.status.code();
      resp.status = Status(c, where + ": " + r.status.message());
    } else if (!r.function_error.empty()) {
      resp.status = ErrorToStatus(r.payload, where);
    } else {
      resp.body = r.payload;
    }
    return resp;
  }
};

Result<std::unique_ptr<FunctionTier>> FunctionTier::Create(FunctionTierOptions options) {
  auto impl = std::make_shared<Impl>();
  if (options.model.empty()) return InvalidArgument("function tier: no model name");
  if (options.function_name.empty()) {
    std::string n = "predict-" + options.model;
    for (char& ch : n) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') ch = '-';
    }
    options.function_name = n.substr(0, 64);
  }
  std::error_code ec;
  options.model_dir = std::filesystem::absolute(options.model_dir, ec).string();
  impl->o = options;
  if (options.clock != nullptr) impl->clock = options.clock;
  if (options.functions == nullptr) {
    return InvalidArgument("function tier: no function host for model '{}' (FunctionTierOptions::functions)",
                           options.model);
  }
  impl->host = options.functions;
  faas::FunctionSpec spec;
  spec.name = options.function_name;
  spec.kind = faas::HandlerKind::kBuiltin;
  spec.handler = kPredictHandler;
  spec.provider = options.provider;
  spec.memory_mb = options.memory_mb;
  spec.timeout_s = options.timeout_s;
  spec.reserved_concurrency = options.concurrency_limit;
  spec.provisioned_concurrency = options.provisioned;
  spec.instance_concurrency = options.instance_concurrency;
  spec.keep_alive = options.keep_alive;
  if (options.model_uri.empty()) {
    spec.AddMount(options.model_dir, false);  // what a sandboxed instance may read of the host
    spec.environment[kModelDirEnv] = spec.mounts.back().path;  // absolute: its cwd is not ours
  } else {
    spec.environment = store::StoreEnvironmentForFunctions();
    spec.environment[kModelUriEnv] = options.model_uri;
  }
  spec.environment[kModelNameEnv] = options.model;
  spec.source = "function tier";
  SL_RETURN_IF_ERROR(impl->host->Deploy(spec));
  SL_LOG_INFO("serve", "function tier: function {} on the {} host (predict, {} MB, {}, keep-alive {}, "
                       "limit {}) serves model {}",
              spec.name, impl->host->kind(), options.memory_mb, options.provider, options.keep_alive,
              options.concurrency_limit, options.model);
  return std::unique_ptr<FunctionTier>(new FunctionTier(std::move(impl)));
}

FunctionTier::FunctionTier(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
FunctionTier::~FunctionTier() { Shutdown(); }

Result<std::unique_ptr<Tier>> MakeFunctionTier(const FunctionTierOptions& options) {
  SL_ASSIGN_OR_RETURN(auto tier, FunctionTier::Create(options));
  return std::unique_ptr<Tier>(std::move(tier));
}

std::vector<std::string> FunctionTier::Models() const { return {impl_->o.model}; }
const std::string& FunctionTier::function_name() const { return impl_->o.function_name; }
faas::FunctionHost* FunctionTier::host() const { return impl_->host; }

void FunctionTier::Submit(InferenceRequest request, InferenceCallback done) {
  auto impl = impl_;
  auto refuse = [&](Status s) {
    InferenceResponse resp;
    resp.status = std::move(s);
    done(std::move(resp));
  };
  if (request.model != impl->o.model) {
    return refuse(NotFound("function tier: unknown model '{}' (serves '{}')", request.model,
                           impl->o.model));
  }
  // Decide under the lock, answer outside it: `done` may place the request again at once, and
  // placement reads State(), which takes this lock.
  Status refused;
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    if (impl->shutdown) {
      refused = Unavailable("function tier: shutting down");
    } else if (impl->inflight >= impl->o.concurrency_limit) {
      refused = ResourceExhausted("function tier: {} at its concurrency limit ({})",
                                  impl->o.function_name, impl->o.concurrency_limit);
    } else {
      ++impl->inflight;
    }
  }
  if (!refused.ok()) return refuse(std::move(refused));
  faas::InvokeRequest inv;
  inv.function = impl->o.function_name;
  inv.payload = EncodePredictPayload(request.content_type, request.body, request.json_header_bytes);
  inv.stage = "predict";
  auto future = impl->host->Invoke(std::move(inv));
  const auto deadline = request.deadline;
  // One waiter per in-flight invocation (bounded by the concurrency limit).
  std::thread([impl, future = std::move(future), done = std::move(done), deadline]() mutable {
    bool answered = false;
    if (deadline != TimePoint{} && !ReadyBy(future, deadline, impl->clock)) {
      InferenceResponse resp;
      resp.status = DeadlineExceeded("function tier: {}: request deadline passed while the "
                                     "invocation ran",
                                     impl->o.function_name);
      done(std::move(resp));
      answered = true;
    }
    faas::InvokeResult r = future.get();
    InferenceResponse resp = impl->ToResponse(r);
    {
      std::lock_guard<std::mutex> lock(impl->mu);
      if (resp.status.ok() || !r.function_error.empty()) {
        UpdateEwma(&impl->service_ewma, r.duration_ms);
        if (r.cold_start) UpdateEwma(&impl->start_ewma, r.init_ms);
        UpdateEwma(&impl->cost_ewma, r.cost_usd);
      }
    }
    {
      std::lock_guard<std::mutex> lock(impl->mu);
      if (--impl->inflight == 0) impl->idle.notify_all();
    }
    // After the slot is free: a caller that submits again from its callback finds it free.
    if (!answered) done(std::move(resp));
  }).detach();
}

TierState FunctionTier::State() const {
  TierState s;
  s.kind = TierKind::kFunction;
  // The embedded platform's instances are processes on this host; a remote host's are not.
  s.shares_gateway_cpu = impl_->host->kind() == "local";
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    s.available = !impl_->shutdown;
    s.inflight = impl_->inflight;
    s.capacity = impl_->o.concurrency_limit;
    s.max_replicas = impl_->o.concurrency_limit;
    s.service_ms_ewma = impl_->service_ewma;
    s.start_ms_ewma = impl_->start_ewma;
    s.cost_per_request_usd = impl_->cost_ewma;
  }
  if (auto info = impl_->host->Describe(impl_->o.function_name); info.ok() && info->has_live_state) {
    s.replicas = info->instances;  // live (warm or starting) instances
    s.queued = info->queued;
  }
  return s;
}

void FunctionTier::Shutdown() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->shutdown = true;
  impl_->idle.wait(lock, [&] { return impl_->inflight == 0; });
}

}  // namespace sl::serve

// Platform: creation (incl. deciding the isolation), function registration, admission (payload limits, throttling, Map's
// waiting for concurrency slots) and introspection. See platform_impl.h for the layout.
#include "faas/platform_impl.h"

#include "common/clock.h"
#include "runtime/builtin_handlers.h"
#include "runtime/handler_registry.h"

namespace sl::faas {

// ---------------------------------------------------------------------------------------------
// Creation and registration

Status Platform::Impl::Init() {
  if (options_.clock == nullptr) options_.clock = Clock::Real();
  SL_RETURN_IF_ERROR(MakeDirs(options_.state_dir + "/logs"));
  worker_path_ = options_.worker_path.empty() ? DefaultWorkerPath() : options_.worker_path;
  if (worker_path_.empty() || ::access(worker_path_.c_str(), X_OK) != 0) {
    return FailedPrecondition(
        "worker executable {} (set PlatformOptions.worker_path or $STRAIGHTLINE_WORKER; it is "
        "built as build/straightline-worker)",
        worker_path_.empty() ? "straightline-worker not found next to this program or in the folders above it"
                             : "'" + worker_path_ + "' not found or not executable");
  }
  unsigned hw = std::thread::hardware_concurrency();
  capacity_ = options_.local_cpus > 0 ? options_.local_cpus : (hw > 0 ? hw : 1);
  max_concurrency_ = options_.max_concurrency > 0 ? options_.max_concurrency : 1000;
  ledger_path_ = options_.ledger_path.empty() ? options_.state_dir + "/ledger.jsonl"
                                              : options_.ledger_path;
  SL_ASSIGN_OR_RETURN(ledger_, LedgerWriter::Open(ledger_path_));

  cgroups_ = CgroupManager::Create(options_.use_cgroups);
  isolation_.memory_cgroup = cgroups_->memory_ok();
  isolation_.cpu_cgroup = cgroups_->cpu_ok();
  isolation_.memory_method = isolation_.memory_cgroup ? "cgroup-v1" : "rss-poll";
  isolation_.cpu_method = isolation_.cpu_cgroup ? "cgroup-v1-cfs-quota" : "none";
  isolation_.detail = cgroups_->detail();
  if (!isolation_.memory_cgroup || !isolation_.cpu_cgroup) {
    SL_LOG_WARN("faas",
                "isolation: memory limit by {}, CPU by {} ({}); the ledger marks instances "
                "without a CPU quota cpu_enforced=false",
                isolation_.memory_method, isolation_.cpu_method, isolation_.detail);
  } else {
    SL_LOG_DEBUG("faas", "isolation: cgroup v1 memory limits and CFS CPU quotas per instance");
  }

  isolation_.pids_cgroup = cgroups_->pids_ok();
  if (options_.isolation == FunctionIsolation::kNone) {
    isolation_.sandbox_detail = "isolation 'none' requested";
  } else {
    Status probe = ProbeSandbox();
    if (probe.ok()) {
      sandbox_root_ = options_.state_dir + "/sandbox-root";
      SL_RETURN_IF_ERROR(MakeDirs(sandbox_root_));
      char abs[PATH_MAX];
      if (::realpath(sandbox_root_.c_str(), abs) == nullptr) return ErrnoError(errno, "realpath " + sandbox_root_);
      sandbox_root_ = abs;
      isolation_.sandbox = true;
    } else if (options_.isolation == FunctionIsolation::kSandbox) {
      return FailedPrecondition("function isolation 'sandbox' is not possible here: {} (use --function-isolation none "
                                "to run trusted functions without it)", probe.message());
    } else {
      isolation_.sandbox_detail = std::string(probe.message());
      SL_LOG_WARN("faas", "isolation: function instances are NOT sandboxed ({}): they run as this user in its "
                  "namespaces", isolation_.sandbox_detail);
    }
  }
  isolation_.sandbox_method = isolation_.sandbox ? "namespaces" : "none";

  metrics_ = options_.metrics ? options_.metrics : MetricsRegistry::Default();
  SL_ASSIGN_OR_RETURN(invocations_family_,
                      metrics_->AddCounter("sl_faas_invocations_total",
                                           "Invocations by function and outcome.",
                                           {"function", "outcome"}));
  SL_ASSIGN_OR_RETURN(errors_family_,
                      metrics_->AddCounter("sl_faas_errors_total",
                                           "Function errors by function and Lambda errorType.",
                                           {"function", "error_type"}));
  // What the ledger bills, as it is written (the live dashboard's cost so far, issue 19); the
  // same family as economics/platform_metrics.h registers.
  SL_ASSIGN_OR_RETURN(cost_family_,
                      metrics_->AddCounter("sl_faas_cost_usd_total",
                                           "Emulated cost in USD under the provider profile.",
                                           {"function", "provider"}));

  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return ErrnoError(errno, "epoll_create1");
  timer_ = std::make_unique<DeadlineTimer>();
  lifecycle_ = std::make_unique<TaskRunner>();
  pump_thread_ = std::thread([this] { PumpLoop(); });
  if (options_.background_maintenance) maint_thread_ = std::thread([this] { MaintenanceLoop(); });
  // Each template process starts when the first function that needs it is registered
  // (PrestartTemplate), off the caller's thread: its initialisation is paid once per platform,
  // not by the first cold start.
  templates_[kMl].path = worker_path_;
  templates_[kBase].path = worker_path_;
  if (options_.torch_free_template) {
    const std::string base = worker_path_.substr(0, worker_path_.rfind('/') + 1) + "straightline-worker-base";
    if (::access(base.c_str(), X_OK) == 0) {
      templates_[kBase].path = base;
      runtime::HandlerRegistry builtins;
      SL_RETURN_IF_ERROR(runtime::RegisterBuiltinHandlers(&builtins));
      for (auto& name : builtins.Names()) base_handlers_.insert(std::move(name));
    }
  }
  return Status::Ok();
}

Platform::Impl::TemplateKind Platform::Impl::TemplateFor(const FunctionState& fn) const {
  if (base_handlers_.empty()) return kMl;
  if (fn.spec.kind != HandlerKind::kBuiltin || options_.spawn_mode == SpawnMode::kExec) return kBase;
  return base_handlers_.count(fn.spec.handler) > 0 ? kBase : kMl;
}

void Platform::Impl::PrestartTemplate(TemplateKind kind) {
  {
    std::lock_guard<std::mutex> l(zygote_mu_);
    if (templates_[kind].prestart_posted) return;
    templates_[kind].prestart_posted = true;
  }
  lifecycle_->Post([this, kind] { StartedTemplate(kind).status().IgnoreError(); });
}

Result<std::pair<std::shared_ptr<ZygoteClient>, std::chrono::steady_clock::time_point>>
Platform::Impl::StartedTemplate(TemplateKind kind) {
  TemplateSlot& t = templates_[kind];
  {
    std::lock_guard<std::mutex> l(zygote_mu_);
    if (!t.status.ok()) return t.status;
    if (t.client != nullptr) return std::make_pair(t.client, *t.settled);
  }
  // Only the lifecycle thread starts templates, so no other start races this one; the lock is
  // not held over the ~0.1-0.4 s boot, so kills of other instances are not held up.
  auto z = ZygoteClient::Start(t.path, [this](pid_t pid, int st) { OnExit(pid, st); });
  std::lock_guard<std::mutex> l(zygote_mu_);
  t.settled = Clock::Real()->Now();
  if (!z.ok()) {
    t.status = z.status();
    SL_LOG_ERROR("faas", "template process: {}", z.status().ToString());
    return t.status;
  }
  t.client = std::move(*z);
  return std::make_pair(t.client, *t.settled);
}

void Platform::Impl::KillInstanceProcess(pid_t pid) {
  for (const auto& z : Templates()) z->Kill(pid).IgnoreError();  // exits are reported either way
}

std::vector<std::shared_ptr<ZygoteClient>> Platform::Impl::Templates() {
  std::lock_guard<std::mutex> l(zygote_mu_);
  std::vector<std::shared_ptr<ZygoteClient>> out;
  for (const auto& t : templates_) {
    if (t.client != nullptr) out.push_back(t.client);
  }
  return out;
}

Status Platform::Impl::ResolveSandboxAccess(FunctionState* fn) const {
  const FunctionSpec& spec = fn->spec;
  std::vector<std::pair<std::string, std::string>> wanted;  // (field, endpoint)
  for (const auto& e : spec.egress) wanted.emplace_back("egress", e);
  for (const auto& e : options_.function_egress) wanted.emplace_back("platform egress", e);
  for (const char* store_env :
       {"STRAIGHTLINE_STORE_ENDPOINT", "STRAIGHTLINE_STORE_AZURE_ENDPOINT", "STRAIGHTLINE_STORE_GCS_ENDPOINT"}) {
    if (auto it = spec.environment.find(store_env); it != spec.environment.end() && !it->second.empty()) {
      wanted.emplace_back(fmt::format("environment {}", store_env), it->second);
    }
  }
  for (const auto& [field, text] : wanted) {
    auto a = ParseEgressEndpoint(text);
    if (!a.ok()) return InvalidArgument("{}: function '{}': {}: {}", spec.source, spec.name, field, a.status().message());
    bool dup = false;
    for (const auto& b : fn->egress) dup = dup || (b.sin_addr.s_addr == a->sin_addr.s_addr && b.sin_port == a->sin_port);
    if (!dup) fn->egress.push_back(*a);
  }
  for (const auto& m : spec.mounts) {
    if (m.path.empty() || m.path[0] != '/') {
      return InvalidArgument("{}: function '{}': mount '{}' is not an absolute path", spec.source, spec.name, m.path);
    }
    if (!PathExists(m.path)) {
      return InvalidArgument("{}: function '{}': mount '{}' does not exist", spec.source, spec.name, m.path);
    }
    if (m.writable && spec.kind == HandlerKind::kImage) {
      return FailedPrecondition(
          "{}: function '{}': mount '{}' is writable, but a function image runs as the image's own "
          "user and runc here cannot map the host's owners onto it; give the function an s3:// store "
          "(reached through its egress) instead of a file:// one",
          spec.source, spec.name, m.path);
    }
    fn->mounts.push_back({m.path, m.path, m.writable, /*idmap=*/true});
  }
  if (spec.kind == HandlerKind::kBootstrap) {
    char abs[PATH_MAX];
    if (::realpath(spec.code_dir.c_str(), abs) == nullptr) {
      return InvalidArgument("{}: function '{}': code directory '{}': {}", spec.source, spec.name, spec.code_dir,
                             std::strerror(errno));
    }
    fn->mounts.push_back({abs, abs, false, true});
  }
  if (spec.ephemeral_storage_mb < 512 || spec.ephemeral_storage_mb > 10240) {
    return InvalidArgument("{}: function '{}': ephemeralStorage: {} MB not in 512..10240", spec.source, spec.name,
                           spec.ephemeral_storage_mb);
  }
  return Status::Ok();
}

Status Platform::Impl::Register(FunctionSpec spec) {
  SL_ASSIGN_OR_RETURN(ProviderProfile profile, LoadProviderProfile(spec.provider));
  SL_RETURN_IF_ERROR(ResolveFunctionSpec(profile, &spec));
  auto fn = std::make_unique<FunctionState>();
  auto policy = MakeKeepAlivePolicy(spec.keep_alive, profile);
  if (!policy.ok()) {
    return InvalidArgument("{}: function '{}': keepAlive: {}", spec.source, spec.name,
                           policy.status().message());
  }
  fn->policy = std::move(*policy);
  fn->vcpu = VcpuForMemory(profile, spec.memory_mb);
  fn->share = std::min(fn->vcpu > 0 ? fn->vcpu : capacity_, capacity_);
  fn->cpu_enforced = isolation_.cpu_cgroup && fn->vcpu > 0 && fn->vcpu <= capacity_ + 1e-9;
  fn->arn = FunctionArn(options_.region, spec.name);
  fn->spec = spec;
  SL_RETURN_IF_ERROR(ResolveSandboxAccess(fn.get()));
  if (spec.kind == HandlerKind::kImage) {
    SL_ASSIGN_OR_RETURN(fn->image, ImageFor(fn->spec));
  }
  SL_ASSIGN_OR_RETURN(fn->log, LogStream::Open(options_.state_dir + "/logs/" + spec.name + ".log"));
  const std::vector<std::string> label{spec.name};
  SL_ASSIGN_OR_RETURN(auto* throttles,
                      metrics_->AddCounter("sl_faas_throttles_total",
                                           "Invocations rejected by a concurrency limit.",
                                           {"function"}));
  SL_ASSIGN_OR_RETURN(auto* cold, metrics_->AddCounter("sl_faas_cold_starts_total",
                                                       "Invocations that started an instance.",
                                                       {"function"}));
  SL_ASSIGN_OR_RETURN(auto* conc,
                      metrics_->AddGauge("sl_faas_concurrent_executions",
                                         "Invocations in flight (incl. queued locally).",
                                         {"function"}));
  SL_ASSIGN_OR_RETURN(auto* warm, metrics_->AddGauge("sl_faas_warm_instances",
                                                     "Initialised instances (idle or busy).",
                                                     {"function"}));
  auto buckets = ExponentialBuckets(0.0005, 2, 18);
  SL_ASSIGN_OR_RETURN(auto* dur, metrics_->AddHistogram("sl_faas_duration_seconds",
                                                        "Handler duration, measured.",
                                                        {"function"}, buckets));
  SL_ASSIGN_OR_RETURN(auto* init, metrics_->AddHistogram("sl_faas_init_duration_seconds",
                                                         "Cold start: spawn to first poll.",
                                                         {"function"}, buckets));
  SL_ASSIGN_OR_RETURN(auto* queued,
                      metrics_->AddHistogram("sl_faas_queued_seconds",
                                             "Waited for local capacity (never billed).",
                                             {"function"}, buckets));
  SL_ASSIGN_OR_RETURN(fn->throttles, throttles->WithLabels(label));
  SL_ASSIGN_OR_RETURN(fn->cold_starts, cold->WithLabels(label));
  SL_ASSIGN_OR_RETURN(fn->concurrent, conc->WithLabels(label));
  SL_ASSIGN_OR_RETURN(fn->warm, warm->WithLabels(label));
  SL_ASSIGN_OR_RETURN(fn->duration, dur->WithLabels(label));
  SL_ASSIGN_OR_RETURN(fn->init, init->WithLabels(label));
  SL_ASSIGN_OR_RETURN(fn->queued_hist, queued->WithLabels(label));
  fn->profile = std::move(profile);
  fn->spec = std::move(spec);
  if (!fn->cpu_enforced) {
    SL_LOG_WARN("faas", "function '{}': {:.3f} vCPU from {} MB on {} is not enforced here ({})",
                fn->spec.name, fn->vcpu, fn->spec.memory_mb, fn->profile.name,
                isolation_.cpu_cgroup ? "more than this machine's capacity" : isolation_.detail);
  }
  PrestartTemplate(TemplateFor(*fn));
  Actions after;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return Unavailable("platform is shutting down");
    if (functions_.count(fn->spec.name)) {
      return AlreadyExists("{}: function '{}' is already registered", fn->spec.source,
                           fn->spec.name);
    }
    FunctionState* raw = fn.get();
    functions_.emplace(raw->spec.name, std::move(fn));
    for (int64_t i = 0; i < raw->spec.provisioned_concurrency; ++i) {
      auto inst = SpawnLocked(raw, nullptr, &after);
      inst->provisioned = true;
    }
  }
  Run(&after);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Admission

std::future<InvokeResult> Platform::Impl::Reject(const std::string& id, Status s) {
  std::promise<InvokeResult> p;
  p.set_value(NotRunResult(std::move(s), id));
  return p.get_future();
}

void Platform::Impl::RecordThrottle(FunctionState* fn, const std::string& id) {
  fn->throttles->Inc();
  if (auto c = invocations_family_->WithLabels({fn->spec.name, "throttled"}); c.ok()) (*c)->Inc();
  InvocationRecord rec;
  rec.request_id = id;
  rec.function = fn->spec.name;
  rec.provider = fn->profile.name;
  rec.memory_mb = fn->spec.memory_mb;
  rec.outcome = Outcome::kThrottled;
  rec.error_type = "TooManyRequestsException";
  rec.start_time = options_.clock->WallNow();
  rec.cpu_enforced = fn->cpu_enforced;
  Record(rec);
}

Status Platform::Impl::Admit(const std::shared_ptr<Invocation>& inv, const std::string& function,
                             bool dry_run, bool defer) {
  const size_t size = inv->payload.size();
  if (!inv->payload.empty() && !nlohmann::json::accept(inv->payload)) {
    return InvalidArgument("function '{}': Could not parse request body into json: payload of {} "
                           "bytes is not valid JSON", function, size);
  }
  Actions after;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return Unavailable("platform is shutting down");
    auto it = functions_.find(function);
    if (it == functions_.end()) {
      return NotFound("Function not found: {}", FunctionArn(options_.region, function));
    }
    FunctionState* fn = it->second.get();
    int64_t limit = inv->event ? fn->profile.max_async_request_bytes
                               : fn->profile.max_sync_request_bytes;
    if (limit > 0 && static_cast<int64_t>(size) > limit) {
      return OutOfRange("function '{}': request payload of {} bytes exceeds {}'s {}-byte limit "
                        "for {} invocations", fn->spec.name, size, fn->profile.name, limit,
                        inv->event ? "asynchronous" : "synchronous");
    }
    if (dry_run) return Status::Ok();
    inv->fn = fn;
    if (defer && (LimitedLocked(fn) || !deferred_.empty())) {
      deferred_.push_back(inv);  // admitted by AdmitDeferredLocked when a slot frees up
      return Status::Ok();
    }
    if (fn->spec.reserved_concurrency > 0 && fn->inflight >= fn->spec.reserved_concurrency) {
      RecordThrottle(fn, inv->id);
      return ResourceExhausted("function '{}': Rate Exceeded: reserved concurrency of {} in use",
                               fn->spec.name, fn->spec.reserved_concurrency);
    }
    if (inflight_total_ >= max_concurrency_) {
      RecordThrottle(fn, inv->id);
      return ResourceExhausted("function '{}': Rate Exceeded: account concurrency limit of {} in "
                               "use", fn->spec.name, max_concurrency_);
    }
    inv->fn = fn;
    fn->inflight++;
    inflight_total_++;
    if (inv->event && inv->attempt == 0) fn->events_pending++;  // until its last attempt ends
    fn->policy->RecordArrival(fn->spec.name, options_.clock->Now());
    fn->queued++;
    queue_.push_back(inv);
    UpdateGaugesLocked(fn);
    ScheduleLocked(&after);
  }
  Run(&after);
  return Status::Ok();
}

std::shared_ptr<Invocation> Platform::Impl::NewInvocation(std::string payload, bool event,
                                                          bool tail_log, std::string stage) {
  auto inv = std::make_shared<Invocation>();
  inv->id = RandomRequestId();
  inv->accepted = Clock::Real()->Now();
  inv->accepted_wall = options_.clock->WallNow();
  inv->tail_log = tail_log;
  inv->event = event;
  inv->payload = std::move(payload);
  inv->stage = std::move(stage);
  return inv;
}

std::vector<std::future<InvokeResult>> Platform::Impl::Map(
    const std::string& function, const std::vector<std::string>& payloads) {
  std::vector<std::future<InvokeResult>> futures;
  futures.reserve(payloads.size());
  for (const auto& p : payloads) {
    auto inv = NewInvocation(p, false, false);
    futures.push_back(inv->promise.get_future());
    Status s = Admit(inv, function, false, /*defer=*/true);
    if (!s.ok()) inv->promise.set_value(NotRunResult(std::move(s), inv->id));
  }
  return futures;
}

std::future<InvokeResult> Platform::Impl::Invoke(InvokeRequest request) {
  const bool event = request.type == InvocationType::kEvent;
  auto inv = NewInvocation(std::move(request.payload), event, request.tail_log,
                           std::move(request.stage));
  std::future<InvokeResult> fut;
  if (!event) fut = inv->promise.get_future();
  Status s = Admit(inv, request.function, request.type == InvocationType::kDryRun);
  if (!s.ok()) return Reject(inv->id, std::move(s));
  if (event || request.type == InvocationType::kDryRun) {
    // Event: accepted now (HTTP 202) and run in the background; DryRun: validated only.
    InvokeResult ack;
    ack.request_id = inv->id;
    std::promise<InvokeResult> p;
    p.set_value(std::move(ack));
    return p.get_future();
  }
  return fut;
}

// ---------------------------------------------------------------------------------------------
// Introspection

FunctionInfo Platform::Impl::InfoLocked(const FunctionState& fn) const {
  FunctionInfo info;
  info.spec = fn.spec;
  info.vcpu = fn.vcpu;
  info.instances = static_cast<int64_t>(fn.instances.size());
  for (const auto& i : fn.instances) {
    info.idle_instances += i->state == InstanceState::kReady && i->slots_used == 0;
    if (i->pid > 0) info.instance_pids.push_back(i->pid);
  }
  info.inflight = fn.inflight;
  info.queued = fn.queued;
  info.events_pending = fn.events_pending;
  return info;
}

std::vector<FunctionInfo> Platform::Impl::List() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<FunctionInfo> out;
  for (const auto& [name, fn] : functions_) out.push_back(InfoLocked(*fn));
  return out;
}

Result<FunctionInfo> Platform::Impl::Get(const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return NotFound("Function not found: {}", name);
  return InfoLocked(*it->second);
}

// ---------------------------------------------------------------------------------------------
// Platform

Platform::Platform(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Platform::~Platform() { Shutdown(); }

Result<std::unique_ptr<Platform>> Platform::Create(PlatformOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  SL_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Platform>(new Platform(std::move(impl)));
}

Status Platform::RegisterFunction(FunctionSpec spec) { return impl_->Register(std::move(spec)); }

Status Platform::Deploy(const FunctionSpec& spec) {
  FunctionSpec copy = spec;
  if (!impl_->options_.function_image.empty() && copy.kind == HandlerKind::kBuiltin) {
    // As LambdaHost deploys with --function-image: the built-in handler runs from the image,
    // named by the Cmd (Lambda's ImageConfig.Command).
    copy.kind = HandlerKind::kImage;
    copy.image = impl_->options_.function_image;
  }
  Status s = impl_->Register(std::move(copy));
  return s.code() == Code::kAlreadyExists ? Status::Ok() : s;
}

Result<FunctionDescription> Platform::Describe(const std::string& name) const {
  SL_ASSIGN_OR_RETURN(FunctionInfo info, impl_->Get(name));
  FunctionDescription d;
  d.spec = std::move(info.spec);
  d.host = "local";
  d.has_live_state = true;
  d.vcpu = info.vcpu;
  d.instances = info.instances;
  d.idle_instances = info.idle_instances;
  d.inflight = info.inflight;
  d.queued = info.queued;
  return d;
}

Status Platform::LoadFunctionsFile(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::vector<FunctionSpec> specs, faas::LoadFunctionsFile(path));
  // Validate everything first so that a bad file registers nothing.
  for (auto& spec : specs) {
    SL_ASSIGN_OR_RETURN(ProviderProfile profile, LoadProviderProfile(spec.provider));
    FunctionSpec copy = spec;
    SL_RETURN_IF_ERROR(ResolveFunctionSpec(profile, &copy));
    if (GetFunction(spec.name).ok()) {
      return AlreadyExists("{}: function '{}' is already registered", path, spec.name);
    }
  }
  for (auto& spec : specs) SL_RETURN_IF_ERROR(impl_->Register(std::move(spec)));
  return Status::Ok();
}

std::vector<FunctionInfo> Platform::ListFunctions() const { return impl_->List(); }
Result<FunctionInfo> Platform::GetFunction(const std::string& name) const {
  return impl_->Get(name);
}
std::future<InvokeResult> Platform::Invoke(InvokeRequest request) {
  return impl_->Invoke(std::move(request));
}
std::vector<std::future<InvokeResult>> Platform::Map(const std::string& function,
                                                     const std::vector<std::string>& payloads) {
  return impl_->Map(function, payloads);
}
void Platform::RunMaintenance() { impl_->RunMaintenance(); }
void Platform::Shutdown() { impl_->Shutdown(); }
const IsolationReport& Platform::isolation() const { return impl_->isolation_; }
const PlatformOptions& Platform::options() const { return impl_->options_; }
std::string Platform::LogPath(const std::string& function) const {
  return impl_->options_.state_dir + "/logs/" + function + ".log";
}
std::string Platform::LedgerPath() const { return impl_->ledger_path_; }

std::string_view FunctionIsolationName(FunctionIsolation i) {
  switch (i) {
    case FunctionIsolation::kAuto: return "auto";
    case FunctionIsolation::kSandbox: return "sandbox";
    case FunctionIsolation::kNone: return "none";
  }
  return "auto";
}

Result<FunctionIsolation> ParseFunctionIsolation(std::string_view text) {
  for (auto i : {FunctionIsolation::kAuto, FunctionIsolation::kSandbox, FunctionIsolation::kNone}) {
    if (text == FunctionIsolationName(i)) return i;
  }
  return InvalidArgument("function isolation '{}': want auto, sandbox or none", text);
}

}  // namespace sl::faas

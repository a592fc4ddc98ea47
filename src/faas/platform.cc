// The platform core: admission (limits, throttling), FIFO scheduling onto instances under the
// machine's CPU capacity, the Runtime API callbacks, timeouts, process exits, keep-alive, and
// accounting (log stream, ledger, metrics). See platform.h for the contract and instance.h for
// the lock discipline.
#include "faas/platform.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/log.h"
#include "common/metrics.h"
#include "faas/cgroup.h"
#include "faas/deadline_timer.h"
#include "faas/economics/keep_alive_policy.h"
#include "faas/economics/ledger.h"
#include "faas/economics/pricing.h"
#include "faas/economics/provider_profile.h"
#include "faas/functions_file.h"
#include "faas/instance.h"
#include "faas/lambda_format.h"
#include "faas/log_stream.h"
#include "faas/task_runner.h"
#include "faas/zygote_client.h"

#ifndef SL_WORKER_PATH
#define SL_WORKER_PATH ""
#endif

namespace sl::faas {
namespace {

constexpr size_t kTailBytes = 4096;
constexpr size_t kMaxCapturedLog = 64 * 1024;  // per invocation, for tails
constexpr double kInitTimeoutS = 10;            // Lambda's INIT phase limit

using Actions = std::vector<std::function<void()>>;

double MsBetween(SteadyTime a, SteadyTime b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string Hex32() {
  std::string id = RandomRequestId();
  std::string out;
  for (char c : id) {
    if (c != '-') out += c;
  }
  return out;
}

std::string DefaultWorkerPath() {
  if (const char* env = std::getenv("STRAIGHTLINE_WORKER"); env != nullptr && *env) return env;
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) {
    std::string self(buf, static_cast<size_t>(n));
    std::string candidate = self.substr(0, self.rfind('/')) + "/straightline-worker";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return SL_WORKER_PATH;
}

// VmHWM of a process in MB (peak RSS), the fallback when there is no memory cgroup.
int64_t ProcPeakRssMb(pid_t pid, const char* field = "VmHWM:") {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  size_t len = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, len, field) == 0) {
      return (std::atoll(line.c_str() + len) + 1023) / 1024;  // kB → MB, rounded up
    }
  }
  return 0;
}

// Pulls errorType out of an error payload ("" when absent or not JSON).
std::string ErrorTypeOf(const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_object() && j.contains("errorType") && j["errorType"].is_string()) {
    return j["errorType"].get<std::string>();
  }
  return "";
}

}  // namespace

struct FunctionState {
  FunctionSpec spec;
  ProviderProfile profile;
  double vcpu = 0;
  double share = 0;  // what one busy instance takes of local capacity
  bool cpu_enforced = false;
  std::string arn;
  std::unique_ptr<KeepAlivePolicy> policy;
  std::unique_ptr<LogStream> log;
  std::vector<std::shared_ptr<Instance>> instances;  // not dead     GUARDED_BY(mu_)
  int64_t inflight = 0;                              //              GUARDED_BY(mu_)
  int64_t queued = 0;                                //              GUARDED_BY(mu_)
  std::optional<TimePoint> prewarm_at;               //              GUARDED_BY(mu_)
  Nanos prewarm_keep_alive{0};                       //              GUARDED_BY(mu_)
  // Metric cells, looked up once.
  Counter* throttles = nullptr;
  Counter* cold_starts = nullptr;
  Gauge* concurrent = nullptr;
  Gauge* warm = nullptr;
  Histogram* duration = nullptr;
  Histogram* init = nullptr;
  Histogram* queued_hist = nullptr;
};

// What ended an invocation.
struct Completion {
  Status status;              // platform-level (UNAVAILABLE at shutdown, ...)
  Outcome outcome = Outcome::kSuccess;
  std::string payload;
  std::string function_error;  // "" | "Handled" | "Unhandled"
  std::string error_type;
  double timeout_s = 0;        // > 0: timed out after this many seconds
  double duration_ms = 0;
};

class Platform::Impl {
 public:
  explicit Impl(PlatformOptions o) : options_(std::move(o)) {}
  ~Impl() { Shutdown(); }

  Status Init();
  Status Register(FunctionSpec spec);
  std::future<InvokeResult> Invoke(InvokeRequest request);
  std::vector<std::future<InvokeResult>> Map(const std::string& function,
                                             const std::vector<std::string>& payloads);
  void RunMaintenance();
  void Shutdown();
  std::vector<FunctionInfo> List() const;
  Result<FunctionInfo> Get(const std::string& name) const;

  // Runtime API callbacks (server threads).
  void OnNext(const std::shared_ptr<Instance>& inst, HttpResponder respond);
  void OnResult(const std::shared_ptr<Instance>& inst, const std::string& id, std::string body,
                bool error, std::string error_type, HttpResponder respond);
  void OnInitError(const std::shared_ptr<Instance>& inst, std::string body,
                   std::string error_type, HttpResponder respond);

  PlatformOptions options_;
  IsolationReport isolation_;
  std::string ledger_path_;

 private:
  class Delegate;
  FunctionInfo InfoLocked(const FunctionState& fn) const;
  // --- all *Locked methods require mu_; they append work to do after unlocking to `after`.
  void ScheduleLocked(Actions* after);
  void DispatchLocked(const std::shared_ptr<Instance>& inst, std::shared_ptr<Invocation> inv,
                      Actions* after);
  void DeliverLocked(const std::shared_ptr<Instance>& inst, const std::shared_ptr<Invocation>& inv,
                     HttpResponder respond, Actions* after);
  std::shared_ptr<Instance> SpawnLocked(FunctionState* fn, std::shared_ptr<Invocation> bound,
                                        Actions* after);
  void CompleteLocked(const std::shared_ptr<Instance>& inst, const std::shared_ptr<Invocation>& inv,
                      Completion c, Actions* after);
  void MarkDeadLocked(const std::shared_ptr<Instance>& inst, const std::string& reason,
                      Actions* after);
  void BeginIdleLocked(const std::shared_ptr<Instance>& inst);
  void ChargeLocked(Instance* inst, bool charged);
  void UpdateGaugesLocked(FunctionState* fn);
  bool FitsLocked(double share) const {
    return capacity_used_ <= 1e-9 || capacity_used_ + share <= capacity_ + 1e-9;
  }

  std::shared_ptr<ZygoteClient> Zygote() {
    std::lock_guard<std::mutex> l(zygote_mu_);
    return zygote_;
  }
  void Launch(const std::shared_ptr<Instance>& inst);
  void FailLaunch(const std::shared_ptr<Instance>& inst, const Status& why);
  void OnExit(pid_t pid, int status);
  void OnTimeout(const std::weak_ptr<Invocation>& w);
  void OnInitTimeout(const std::weak_ptr<Instance>& w);
  void Cleanup(const std::shared_ptr<Instance>& inst);
  void Finalize(const std::shared_ptr<Instance>& inst, const std::shared_ptr<Invocation>& inv,
                const Completion& c);
  void Deliver(const std::shared_ptr<Invocation>& inv, InvokeResult r);
  void DrainLogs(Instance* inst);
  int64_t MaxMemoryMb(Instance* inst);
  void Record(const InvocationRecord& rec);
  void PumpLoop();
  void MaintenanceLoop();
  std::future<InvokeResult> Reject(const std::string& id, Status s);
  // defer: when a concurrency limit is reached, wait for a slot instead of throttling (Map).
  Status Admit(const std::shared_ptr<Invocation>& inv, const std::string& function, bool dry_run,
               bool defer = false);
  void AdmitDeferredLocked();
  bool LimitedLocked(const FunctionState* fn) const {
    return (fn->spec.reserved_concurrency > 0 && fn->inflight >= fn->spec.reserved_concurrency) ||
           inflight_total_ >= max_concurrency_;
  }
  std::shared_ptr<Invocation> NewInvocation(std::string payload, bool event, bool tail_log);
  void RecordThrottle(FunctionState* fn, const std::string& id);
  static void Run(Actions* after) {
    for (auto& a : *after) a();
    after->clear();
  }

  // Set in Init, immutable afterwards.
  double capacity_ = 1;
  int64_t max_concurrency_ = 1000;
  std::string worker_path_;
  std::unique_ptr<CgroupManager> cgroups_;
  std::unique_ptr<LedgerWriter> ledger_;
  MetricsRegistry* metrics_ = nullptr;
  CounterFamily* invocations_family_ = nullptr;
  CounterFamily* errors_family_ = nullptr;

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FunctionState>> functions_;  // GUARDED_BY(mu_)
  std::deque<std::shared_ptr<Invocation>> queue_;                    // GUARDED_BY(mu_)
  // Map() calls waiting for a concurrency slot (FIFO; not yet counted in flight).
  std::deque<std::shared_ptr<Invocation>> deferred_;                 // GUARDED_BY(mu_)
  std::map<pid_t, std::shared_ptr<Instance>> by_pid_;                // GUARDED_BY(mu_)
  std::map<pid_t, int> early_exits_;  // exits reported before Launch saw the pid  GUARDED_BY(mu_)
  double capacity_used_ = 0;                                         // GUARDED_BY(mu_)
  int64_t inflight_total_ = 0;                                       // GUARDED_BY(mu_)
  uint64_t instance_seq_ = 0;                                        // GUARDED_BY(mu_)
  bool stopping_ = false;                                            // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<Instance>> all_instances_;  // for shutdown   GUARDED_BY(mu_)

  std::mutex zygote_mu_;
  // Copied out under zygote_mu_ and used without it: Stop() joins the thread that reports
  // exits, which may itself be waiting for a platform thread that wants to Kill().
  std::shared_ptr<ZygoteClient> zygote_;  // GUARDED_BY(zygote_mu_)
  Status zygote_status_;                  // GUARDED_BY(zygote_mu_)

  // Log pump: reads every instance's stdout/stderr pipe.
  int epoll_fd_ = -1;
  std::mutex pump_mu_;
  std::map<uint64_t, std::weak_ptr<Instance>> pump_;  // GUARDED_BY(pump_mu_)
  std::atomic<bool> pump_stop_{false};
  std::thread pump_thread_;

  std::mutex maint_mu_;
  std::condition_variable maint_cv_;
  bool maint_stop_ = false;  // GUARDED_BY(maint_mu_)
  std::thread maint_thread_;

  std::atomic<bool> shut_down_{false};
  // Destroyed first (declared last): their callbacks use everything above.
  std::unique_ptr<TaskRunner> lifecycle_;
  std::unique_ptr<DeadlineTimer> timer_;
};

// Routes one instance's Runtime API calls to the platform.
class Platform::Impl::Delegate final : public RuntimeApiServer::Delegate {
 public:
  Delegate(Impl* impl, std::weak_ptr<Instance> inst) : impl_(impl), inst_(std::move(inst)) {}
  void OnNext(HttpResponder respond) override {
    if (auto i = inst_.lock()) impl_->OnNext(i, std::move(respond));
  }
  void OnResponse(const std::string& id, std::string body, HttpResponder respond) override {
    if (auto i = inst_.lock()) impl_->OnResult(i, id, std::move(body), false, "", std::move(respond));
  }
  void OnError(const std::string& id, std::string body, std::string type,
               HttpResponder respond) override {
    if (auto i = inst_.lock()) {
      impl_->OnResult(i, id, std::move(body), true, std::move(type), std::move(respond));
    }
  }
  void OnInitError(std::string body, std::string type, HttpResponder respond) override {
    if (auto i = inst_.lock()) impl_->OnInitError(i, std::move(body), std::move(type), std::move(respond));
  }

 private:
  Impl* impl_;
  std::weak_ptr<Instance> inst_;
};

// ---------------------------------------------------------------------------------------------
// Creation and registration

Status Platform::Impl::Init() {
  if (options_.clock == nullptr) options_.clock = Clock::Real();
  SL_RETURN_IF_ERROR(MakeDirs(options_.state_dir + "/logs"));
  worker_path_ = options_.worker_path.empty() ? DefaultWorkerPath() : options_.worker_path;
  if (worker_path_.empty() || ::access(worker_path_.c_str(), X_OK) != 0) {
    return FailedPrecondition(
        "worker executable '{}' not found or not executable (set PlatformOptions.worker_path "
        "or $STRAIGHTLINE_WORKER)", worker_path_);
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

  metrics_ = options_.metrics ? options_.metrics : MetricsRegistry::Default();
  SL_ASSIGN_OR_RETURN(invocations_family_,
                      metrics_->AddCounter("sl_faas_invocations_total",
                                           "Invocations by function and outcome.",
                                           {"function", "outcome"}));
  SL_ASSIGN_OR_RETURN(errors_family_,
                      metrics_->AddCounter("sl_faas_errors_total",
                                           "Function errors by function and Lambda errorType.",
                                           {"function", "error_type"}));

  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return ErrnoError(errno, "epoll_create1");
  timer_ = std::make_unique<DeadlineTimer>();
  lifecycle_ = std::make_unique<TaskRunner>();
  pump_thread_ = std::thread([this] { PumpLoop(); });
  if (options_.background_maintenance) maint_thread_ = std::thread([this] { MaintenanceLoop(); });
  // Start the template process now, off the caller's thread: its initialisation (libtorch) is
  // paid once per platform, not by the first cold start.
  lifecycle_->Post([this] {
    std::lock_guard<std::mutex> l(zygote_mu_);
    if (zygote_ || !zygote_status_.ok()) return;
    auto z = ZygoteClient::Start(worker_path_, [this](pid_t pid, int st) { OnExit(pid, st); });
    if (z.ok()) {
      zygote_ = std::move(*z);
    } else {
      zygote_status_ = z.status();
      SL_LOG_ERROR("faas", "template process: {}", z.status().ToString());
    }
  });
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
  InvokeResult r;
  r.status = std::move(s);
  r.request_id = id;
  p.set_value(std::move(r));
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
                                                          bool tail_log) {
  auto inv = std::make_shared<Invocation>();
  inv->id = RandomRequestId();
  inv->accepted = std::chrono::steady_clock::now();
  inv->accepted_wall = options_.clock->WallNow();
  inv->tail_log = tail_log;
  inv->event = event;
  inv->payload = std::move(payload);
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
    if (!s.ok()) {
      InvokeResult r;
      r.status = std::move(s);
      r.request_id = inv->id;
      inv->promise.set_value(std::move(r));
    }
  }
  return futures;
}

std::future<InvokeResult> Platform::Impl::Invoke(InvokeRequest request) {
  const bool event = request.type == InvocationType::kEvent;
  auto inv = NewInvocation(std::move(request.payload), event, request.tail_log);
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

}  // namespace sl::faas

namespace sl::faas {

// ---------------------------------------------------------------------------------------------
// Scheduling

void Platform::Impl::ChargeLocked(Instance* inst, bool charged) {
  if (inst->charged == charged) return;
  inst->charged = charged;
  capacity_used_ += charged ? inst->fn->share : -inst->fn->share;
  if (capacity_used_ < 1e-9) capacity_used_ = 0;
}

void Platform::Impl::UpdateGaugesLocked(FunctionState* fn) {
  int64_t ready = 0;
  for (const auto& i : fn->instances) ready += i->state == InstanceState::kReady;
  fn->warm->Set(static_cast<double>(ready));
  fn->concurrent->Set(static_cast<double>(fn->inflight));
}

// Strict FIFO over all functions: the head either gets a ready instance with a free slot, or a
// new instance if local capacity allows, or everyone waits (so large functions never starve).
void Platform::Impl::ScheduleLocked(Actions* after) {
  while (!queue_.empty()) {
    std::shared_ptr<Invocation> inv = queue_.front();
    FunctionState* fn = inv->fn;
    std::shared_ptr<Instance> best;
    for (const auto& i : fn->instances) {
      if (i->state != InstanceState::kReady || i->slots_used >= fn->spec.instance_concurrency) {
        continue;
      }
      if (!best || (i->slots_used > 0 && best->slots_used == 0)) best = i;  // prefer busy: no new CPU
    }
    if (best) {
      if (!best->charged && !FitsLocked(fn->share)) return;
      queue_.pop_front();
      fn->queued--;
      inv->left_queue = std::chrono::steady_clock::now();
      DispatchLocked(best, inv, after);
      continue;
    }
    if (!FitsLocked(fn->share)) return;
    queue_.pop_front();
    fn->queued--;
    inv->left_queue = std::chrono::steady_clock::now();
    SpawnLocked(fn, inv, after);
  }
}

void Platform::Impl::AdmitDeferredLocked() {
  while (!deferred_.empty() && !stopping_) {
    std::shared_ptr<Invocation> inv = deferred_.front();
    FunctionState* fn = inv->fn;
    if (LimitedLocked(fn)) return;  // strict FIFO: the head waits, so do the rest
    deferred_.pop_front();
    fn->inflight++;
    inflight_total_++;
    fn->policy->RecordArrival(fn->spec.name, options_.clock->Now());
    fn->queued++;
    queue_.push_back(inv);
    UpdateGaugesLocked(fn);
  }
}

void Platform::Impl::DispatchLocked(const std::shared_ptr<Instance>& inst,
                                    std::shared_ptr<Invocation> inv, Actions* after) {
  inv->instance = inst;
  inst->slots_used++;
  ChargeLocked(inst.get(), true);
  if (!inst->pollers.empty()) {
    HttpResponder respond = std::move(inst->pollers.front());
    inst->pollers.pop_front();
    DeliverLocked(inst, inv, std::move(respond), after);
  } else {
    inst->assigned.push_back(std::move(inv));
  }
}

void Platform::Impl::DeliverLocked(const std::shared_ptr<Instance>& inst,
                                   const std::shared_ptr<Invocation>& inv, HttpResponder respond,
                                   Actions* after) {
  FunctionState* fn = inst->fn;
  inv->started = std::chrono::steady_clock::now();
  inst->running[inv->id] = inv;
  auto timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(fn->spec.timeout_s));
  std::weak_ptr<Invocation> weak = inv;
  inv->timer_id = timer_->Schedule(inv->started + timeout, [this, weak] { OnTimeout(weak); });
  WallTime wall = Clock::Real()->WallNow();
  auto deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         wall.time_since_epoch() + timeout)
                         .count();
  HttpResponse r;
  r.status = 200;
  r.headers.Set("Content-Type", "application/json");
  r.headers.Set("Lambda-Runtime-Aws-Request-Id", inv->id);
  r.headers.Set("Lambda-Runtime-Deadline-Ms", std::to_string(deadline_ms));
  r.headers.Set("Lambda-Runtime-Invoked-Function-Arn", fn->arn);
  r.headers.Set("Lambda-Runtime-Trace-Id", RandomTraceId(wall));
  r.body = inv->event ? inv->payload : std::move(inv->payload);  // events may be retried
  bool single = fn->spec.instance_concurrency == 1;
  after->push_back([inst, inv, single, respond = std::move(respond), r = std::move(r)]() mutable {
    std::string start = StartLine(inv->id);
    {
      std::lock_guard<std::mutex> l(inst->log_mu);
      if (single) inst->log_target = inv;
      inv->tail += start;
    }
    inst->fn->log->Append(start);
    respond(std::move(r));
  });
}

std::shared_ptr<Instance> Platform::Impl::SpawnLocked(FunctionState* fn,
                                                      std::shared_ptr<Invocation> bound,
                                                      Actions* after) {
  auto inst = std::make_shared<Instance>();
  inst->id = Hex32();
  inst->seq = ++instance_seq_;
  inst->fn = fn;
  inst->created = std::chrono::steady_clock::now();
  if (bound) {
    bound->instance = inst;
    bound->cold = true;
    inst->bound = bound;
    inst->slots_used = 1;
  }
  ChargeLocked(inst.get(), true);
  fn->instances.push_back(inst);
  all_instances_.push_back(inst);
  UpdateGaugesLocked(fn);
  after->push_back([this, inst] { lifecycle_->Post([this, inst] { Launch(inst); }); });
  return inst;
}

void Platform::Impl::BeginIdleLocked(const std::shared_ptr<Instance>& inst) {
  inst->idle_since = options_.clock->Now();
  if (inst->prewarm) {
    inst->decision = KeepAliveDecision{Nanos(0), inst->fn->prewarm_keep_alive, "prewarm"};
    inst->prewarm = false;  // from its first use on it is an ordinary instance
  } else {
    inst->decision = inst->fn->policy->Decide(inst->fn->spec.name);
  }
}

void Platform::Impl::MarkDeadLocked(const std::shared_ptr<Instance>& inst,
                                    const std::string& reason, Actions* after) {
  if (inst->state == InstanceState::kDead) return;
  inst->state = InstanceState::kDead;
  if (inst->kill_reason.empty()) inst->kill_reason = reason;
  ChargeLocked(inst.get(), false);
  auto& v = inst->fn->instances;
  v.erase(std::remove(v.begin(), v.end(), inst), v.end());
  UpdateGaugesLocked(inst->fn);
  if (inst->init_timer) timer_->Cancel(inst->init_timer);
  pid_t pid = inst->pid;
  if (pid > 0) {
    after->push_back([this, pid] {
      if (auto z = Zygote()) z->Kill(pid).IgnoreError();  // exits are reported either way
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Instance launch (lifecycle thread)

void Platform::Impl::Launch(const std::shared_ptr<Instance>& inst) {
  FunctionState* fn = inst->fn;
  bool abandon;
  {
    std::lock_guard<std::mutex> l(mu_);
    abandon = stopping_ || inst->state == InstanceState::kDead;
  }
  if (abandon) return FailLaunch(inst, Unavailable("platform is shutting down"));
  std::shared_ptr<ZygoteClient> zygote;
  {
    std::lock_guard<std::mutex> l(zygote_mu_);
    if (!zygote_status_.ok()) return FailLaunch(inst, zygote_status_);
    zygote = zygote_;
  }
  if (zygote == nullptr) return FailLaunch(inst, Unavailable("template process not started"));
  auto server = RuntimeApiServer::Start(std::make_shared<Delegate>(this, inst),
                                        static_cast<uint64_t>(std::max<int64_t>(
                                            fn->profile.max_sync_response_bytes, 6 << 20)) + 4096);
  if (!server.ok()) return FailLaunch(inst, server.status());
  inst->server = std::move(*server);
  auto cg = cgroups_->CreateInstance(inst->id, fn->spec.memory_mb << 20,
                                     fn->cpu_enforced ? fn->vcpu : 0);
  if (!cg.ok()) return FailLaunch(inst, cg.status().WithContext("instance cgroup"));
  inst->cgroup = std::move(*cg);
  inst->oom_baseline = inst->cgroup->OomKills();
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return FailLaunch(inst, ErrnoError(errno, "pipe2"));
  ::fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  {
    std::lock_guard<std::mutex> l(inst->log_mu);
    inst->log_fd = pipefd[0];
  }

  runtime::SpawnRequest req;
  const bool bootstrap = fn->spec.kind == HandlerKind::kBootstrap;
  std::string worker_dir = worker_path_.substr(0, worker_path_.rfind('/'));
  std::string task_root = bootstrap ? fn->spec.code_dir : worker_dir;
  WallTime wall = Clock::Real()->WallNow();
  auto env = [&](const std::string& k, const std::string& v) { req.env.push_back(k + "=" + v); };
  for (const auto& [k, v] : fn->spec.environment) env(k, v);
  env("AWS_LAMBDA_RUNTIME_API", inst->server->endpoint());
  env("_HANDLER", fn->spec.handler);
  env("AWS_LAMBDA_FUNCTION_NAME", fn->spec.name);
  env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(fn->spec.memory_mb));
  env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
  env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + fn->spec.name);
  env("AWS_LAMBDA_LOG_STREAM_NAME", LogStreamName(wall, inst->id));
  env("AWS_LAMBDA_INITIALIZATION_TYPE", inst->provisioned ? "provisioned-concurrency" : "on-demand");
  env("AWS_REGION", options_.region);
  env("AWS_DEFAULT_REGION", options_.region);
  env("AWS_EXECUTION_ENV", bootstrap ? "AWS_Lambda_provided.al2023" : "straightline-worker");
  env("LAMBDA_TASK_ROOT", task_root);
  env("LAMBDA_RUNTIME_DIR", worker_dir);
  env("PATH", "/usr/local/bin:/usr/bin:/bin");
  env("LANG", "C.UTF-8");
  env("TZ", ":UTC");
  if (const char* tmp = std::getenv("TMPDIR")) env("TMPDIR", tmp);
  if (fn->spec.instance_concurrency > 1) {
    env("AWS_LAMBDA_MAX_CONCURRENCY", std::to_string(fn->spec.instance_concurrency));
  }
  req.cwd = task_root;
  req.cgroup_procs = inst->cgroup->procs_files();
  if (bootstrap) {
    req.exec = true;
    req.argv = {fn->spec.code_dir + "/bootstrap"};
    req.bash_as_sh = options_.amazon_linux_shell;
  } else if (options_.spawn_mode == SpawnMode::kExec) {
    req.exec = true;
    req.argv = {worker_path_};
  }
  fn->log->Append(fmt::format(
      "INIT_START Runtime Version: {} Spawn: {} Memory Limit: {} CPU: {:.3f} vCPU ({}) "
      "Instance: {}\n",
      bootstrap ? "provided (bootstrap)" : "straightline-worker",
      req.exec ? "exec" : "fork-from-template", inst->cgroup->memory_limited() ? "cgroup-v1" : "rss-poll",
      fn->vcpu, inst->cgroup->cpu_limited() ? "cgroup-v1 cfs quota" : "not enforced", inst->id));
  auto pid = zygote->Spawn(std::move(req), pipefd[1]);
  ::close(pipefd[1]);
  if (!pid.ok()) return FailLaunch(inst, pid.status().WithContext("spawn instance"));

  {
    std::lock_guard<std::mutex> l(pump_mu_);
    pump_[inst->seq] = inst;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = inst->seq;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, pipefd[0], &ev);
  }
  Actions after;
  std::optional<int> early;
  {
    std::lock_guard<std::mutex> l(mu_);
    inst->pid = *pid;
    by_pid_[*pid] = inst;
    if (auto it = early_exits_.find(*pid); it != early_exits_.end()) {
      early = it->second;
      early_exits_.erase(it);
    }
    if (inst->state == InstanceState::kDead || stopping_) {
      MarkDeadLocked(inst, "shutdown", &after);  // kill it now that we know its pid
      inst->state = InstanceState::kDead;
      after.push_back([this, pid = *pid] {
        if (auto z = Zygote()) z->Kill(pid).IgnoreError();
      });
    } else {
      std::weak_ptr<Instance> weak = inst;
      auto limit = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(kInitTimeoutS));
      inst->init_timer = timer_->Schedule(inst->created + limit, [this, weak] { OnInitTimeout(weak); });
    }
  }
  Run(&after);
  if (early) OnExit(*pid, *early);
}

void Platform::Impl::FailLaunch(const std::shared_ptr<Instance>& inst, const Status& why) {
  SL_LOG_ERROR("faas", "function '{}': cannot start an instance: {}", inst->fn->spec.name,
               why.ToString());
  Actions after;
  std::shared_ptr<Invocation> bound;
  {
    std::lock_guard<std::mutex> l(mu_);
    MarkDeadLocked(inst, "launch failed", &after);
    bound = inst->bound;
    if (bound && !bound->done) {
      Completion c;
      c.status = Unavailable("function '{}': cannot start an instance: {}", inst->fn->spec.name,
                             why.ToString());
      CompleteLocked(inst, bound, std::move(c), &after);
    }
    ScheduleLocked(&after);
  }
  Run(&after);
  Cleanup(inst);
}

// ---------------------------------------------------------------------------------------------
// Runtime API callbacks

void Platform::Impl::OnNext(const std::shared_ptr<Instance>& inst, HttpResponder respond) {
  Actions after;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (inst->state == InstanceState::kDead) return;  // being killed; the responder is dropped
    if (inst->state == InstanceState::kStarting) {
      inst->state = InstanceState::kReady;
      if (inst->init_timer) timer_->Cancel(inst->init_timer);
      inst->init_timer = 0;
      double init_ms = MsBetween(inst->created, std::chrono::steady_clock::now());
      inst->fn->init->Observe(init_ms / 1000.0);
      UpdateGaugesLocked(inst->fn);
      if (auto bound = inst->bound; bound && !bound->done) {
        inst->bound.reset();
        bound->init_ms = init_ms;
        inst->fn->cold_starts->Inc();
        DeliverLocked(inst, bound, std::move(respond), &after);
      } else {
        inst->bound.reset();
        inst->slots_used = 0;
        inst->pollers.push_back(std::move(respond));
        ChargeLocked(inst.get(), false);
        BeginIdleLocked(inst);
        ScheduleLocked(&after);
      }
    } else if (!inst->assigned.empty()) {
      auto inv = std::move(inst->assigned.front());
      inst->assigned.pop_front();
      DeliverLocked(inst, inv, std::move(respond), &after);
    } else {
      inst->pollers.push_back(std::move(respond));
    }
  }
  Run(&after);
}

void Platform::Impl::OnResult(const std::shared_ptr<Instance>& inst, const std::string& id,
                              std::string body, bool error, std::string error_type,
                              HttpResponder respond) {
  Actions after;
  HttpResponse reply = RuntimeApiServer::Accepted();
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = inst->running.find(id);
    if (it == inst->running.end()) {
      reply = RuntimeApiServer::Error(400, "InvalidRequestID",
                                      "no invocation " + id + " in flight on this instance");
    } else {
      std::shared_ptr<Invocation> inv = it->second;
      FunctionState* fn = inst->fn;
      Completion c;
      int64_t limit = fn->profile.max_sync_response_bytes;
      if (!error && limit > 0 && static_cast<int64_t>(body.size()) > limit) {
        c.outcome = Outcome::kUnhandled;
        c.function_error = "Unhandled";
        c.error_type = "Function.ResponseSizeTooLarge";
        c.payload = ErrorJson(fmt::format("Response payload size ({} bytes) exceeded maximum "
                                          "allowed payload size ({} bytes).",
                                          body.size(), limit),
                              c.error_type);
        reply = RuntimeApiServer::Error(413, "RequestEntityTooLarge", c.payload);
      } else if (error) {
        c.outcome = Outcome::kHandledError;
        c.function_error = "Handled";
        c.error_type = ErrorTypeOf(body);
        if (c.error_type.empty()) c.error_type = error_type.empty() ? "Unhandled" : error_type;
        c.payload = body.empty() ? ErrorJson("handler reported an error", c.error_type)
                                 : std::move(body);
      } else {
        c.payload = std::move(body);
      }
      CompleteLocked(inst, inv, std::move(c), &after);
      ScheduleLocked(&after);  // the freed slot (and capacity) may serve the queue
    }
  }
  respond(std::move(reply));
  Run(&after);
}

void Platform::Impl::OnInitError(const std::shared_ptr<Instance>& inst, std::string body,
                                 std::string error_type, HttpResponder respond) {
  Actions after;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (inst->state == InstanceState::kStarting) {
      std::string type = ErrorTypeOf(body);
      if (type.empty()) type = error_type.empty() ? "Runtime.InitError" : error_type;
      if (body.empty()) body = ErrorJson("init failed", type);
      std::shared_ptr<Invocation> bound = inst->bound;
      MarkDeadLocked(inst, "init error", &after);
      if (bound && !bound->done) {
        bound->init_ms = MsBetween(inst->created, std::chrono::steady_clock::now());
        Completion c;
        c.outcome = Outcome::kUnhandled;
        c.function_error = "Unhandled";
        c.error_type = type;
        c.payload = std::move(body);
        CompleteLocked(inst, bound, std::move(c), &after);
      }
      ScheduleLocked(&after);
    }
  }
  respond(RuntimeApiServer::Accepted());
  Run(&after);
}

// ---------------------------------------------------------------------------------------------
// Completion

void Platform::Impl::CompleteLocked(const std::shared_ptr<Instance>& inst,
                                    const std::shared_ptr<Invocation>& inv, Completion c,
                                    Actions* after) {
  if (inv->done) return;
  inv->done = true;
  if (inv->timer_id) timer_->Cancel(inv->timer_id);
  const auto now = std::chrono::steady_clock::now();
  c.duration_ms = inv->started.time_since_epoch().count() ? MsBetween(inv->started, now) : 0;
  FunctionState* fn = inv->fn;
  if (inst) {
    bool was_running = inst->running.erase(inv->id) > 0;
    auto& a = inst->assigned;
    bool was_assigned = std::find(a.begin(), a.end(), inv) != a.end();
    a.erase(std::remove(a.begin(), a.end(), inv), a.end());
    bool was_bound = inst->bound == inv;
    if (was_bound) inst->bound.reset();
    if (was_running || was_assigned || was_bound) inst->slots_used--;
    if (inst->state == InstanceState::kReady && inst->slots_used == 0) {
      ChargeLocked(inst.get(), false);
      BeginIdleLocked(inst);
    }
  }
  fn->inflight--;
  inflight_total_--;
  fn->policy->RecordCompletion(fn->spec.name, options_.clock->Now());
  UpdateGaugesLocked(fn);
  AdmitDeferredLocked();
  after->push_back([this, inst, inv, c = std::move(c)] { Finalize(inst, inv, c); });
}

void Platform::Impl::DrainLogs(Instance* inst) {
  std::lock_guard<std::mutex> l(inst->log_mu);
  if (inst->log_fd < 0) return;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(inst->log_fd, buf, sizeof(buf));
    if (n > 0) {
      std::string_view chunk(buf, static_cast<size_t>(n));
      inst->fn->log->Append(chunk);
      if (inst->log_target && inst->log_target->tail.size() < kMaxCapturedLog) {
        inst->log_target->tail.append(chunk);
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EAGAIN (nothing more now) or EOF
  }
}

int64_t Platform::Impl::MaxMemoryMb(Instance* inst) {
  std::lock_guard<std::mutex> l(inst->log_mu);
  if (inst->cgroup && inst->cgroup->memory_limited()) {
    int64_t b = inst->cgroup->PeakMemoryBytes();
    if (b >= 0) return (b + (1 << 20) - 1) >> 20;
  }
  return inst->pid > 0 ? ProcPeakRssMb(inst->pid) : 0;
}

void Platform::Impl::Record(const InvocationRecord& rec) {
  Status s = ledger_->Append(rec);
  if (!s.ok()) SL_LOG_WARN("faas", "ledger {}: {}", ledger_path_, s.ToString());
}

void Platform::Impl::Finalize(const std::shared_ptr<Instance>& inst,
                              const std::shared_ptr<Invocation>& inv, const Completion& c) {
  FunctionState* fn = inv->fn;
  InvokeResult r;
  r.status = c.status;
  r.request_id = inv->id;
  if (!c.status.ok()) {
    if (inv->event) return;
    inv->promise.set_value(std::move(r));
    return;
  }
  const bool ran = inst != nullptr && inst->pid > 0;
  if (ran) DrainLogs(inst.get());
  r.payload = c.payload;
  r.function_error = c.function_error;
  r.cold_start = inv->cold;
  r.init_ms = inv->cold ? inv->init_ms : 0;
  r.duration_ms = c.duration_ms;
  r.queued_ms = std::max(0.0, MsBetween(inv->accepted, inv->left_queue));
  r.max_memory_mb = ran ? MaxMemoryMb(inst.get()) : 0;
  auto billed = PriceInvocation(fn->profile, r.duration_ms, fn->spec.memory_mb, r.max_memory_mb,
                                r.init_ms);
  if (billed.ok()) {
    r.billed_ms = billed->billed_ms;
    r.cost_usd = billed->cost_usd;
  } else {
    SL_LOG_WARN("faas", "function '{}': pricing request {}: {}", fn->spec.name, inv->id,
                billed.status().ToString());
  }
  std::string lines;
  if (c.timeout_s > 0) lines += TimeoutLogLine(Clock::Real()->WallNow(), inv->id, c.timeout_s);
  lines += EndLine(inv->id);
  ReportFields rf;
  rf.duration_ms = r.duration_ms;
  rf.billed_ms = r.billed_ms;
  rf.memory_mb = fn->spec.memory_mb;
  rf.max_memory_used_mb = r.max_memory_mb;
  rf.init_ms = inv->cold ? r.init_ms : -1;
  if (c.outcome == Outcome::kTimeout) rf.status = "timeout";
  if (c.outcome == Outcome::kCrash || c.outcome == Outcome::kOutOfMemory) {
    rf.status = "error";
    rf.error_type = c.error_type;
  }
  lines += ReportLine(inv->id, rf);
  fn->log->Append(lines);
  if (inst) {
    std::lock_guard<std::mutex> l(inst->log_mu);
    if (inst->log_target == inv) inst->log_target.reset();
    inv->tail += lines;
    if (inv->tail_log) {
      r.log_tail = inv->tail.size() > kTailBytes ? inv->tail.substr(inv->tail.size() - kTailBytes)
                                                 : inv->tail;
    }
  }

  InvocationRecord rec;
  rec.request_id = inv->id;
  rec.function = fn->spec.name;
  rec.provider = fn->profile.name;
  rec.instance_id = inst ? inst->id : "";
  rec.memory_mb = fn->spec.memory_mb;
  rec.cold_start = r.cold_start;
  rec.init_ms = r.init_ms;
  rec.duration_ms = r.duration_ms;
  rec.billed_ms = r.billed_ms;
  rec.max_memory_used_mb = r.max_memory_mb;
  rec.cost_usd = r.cost_usd;
  rec.outcome = c.outcome;
  rec.error_type = c.error_type;
  rec.start_time = inv->accepted_wall;
  rec.queued_ms = r.queued_ms;
  rec.cpu_enforced = fn->cpu_enforced;
  Record(rec);

  if (auto cnt = invocations_family_->WithLabels({fn->spec.name, std::string(OutcomeName(c.outcome))});
      cnt.ok()) {
    (*cnt)->Inc();
  }
  if (!c.error_type.empty()) {
    if (auto e = errors_family_->WithLabels({fn->spec.name, c.error_type}); e.ok()) (*e)->Inc();
  }
  fn->duration->Observe(r.duration_ms / 1000.0);
  fn->queued_hist->Observe(r.queued_ms / 1000.0);

  if (inv->event) {
    if (!r.function_error.empty() && inv->attempt < 2) {
      // Lambda retries a failed asynchronous invocation twice (it waits ~1 and ~2 minutes
      // between attempts; we retry at once — the attempt count is what is observable here).
      auto again = NewInvocation(inv->payload, true, false);
      again->attempt = inv->attempt + 1;
      SL_LOG_INFO("faas", "event {} of '{}' failed ({}); retry {} of 2 as {}", inv->id,
                  fn->spec.name, c.error_type, again->attempt, again->id);
      Status s = Admit(again, fn->spec.name, false);
      if (!s.ok()) SL_LOG_WARN("faas", "event retry of {}: {}", inv->id, s.ToString());
    }
    return;
  }
  inv->promise.set_value(std::move(r));
}

// ---------------------------------------------------------------------------------------------
// Timeouts, exits, cleanup

void Platform::Impl::OnTimeout(const std::weak_ptr<Invocation>& w) {
  auto inv = w.lock();
  if (!inv) return;
  Actions after;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (inv->done) return;
    std::shared_ptr<Instance> inst = inv->instance;
    // Lambda resets the execution environment after a timeout: the next call is a cold start.
    if (inst) MarkDeadLocked(inst, "timeout", &after);
    Completion c;
    c.outcome = Outcome::kTimeout;
    c.function_error = "Unhandled";
    c.error_type = "Sandbox.Timedout";
    c.timeout_s = inv->fn->spec.timeout_s;
    c.payload = TimeoutErrorJson(Clock::Real()->WallNow(), inv->id, c.timeout_s);
    CompleteLocked(inst, inv, std::move(c), &after);
    ScheduleLocked(&after);
  }
  Run(&after);
}

void Platform::Impl::OnInitTimeout(const std::weak_ptr<Instance>& w) {
  auto inst = w.lock();
  if (!inst) return;
  Actions after;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (inst->state != InstanceState::kStarting) return;
    std::shared_ptr<Invocation> bound = inst->bound;
    MarkDeadLocked(inst, "init timeout", &after);
    if (bound && !bound->done) {
      bound->init_ms = kInitTimeoutS * 1000;
      Completion c;
      c.outcome = Outcome::kTimeout;
      c.function_error = "Unhandled";
      c.error_type = "Runtime.InitTimeout";
      c.payload = ErrorJson(fmt::format("INIT phase did not finish within {:.2f} seconds",
                                        kInitTimeoutS), c.error_type);
      CompleteLocked(inst, bound, std::move(c), &after);
    }
    ScheduleLocked(&after);
  }
  Run(&after);
}

void Platform::Impl::OnExit(pid_t pid, int status) {
  Actions after;
  std::shared_ptr<Instance> inst;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) {
      early_exits_[pid] = status;
      return;
    }
    inst = it->second;
    by_pid_.erase(it);
  }
  // Read the OOM counter before taking mu_ again: cgroup files are the instance's I/O.
  bool oom;
  {
    std::lock_guard<std::mutex> l(inst->log_mu);
    oom = inst->cgroup && inst->cgroup->OomKills() > inst->oom_baseline;
  }
  DrainLogs(inst.get());
  {
    std::lock_guard<std::mutex> l(mu_);
    oom = oom || inst->kill_reason == "oom";
    if (inst->kill_reason.empty()) {
      SL_LOG_INFO("faas", "function '{}': instance {} (pid {}) exited: {}{}", inst->fn->spec.name,
                  inst->id, pid, DescribeWaitStatus(status), oom ? " (out of memory)" : "");
    }
    MarkDeadLocked(inst, oom ? "oom" : "exit", &after);
    std::vector<std::shared_ptr<Invocation>> victims;
    for (auto& [id, inv] : inst->running) victims.push_back(inv);
    for (auto& inv : inst->assigned) victims.push_back(inv);
    if (inst->bound) victims.push_back(inst->bound);
    for (auto& inv : victims) {
      if (inv->done) continue;
      if (inv == inst->bound) inv->init_ms = MsBetween(inst->created, std::chrono::steady_clock::now());
      Completion c;
      c.function_error = "Unhandled";
      if (stopping_) {
        c.status = Unavailable("platform shut down while request {} ran", inv->id);
      } else if (oom) {
        c.outcome = Outcome::kOutOfMemory;
        c.error_type = "Runtime.OutOfMemory";
        c.payload = OutOfMemoryErrorJson(inv->id);
      } else {
        c.outcome = Outcome::kCrash;
        c.error_type = "Runtime.ExitError";
        c.payload = ExitErrorJson(inv->id, status);
      }
      CompleteLocked(inst, inv, std::move(c), &after);
    }
    inst->pollers.clear();
    ScheduleLocked(&after);
  }
  Run(&after);
  Cleanup(inst);
}

void Platform::Impl::Cleanup(const std::shared_ptr<Instance>& inst) {
  DrainLogs(inst.get());
  {
    std::lock_guard<std::mutex> l(pump_mu_);
    pump_.erase(inst->seq);
  }
  if (inst->server) inst->server->Stop();
  std::lock_guard<std::mutex> l(inst->log_mu);
  if (inst->log_fd >= 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, inst->log_fd, nullptr);
    ::close(inst->log_fd);
    inst->log_fd = -1;
  }
  inst->cgroup.reset();  // kills stragglers, removes the directories
  std::lock_guard<std::mutex> ml(mu_);
  auto& all = all_instances_;
  all.erase(std::remove(all.begin(), all.end(), inst), all.end());
}

// ---------------------------------------------------------------------------------------------
// Background threads

void Platform::Impl::PumpLoop() {
  epoll_event events[32];
  while (!pump_stop_.load()) {
    int n = ::epoll_wait(epoll_fd_, events, 32, 100);
    for (int i = 0; i < n; ++i) {
      std::shared_ptr<Instance> inst;
      {
        std::lock_guard<std::mutex> l(pump_mu_);
        auto it = pump_.find(events[i].data.u64);
        if (it != pump_.end()) inst = it->second.lock();
      }
      if (!inst) continue;
      DrainLogs(inst.get());
      if (events[i].events & (EPOLLHUP | EPOLLERR)) {
        // Every writer closed the pipe (the instance exited): stop polling it; Cleanup closes it.
        std::lock_guard<std::mutex> l(inst->log_mu);
        if (inst->log_fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, inst->log_fd, nullptr);
      }
    }
  }
}

void Platform::Impl::MaintenanceLoop() {
  std::unique_lock<std::mutex> l(maint_mu_);
  while (!maint_stop_) {
    maint_cv_.wait_for(l, options_.maintenance_interval);
    if (maint_stop_) break;
    l.unlock();
    RunMaintenance();
    l.lock();
  }
}

void Platform::Impl::RunMaintenance() {
  Actions after;
  std::vector<std::pair<std::shared_ptr<Instance>, pid_t>> rss_check;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    const TimePoint now = options_.clock->Now();
    for (auto& [name, fnp] : functions_) {
      FunctionState* fn = fnp.get();
      std::vector<std::shared_ptr<Instance>> expired;
      int64_t provisioned = 0;
      for (const auto& inst : fn->instances) {
        if (inst->provisioned) ++provisioned;
        if (inst->state != InstanceState::kReady) continue;
        if (!isolation_.memory_cgroup && inst->pid > 0) rss_check.emplace_back(inst, inst->pid);
        if (inst->slots_used == 0 && !inst->provisioned &&
            ShouldUnload(inst->decision, inst->idle_since, now)) {
          expired.push_back(inst);
        }
      }
      for (const auto& inst : expired) {
        if (inst->decision.pre_warm > Nanos(0)) {
          fn->prewarm_at = inst->idle_since + inst->decision.pre_warm;
          fn->prewarm_keep_alive = inst->decision.keep_alive;
        }
        SL_LOG_DEBUG("faas", "function '{}': unloading idle instance {} ({})", name, inst->id,
                     inst->decision.reason);
        MarkDeadLocked(inst, "keep-alive expired", &after);
      }
      if (fn->prewarm_at && now >= *fn->prewarm_at) {
        fn->prewarm_at.reset();
        if (fn->instances.empty()) {
          auto inst = SpawnLocked(fn, nullptr, &after);
          inst->prewarm = true;
        }
      }
      for (; provisioned < fn->spec.provisioned_concurrency; ++provisioned) {
        auto inst = SpawnLocked(fn, nullptr, &after);
        inst->provisioned = true;
      }
    }
  }
  Run(&after);
  // Without a memory cgroup the limit is enforced by polling RSS (coarse: between polls an
  // instance can overshoot). Checked outside mu_: /proc reads are slow-ish.
  for (auto& [inst, pid] : rss_check) {
    int64_t rss = ProcPeakRssMb(pid, "VmRSS:");
    if (rss > inst->fn->spec.memory_mb) {
      std::lock_guard<std::mutex> l(mu_);
      if (inst->state == InstanceState::kDead) continue;
      SL_LOG_INFO("faas", "function '{}': instance {} uses {} MB > {} MB: killing (rss-poll)",
                  inst->fn->spec.name, inst->id, rss, inst->fn->spec.memory_mb);
      inst->kill_reason = "oom";
      MarkDeadLocked(inst, "oom", &after);
    }
  }
  Run(&after);
}

void Platform::Impl::Shutdown() {
  if (shut_down_.exchange(true)) return;
  std::vector<std::shared_ptr<Invocation>> queued;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    queued.assign(queue_.begin(), queue_.end());
    queue_.clear();
    for (auto& inv : deferred_) {
      InvokeResult r;
      r.status = Unavailable("platform shut down before request {} ran", inv->id);
      r.request_id = inv->id;
      inv->promise.set_value(std::move(r));
    }
    deferred_.clear();
  }
  for (auto& inv : queued) {
    Actions after;
    {
      std::lock_guard<std::mutex> l(mu_);
      inv->fn->queued--;
      Completion c;
      c.status = Unavailable("platform shut down before request {} ran", inv->id);
      CompleteLocked(nullptr, inv, std::move(c), &after);
    }
    Run(&after);
  }
  if (maint_thread_.joinable()) {
    {
      std::lock_guard<std::mutex> l(maint_mu_);
      maint_stop_ = true;
    }
    maint_cv_.notify_all();
    maint_thread_.join();
  }
  if (lifecycle_) lifecycle_->Stop();  // pending launches see stopping_ and kill what they start
  if (auto z = Zygote()) z->Stop();  // the template kills every instance; exits arrive meanwhile
  std::vector<std::shared_ptr<Instance>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    all = all_instances_;
  }
  for (auto& inst : all) {
    Actions after;
    {
      std::lock_guard<std::mutex> l(mu_);
      std::vector<std::shared_ptr<Invocation>> victims;
      for (auto& [id, inv] : inst->running) victims.push_back(inv);
      for (auto& inv : inst->assigned) victims.push_back(inv);
      if (inst->bound) victims.push_back(inst->bound);
      for (auto& inv : victims) {
        Completion c;
        c.status = Unavailable("platform shut down while request {} ran", inv->id);
        CompleteLocked(inst, inv, std::move(c), &after);
      }
      inst->state = InstanceState::kDead;
      inst->pollers.clear();
    }
    Run(&after);
    Cleanup(inst);
  }
  pump_stop_ = true;
  if (pump_thread_.joinable()) pump_thread_.join();
  timer_.reset();
  {
    std::lock_guard<std::mutex> l(zygote_mu_);
    zygote_.reset();
  }
  cgroups_.reset();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  epoll_fd_ = -1;
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
  }
  info.inflight = fn.inflight;
  info.queued = fn.queued;
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

}  // namespace sl::faas

// Platform-internal: the state behind Platform (platform.h), shared by the files that implement
// it — platform.cc (creation, admission, introspection), platform_schedule.cc (FIFO scheduling,
// Runtime API callbacks, completion), platform_lifecycle.cc (launching instances, exits,
// timeouts, keep-alive maintenance, shutdown) and platform_accounting.cc (log streams, ledger,
// metrics, pricing of each finished invocation). Nothing outside src/faas includes it.
//
// Locking: mu_ guards the scheduling state (functions, queue, instances' scheduling fields; see
// instance.h). Methods named *Locked require mu_ and never block; they append what must happen
// after unlocking (answering a Runtime API poll, killing a process, finalising an invocation) to
// an Actions list that the caller runs once mu_ is released. Lock order: mu_ → Instance::log_mu;
// zygote_mu_ and pump_mu_ are leaves.
#pragma once

#include "faas/platform.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/log.h"
#include "common/metrics.h"
#include "faas/cgroup.h"
#include "common/deadline_timer.h"
#include "faas/economics/keep_alive_policy.h"
#include "faas/economics/ledger.h"
#include "faas/economics/pricing.h"
#include "faas/economics/provider_profile.h"
#include "faas/functions_file.h"
#include "faas/instance.h"
#include "faas/lambda_format.h"
#include "faas/log_stream.h"
#include "faas/task_runner.h"
#include "faas/sandbox/instance_network.h"
#include "package/unpacked_image.h"
#include "faas/sandbox/sandbox_probe.h"
#include "faas/zygote_client.h"

namespace sl::faas {

// Small helpers shared by the platform_*.cc files.

inline constexpr size_t kTailBytes = 4096;
inline constexpr size_t kMaxCapturedLog = 64 * 1024;  // per invocation, for tails
inline constexpr double kInitTimeoutS = 10;            // Lambda's INIT phase limit

using Actions = std::vector<std::function<void()>>;

inline double MsBetween(SteadyTime a, SteadyTime b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

inline std::string Hex32() {
  std::string id = RandomRequestId();
  std::string out;
  for (char c : id) {
    if (c != '-') out += c;
  }
  return out;
}

// straightline-worker, found at run time (no build-time path: sl_faas need not wait for the
// worker, which links the ML layers): $STRAIGHTLINE_WORKER; else next to this executable (an
// install, build/straightline); else in $STRAIGHTLINE_BINARY_DIR (CTest sets it); else in up to
// three folders above this executable (build/src/faas/faas_test, build/bench/cold_start).
// "" when none is executable.
inline std::string DefaultWorkerPath() {
  if (const char* env = std::getenv("STRAIGHTLINE_WORKER"); env != nullptr && *env) return env;
  std::vector<std::string> dirs;
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  std::string self = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  std::string dir = self.substr(0, self.rfind('/') == std::string::npos ? 0 : self.rfind('/'));
  if (!dir.empty()) dirs.push_back(dir);
  if (const char* env = std::getenv("STRAIGHTLINE_BINARY_DIR"); env != nullptr && *env) dirs.push_back(env);
  for (int up = 0; up < 3 && dir.rfind('/') != std::string::npos && dir.rfind('/') > 0; ++up) {
    dir = dir.substr(0, dir.rfind('/'));
    dirs.push_back(dir);
  }
  for (const auto& d : dirs) {
    std::string candidate = d + "/straightline-worker";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// VmHWM of a process in MB (peak RSS), the fallback when there is no memory cgroup.
inline int64_t ProcPeakRssMb(pid_t pid, const char* field = "VmHWM:") {
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
// The same for an instance (the rss-poll fallback): a sandboxed instance's pid is its
// namespace's init, whose pages are the template's; the instance is init's child.
inline int64_t InstanceRssMb(pid_t pid, bool sandboxed, const char* field = "VmHWM:") {
  if (!sandboxed) return ProcPeakRssMb(pid, field);
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  int64_t total = 0;
  pid_t child;
  while (in >> child) total += ProcPeakRssMb(child, field);
  return total;
}


// Pulls errorType out of an error payload ("" when absent or not JSON).
inline std::string ErrorTypeOf(const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_object() && j.contains("errorType") && j["errorType"].is_string()) {
    return j["errorType"].get<std::string>();
  }
  return "";
}


struct FunctionState {
  FunctionSpec spec;
  ProviderProfile profile;
  double vcpu = 0;
  double share = 0;  // what one busy instance takes of local capacity
  bool cpu_enforced = false;
  std::string arn;
  std::unique_ptr<KeepAlivePolicy> policy;
  std::unique_ptr<LogStream> log;
  std::vector<sockaddr_in> egress;  // resolved at registration: what a sandboxed instance may reach
  std::vector<runtime::SandboxMount> mounts;  // host paths a sandboxed instance sees
  std::shared_ptr<const package::UnpackedImage> image;  // kImage: unpacked once, shared by instances
  std::vector<std::shared_ptr<Instance>> instances;  // not dead     GUARDED_BY(mu_)
  int64_t inflight = 0;                              //              GUARDED_BY(mu_)
  int64_t queued = 0;                                //              GUARDED_BY(mu_)
  // Event invocations accepted whose last attempt (retries included) has not finished.
  int64_t events_pending = 0;                        //              GUARDED_BY(mu_)
  PrewarmSchedule prewarm;                           //              GUARDED_BY(mu_)
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
  std::string sandbox_root_;  // <state_dir>/sandbox-root: an empty mount point for instance roots
  std::string runc_path_;     // for image functions; "" until the first one registers
  std::mutex images_mu_;
  std::map<std::string, std::shared_ptr<const package::UnpackedImage>> images_;  // by reference  GUARDED_BY(images_mu_)
  // Unpacks (once per reference) the image of a kImage function.
  Result<std::shared_ptr<const package::UnpackedImage>> ImageFor(const FunctionSpec& spec);
  // Writes the runc bundle of an image instance and fills `req` to start it (`runc run`).
  Status PrepareImageInstance(const std::shared_ptr<Instance>& inst, runtime::SpawnRequest* req);
  // `runc delete --force` of an image instance's container, and its bundle directory.
  void RemoveImageContainer(Instance* inst);

 private:
  class Delegate;
  FunctionInfo InfoLocked(const FunctionState& fn) const;
  // What a function's sandboxed instances may reach (FunctionState::egress, ::mounts).
  Status ResolveSandboxAccess(FunctionState* fn) const;
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

  // The CPU an instance gets during INIT: max(its size's vCPU, 1), within this machine.
  double InitVcpu(const FunctionState* fn) const { return std::max(fn->vcpu, std::min(1.0, capacity_)); }
  // The template processes (zygote.h) instances start from. kMl is worker_path_'s (libtorch and
  // the ML handlers); kBase is straightline-worker-base's (no libtorch): built-in handlers it
  // has, and bootstrap, image and exec'd instances, which exec another program anyway. Without
  // a base worker both slots name worker_path_ and TemplateFor() always answers kMl.
  enum TemplateKind { kMl = 0, kBase = 1 };
  TemplateKind TemplateFor(const FunctionState& fn) const;
  // The program an exec'd (SpawnMode::kExec) built-in instance runs.
  const std::string& WorkerFor(const FunctionState& fn) const {
    return fn.spec.kind == HandlerKind::kBuiltin && base_handlers_.count(fn.spec.handler) > 0
               ? templates_[kBase].path
               : worker_path_;
  }
  // Starts the template (once; later calls return at once) on the lifecycle thread, so that
  // its initialisation is paid before the first cold start, off the caller's thread.
  void PrestartTemplate(TemplateKind kind);
  // Starts it now if it is not running (lifecycle thread only), and returns it with when it had
  // settled, or why it cannot start.
  Result<std::pair<std::shared_ptr<ZygoteClient>, std::chrono::steady_clock::time_point>>
  StartedTemplate(TemplateKind kind);
  // SIGKILLs an instance: asks every template, since only the one that spawned it has it among
  // its children and the others ignore the pid (runtime/zygote.cc), so a recycled pid is safe.
  void KillInstanceProcess(pid_t pid);
  // Every running template, for shutdown.
  std::vector<std::shared_ptr<ZygoteClient>> Templates();
  void Launch(const std::shared_ptr<Instance>& inst);
  void FailLaunch(const std::shared_ptr<Instance>& inst, const Status& why);
  void OnExit(pid_t pid, int status);
  void OnTimeout(const std::weak_ptr<Invocation>& w);
  void OnInitTimeout(const std::weak_ptr<Instance>& w);
  void Cleanup(const std::shared_ptr<Instance>& inst);
  // An event invocation's last attempt ended (succeeded, or failed with no retry left or
  // admitted): it no longer counts in events_pending. Takes mu_.
  void EventEnded(FunctionState* fn);
  void Finalize(const std::shared_ptr<Instance>& inst, const std::shared_ptr<Invocation>& inv,
                const Completion& c);
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
  std::shared_ptr<Invocation> NewInvocation(std::string payload, bool event, bool tail_log,
                                            std::string stage = "");
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
  CounterFamily* cost_family_ = nullptr;  // sl_faas_cost_usd_total{function, provider}

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

  // The built-in handler names straightline-worker-base has (runtime/builtin_handlers.h); empty
  // without a base worker. Set in Init.
  std::set<std::string> base_handlers_;

  std::mutex zygote_mu_;
  struct TemplateSlot {
    std::string path;  // the worker executable (set in Init, immutable)
    // Copied out under zygote_mu_ and used without it: Stop() joins the thread that reports
    // exits, which may itself be waiting for a platform thread that wants to Kill().
    std::shared_ptr<ZygoteClient> client;  // GUARDED_BY(zygote_mu_)
    Status status;                         // GUARDED_BY(zygote_mu_)
    // When the template process had booted (or failed to): what an invocation waited for before
    // this is platform start, not queueing (InvokeResult::platform_start_ms).
    std::optional<std::chrono::steady_clock::time_point> settled;  // GUARDED_BY(zygote_mu_)
    bool prestart_posted = false;                                  // GUARDED_BY(zygote_mu_)
  };
  std::array<TemplateSlot, 2> templates_;

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

}  // namespace sl::faas

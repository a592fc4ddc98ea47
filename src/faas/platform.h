// Platform: the local function platform — straightline's embedded FaaS. It owns the registered
// functions and their instances (real OS processes speaking the AWS Lambda Runtime API), runs
// invocations on them with Lambda's semantics and limits, and records every invocation in the
// ledger, the function's log stream and the metrics registry. It is the "local" FunctionHost
// (function_host.h), which is all the rest of straightline needs; the HTTP front (front/) serves it as the Lambda
// Invoke API.
//
//   PlatformOptions o; o.state_dir = "/tmp/run";
//   SL_ASSIGN_OR_RETURN(auto platform, Platform::Create(o));
//   SL_RETURN_IF_ERROR(platform->LoadFunctionsFile("functions.yaml"));
//   InvokeResult r = platform->Invoke({.function = "echo", .payload = "{}"}).get();
//
// Lifecycle of an instance: spawned on demand (forked from a pre-initialised template process,
// see zygote.h, or exec'd), cold start measured from spawn to its first /invocation/next
// (init_ms); then warm reuse, `instance_concurrency` requests at a time; idle instances are
// unloaded when the function's keep-alive policy says so (evaluated by RunMaintenance at
// options.clock's time — tests drive a FakeClock and call it; a background thread calls it
// otherwise). Provisioned instances are never unloaded.
//
// Local capacity: at most `local_cpus` vCPUs of instances run at once (each instance counts the
// CPU its memory buys under its profile, capped at local_cpus). Invocations beyond that wait in
// FIFO order; the wait is reported as queued_ms, never as duration.
//
// Limits (see docs in each .cc): timeout (instance killed, "Task timed out after N.NN seconds"),
// memory (cgroup v1 memory.limit_in_bytes when available, else RSS polling), process exit/crash
// (Runtime.ExitError, instance replaced), payload size (OUT_OF_RANGE), concurrency per function
// and in total (RESOURCE_EXHAUSTED). isolation() says which of these are really enforced here.
//
// Durations and timeouts are measured on the real monotonic clock (the processes run in real
// time); options.clock drives only keep-alive and scale-to-zero decisions.
//
// Thread safety: every method may be called from any thread, except that Shutdown() (and the
// destructor) must not race with Create. Futures returned by Invoke complete on platform
// threads; never block a platform thread on one (e.g. inside a metrics callback).
// Failure contract: Create fails if the state dir cannot be created or the worker executable is
// missing; Invoke never throws — see invoker.h for the status codes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "faas/function_host.h"
#include "faas/function_spec.h"
#include "faas/invoker.h"

namespace sl {
class MetricsRegistry;
}

namespace sl::faas {

enum class SpawnMode {
  kFork,  // fork a pre-initialised template process (zygote): fast cold starts
  kExec,  // fork + exec a fresh worker per instance (what a naive platform does)
};

// How function instances are isolated from the host and from each other (faas/sandbox/,
// runtime/sandbox.h).
enum class FunctionIsolation {
  kAuto,     // the sandbox where this machine allows it (root, namespaces); else none, logged
  kSandbox,  // the sandbox or Create fails, naming why
  kNone,     // instances share the platform's namespaces and user (a trusted-code development mode)
};
std::string_view FunctionIsolationName(FunctionIsolation i);  // "auto" | "sandbox" | "none"
Result<FunctionIsolation> ParseFunctionIsolation(std::string_view text);

struct PlatformOptions {
  // logs/<function>.log (the log streams) and ledger.jsonl live here. Created if missing.
  std::string state_dir = ".straightline/platform";
  // The ledger file; "" = <state_dir>/ledger.jsonl.
  std::string ledger_path;
  // straightline-worker; "" = $STRAIGHTLINE_WORKER, else next to /proc/self/exe, else the
  // build tree's copy.
  std::string worker_path;
  // Functions that run no tensor code (the worker's built-in test handlers such as echo and
  // sleep, and bootstrap and image functions, whose instances exec another program) start from
  // a second template process, straightline-worker-base next to worker_path, which loads no
  // libtorch (`--list`: 0.00 s and 3.5 MB peak RSS, against 0.7 s and 160 MB on a busy 2-core
  // machine). false, or no such file beside the worker: every function starts from the worker's
  // template (what cold-start benchmarks of built-in handlers standing in for ML ones want).
  bool torch_free_template = true;
  SpawnMode spawn_mode = SpawnMode::kFork;
  // Keep-alive and scale-to-zero decisions use this clock (never null; not owned).
  Clock* clock = Clock::Real();
  // vCPUs of instances that may execute at once on this machine; 0 = number of online CPUs.
  double local_cpus = 0;
  // Account-wide concurrency limit (in-flight invocations over all functions); 0 = 1000.
  int64_t max_concurrency = 0;
  // Use cgroup v1 memory/cpu controllers when the machine offers them.
  bool use_cgroups = true;
  // Calls RunMaintenance() every maintenance_interval of real time; off in keep-alive tests.
  bool background_maintenance = true;
  std::chrono::milliseconds maintenance_interval{100};
  // Instances of `provided` (bootstrap) runtimes see /bin/sh = bash, as on Amazon Linux, via a
  // private mount namespace (AWS's own shell-script tutorial uses bash features under #!/bin/sh).
  bool amazon_linux_shell = true;
  std::string region = "us-east-1";
  FunctionIsolation isolation = FunctionIsolation::kAuto;
  // The unprivileged user and group sandboxed instances run as (no passwd entry needed).
  uint32_t sandbox_uid = 600001;
  uint32_t sandbox_gid = 600001;
  // Processes and threads one instance may have at once (cgroup v1 pids.max; Lambda: 1,024).
  int64_t instance_pids_max = 1024;
  // "host:port" endpoints every function may connect to, on top of its own FunctionSpec::egress.
  std::vector<std::string> function_egress;
  // oci-archive:PATH | oci:DIR: Deploy (the FunctionHost seam the trainer and the function tier
  // use) runs built-in functions from this function image under runc, the handler as its Cmd.
  std::string function_image;
  // Where platform metrics are registered (not owned); null = MetricsRegistry::Default().
  MetricsRegistry* metrics = nullptr;
};

// What a function looks like right now (for `functions list`, the HTTP front, tests).
struct FunctionInfo {
  FunctionSpec spec;          // resolved: defaults filled in from the profile
  double vcpu = 0;            // CPU the memory buys under the profile (cgroup quota)
  int64_t instances = 0;      // live instances (starting, idle or busy)
  int64_t idle_instances = 0;
  int64_t inflight = 0;       // accepted, not finished (incl. queued for local capacity)
  int64_t queued = 0;         // waiting for local capacity
  // Event (asynchronous) invocations accepted whose last attempt, retries included, has not
  // finished: 0 once everything sent with InvocationType::kEvent has run its course.
  int64_t events_pending = 0;
  // Host pids of the live instances (a sandboxed instance's is its namespace's init: killing
  // it ends the instance and everything it started).
  std::vector<int> instance_pids;
};

// Which limits this machine really enforces (decided once at Create, logged there).
struct IsolationReport {
  bool memory_cgroup = false;  // memory.limit_in_bytes per instance (else RSS polling)
  bool cpu_cgroup = false;     // cpu.cfs_quota_us per instance (else CPU not limited)
  std::string memory_method;   // "cgroup-v1" | "rss-poll"
  std::string cpu_method;      // "cgroup-v1-cfs-quota" | "none"
  bool sandbox = false;        // instances in their own namespaces as an unprivileged user
  std::string sandbox_method;  // "namespaces" | "none"
  std::string sandbox_detail;  // why not, when not
  bool pids_cgroup = false;    // pids.max per instance
  std::string detail;          // why a controller is not used, if not
};

class Platform final : public FunctionHost {
 public:
  static Result<std::unique_ptr<Platform>> Create(PlatformOptions options);
  ~Platform() override;  // Shutdown()
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  // Validates the spec against its provider profile (ResolveFunctionSpec) and registers it.
  // ALREADY_EXISTS if the name is taken; starts provisioned instances in the background.
  Status RegisterFunction(FunctionSpec spec);
  // Registers every function of a functions file (functions_file.h); nothing on error.
  Status LoadFunctionsFile(const std::string& path);
  std::vector<FunctionInfo> ListFunctions() const;  // sorted by name
  Result<FunctionInfo> GetFunction(const std::string& name) const;

  // FunctionHost: Deploy registers (an existing function of the name is kept as it is; with
  // options.function_image a built-in runs from that image);
  // Describe is GetFunction with the live counters.
  std::string_view kind() const override { return "local"; }
  Status Deploy(const FunctionSpec& spec) override;
  Result<FunctionDescription> Describe(const std::string& name) const override;

  std::future<InvokeResult> Invoke(InvokeRequest request) override;
  // Like Invoke per payload, except that a call over a concurrency limit waits for a free slot
  // (FIFO, counted in queued_ms) instead of being throttled — the executor.map contract: a map
  // larger than the function's concurrency still completes. Other errors are per future.
  std::vector<std::future<InvokeResult>> Map(const std::string& function,
                                             const std::vector<std::string>& payloads) override;

  // Unloads instances whose keep-alive expired at options.clock->Now(), starts pre-warm and
  // provisioned instances. Called by the background thread; tests call it after advancing a
  // FakeClock.
  void RunMaintenance();

  // Fails queued invocations with UNAVAILABLE, kills every instance, removes cgroups, stops
  // the template process. Idempotent. In-flight invocations complete with UNAVAILABLE.
  void Shutdown();

  const IsolationReport& isolation() const;
  const PlatformOptions& options() const;
  // <state_dir>/logs/<function>.log
  std::string LogPath(const std::string& function) const;
  std::string LedgerPath() const;

  class Impl;

 private:
  explicit Platform(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sl::faas

// Platform-internal: one function instance (a real OS process with its own Runtime API port,
// cgroup and log pipe) and one accepted invocation. Only platform.cc uses these types.
//
// Locking: every field marked GUARDED_BY(platform) is protected by Platform::Impl::mu_; the log
// fields by Instance::log_mu. Lock order: Impl::mu_ before Instance::log_mu (the log pump and
// Finalize take only log_mu).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/http_server.h"
#include "faas/cgroup.h"
#include "faas/economics/invocation_record.h"
#include "faas/economics/keep_alive_policy.h"
#include "faas/invoker.h"
#include "faas/runtime_api_server.h"
#include "faas/sandbox/instance_network.h"

namespace sl::faas {

struct FunctionState;
struct Instance;
using SteadyTime = std::chrono::steady_clock::time_point;

struct Invocation {
  std::string id;
  FunctionState* fn = nullptr;
  std::string payload;
  bool tail_log = false;
  bool event = false;           // asynchronous: nobody waits; retried twice on function error
  std::string stage;            // ledger tag (InvokeRequest::stage)
  int attempt = 0;              // event retries so far
  std::promise<InvokeResult> promise;  // synchronous calls

  SteadyTime accepted;          // entered the platform
  SteadyTime left_queue;        // got an instance (or a cold start began)
  SteadyTime started;           // delivered to the handler by /invocation/next
  WallTime accepted_wall{};
  std::shared_ptr<Instance> instance;  // GUARDED_BY(platform)
  bool cold = false;
  double init_ms = 0;
  double platform_start_ms = 0; // of left_queue - accepted: waiting for the template to boot
  uint64_t timer_id = 0;        // GUARDED_BY(platform)
  bool done = false;            // GUARDED_BY(platform)
  std::string tail;             // GUARDED_BY(instance->log_mu): this invocation's log bytes
};

enum class InstanceState { kStarting, kReady, kDead };

struct Instance {
  std::string id;               // 32 hex, also in the log stream name
  uint64_t seq = 0;
  FunctionState* fn = nullptr;
  pid_t pid = -1;               // GUARDED_BY(platform); -1 until spawned
  InstanceState state = InstanceState::kStarting;  // GUARDED_BY(platform)
  std::string kill_reason;      // GUARDED_BY(platform): why the platform killed it
  bool provisioned = false;
  bool prewarm = false;
  bool charged = false;         // counts against local capacity   GUARDED_BY(platform)
  SteadyTime created;
  std::shared_ptr<Invocation> bound;  // the request whose cold start this is  GUARDED_BY(platform)
  std::deque<HttpResponder> pollers;  // /next waiting for work          GUARDED_BY(platform)
  std::deque<std::shared_ptr<Invocation>> assigned;  // not yet picked up  GUARDED_BY(platform)
  std::map<std::string, std::shared_ptr<Invocation>> running;  //        GUARDED_BY(platform)
  int64_t slots_used = 0;       // assigned + running (+ bound)           GUARDED_BY(platform)
  TimePoint idle_since{};       // options.clock time                     GUARDED_BY(platform)
  KeepAliveDecision decision;   //                                        GUARDED_BY(platform)
  int64_t oom_baseline = 0;
  uint64_t init_timer = 0;      //                                        GUARDED_BY(platform)

  std::unique_ptr<InstanceNetwork> network;  // sandboxed only; outlives `server` (owns its relays)
  std::string runc_id;          // image functions: the runc container ("" otherwise)
  std::string runc_bundle;      // its bundle directory
  std::unique_ptr<RuntimeApiServer> server;
  std::unique_ptr<InstanceCgroup> cgroup;

  std::mutex log_mu;
  int log_fd = -1;              // read end of the stdout/stderr pipe     GUARDED_BY(log_mu)
  std::shared_ptr<Invocation> log_target;  // gets a copy of output     GUARDED_BY(log_mu)
};

}  // namespace sl::faas

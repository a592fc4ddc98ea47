// Platform lifecycle: launching instances through the template process, timeouts (invocation
// and INIT), process exits (crash, OOM kill), cleanup, the log pump and keep-alive
// maintenance, and shutdown.
#include "faas/platform_impl.h"

#include "common/clock.h"
#include "common/malloc_tuning.h"

namespace sl::faas {

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
  auto started = StartedTemplate(TemplateFor(*fn));
  if (!started.ok()) return FailLaunch(inst, started.status());
  std::shared_ptr<ZygoteClient> zygote = started->first;
  const std::chrono::steady_clock::time_point settled = started->second;
  {
    // The cold start (init_ms) is this instance's spawn + init. Waiting for the template process
    // to boot, once per platform, is local warm-up, never billed: reported as platform_start_ms,
    // apart from queued_ms (it is no wait for capacity: an idle platform's first call had it).
    std::lock_guard<std::mutex> l(mu_);
    inst->created = Clock::Real()->Now();
    if (inst->bound) {
      Invocation& b = *inst->bound;
      if (settled > b.left_queue) {
        b.platform_start_ms = MsBetween(b.left_queue, std::min(settled, inst->created));
      }
      b.left_queue = inst->created;
    }
  }
  // Accept bodies well past the profile's response limit so that an oversized response reaches
  // OnResult and fails as Function.ResponseSizeTooLarge (as on Lambda) instead of hanging.
  // Sandboxed: the Runtime API is served inside the instance's own network namespace, where it
  // is the only thing listening besides the relays to its allowed egress (faas/sandbox/).
  int api_fd = -1;
  if (isolation_.sandbox) {
    auto network = InstanceNetwork::Create(fn->egress);
    if (!network.ok()) return FailLaunch(inst, network.status().WithContext("instance network"));
    inst->network = std::move(*network);
    api_fd = inst->network->TakeRuntimeApiListener().Release();
  }
  auto server = RuntimeApiServer::Start(
      std::make_shared<Delegate>(this, inst),
      static_cast<uint64_t>(std::max<int64_t>(4 * fn->profile.max_sync_response_bytes, 64 << 20)), api_fd);
  if (!server.ok()) return FailLaunch(inst, server.status());
  inst->server = std::move(*server);
  // INIT runs at InitVcpu (at least one vCPU where the machine has it), the invocations at the
  // size's share (set when the instance first polls for work: platform_schedule.cc). At 128 MB
  // on Lambda (0.07 vCPU) loading the worker and libtorch, ~0.7 CPU-seconds, took ~10 s: the
  // INIT limit. Lambda caps INIT at 10 s and bills it, and small functions start there, so its
  // INIT is not throttled to the size's share; neither is ours.
  auto cg = cgroups_->CreateInstance(inst->id, fn->spec.memory_mb << 20,
                                     fn->cpu_enforced ? InitVcpu(fn) : 0, options_.instance_pids_max);
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
  const bool sandboxed = isolation_.sandbox;
  // A sandboxed built-in sees no host directory: its task root is an empty /var/task, as on
  // Lambda (the template already holds the worker's code in memory).
  // (fn->mounts ends with the code directory's real path for bootstrap functions.)
  const std::string code_dir = !bootstrap ? "" : sandboxed ? fn->mounts.back().target : fn->spec.code_dir;
  std::string task_root = bootstrap ? code_dir : sandboxed ? "/var/task" : worker_dir;
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
  if (sandboxed) {
    env("TMPDIR", "/tmp");  // its own private /tmp
  } else if (const char* tmp = std::getenv("TMPDIR")) {
    env("TMPDIR", tmp);
  }
  if (fn->spec.instance_concurrency > 1) {
    env("AWS_LAMBDA_MAX_CONCURRENCY", std::to_string(fn->spec.instance_concurrency));
  }
  req.cwd = task_root;
  req.cgroup_procs = inst->cgroup->procs_files();
  if (bootstrap) {
    req.exec = true;
    req.argv = {code_dir + "/bootstrap"};
    req.bash_as_sh = options_.amazon_linux_shell;
  } else if (options_.spawn_mode == SpawnMode::kExec) {
    req.exec = true;
    req.argv = {WorkerFor(*fn)};
    // As the template gets it (zygote_client.cc): our own runtime runs tensor work.
    env("GLIBC_TUNABLES", GlibcTunablesForTensorWorkers());
  }
  if (sandboxed) {
    runtime::SandboxSpec& sb = req.sandbox;
    sb.enabled = true;
    sb.root_dir = sandbox_root_;
    sb.uid = options_.sandbox_uid;
    sb.gid = options_.sandbox_gid;
    sb.tmp_bytes = static_cast<uint64_t>(fn->spec.ephemeral_storage_mb) << 20;
    sb.hostname = "localhost";
    sb.mounts = fn->mounts;
    if (!bootstrap) sb.mounts.push_back({"", "/var/task", false, false});  // an empty task root
    if (req.exec && !bootstrap) sb.mounts.push_back({req.argv[0], req.argv[0], false, false});
  }
  const bool from_image = fn->spec.kind == HandlerKind::kImage;
  if (from_image) {
    Status s = PrepareImageInstance(inst, &req);
    if (!s.ok()) return FailLaunch(inst, s.WithContext("runc bundle"));
  }
  fn->log->Append(fmt::format(
      "INIT_START Runtime Version: {} Spawn: {} Memory Limit: {} CPU: {:.3f} vCPU ({}) INIT CPU: {:.3f} vCPU "
      "Isolation: {} Instance: {}\n",
      from_image  ? "image " + fn->spec.image
      : bootstrap ? "provided (bootstrap)"
                  : WorkerFor(*fn).substr(WorkerFor(*fn).rfind('/') + 1),  // straightline-worker[-base]
      from_image ? "runc" : req.exec ? "exec" : "fork-from-template", inst->cgroup->memory_limited() ? "cgroup-v1" : "rss-poll",
      fn->vcpu, inst->cgroup->cpu_limited() ? "cgroup-v1 cfs quota" : "not enforced",
      inst->cgroup->cpu_limited() ? InitVcpu(fn) : fn->vcpu,
      from_image  ? fmt::format("container (uid {}, {} egress)", fn->image->uid, fn->egress.size())
      : sandboxed ? fmt::format("sandbox (uid {}, {} egress)", options_.sandbox_uid, fn->egress.size())
                  : "none",
      inst->id));
  // (runc joins the network namespace by its /proc path: no fd for the template to pass.)
  auto pid = zygote->Spawn(std::move(req), pipefd[1], sandboxed && !from_image ? inst->network->netns_fd() : -1);
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
      after.push_back([zygote, pid = *pid] { zygote->Kill(pid).IgnoreError(); });
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
  // `runc run` exits with 128+N for a container killed by signal N: report the signal.
  if (!inst->runc_id.empty() && WIFEXITED(status) && WEXITSTATUS(status) > 128 && WEXITSTATUS(status) < 160) {
    status = WEXITSTATUS(status) - 128;
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
      if (inv == inst->bound) inv->init_ms = MsBetween(inst->created, Clock::Real()->Now());
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
  inst->network.reset();  // stops the egress relays; the namespace goes with its last process
  std::lock_guard<std::mutex> l(inst->log_mu);
  if (inst->log_fd >= 0) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, inst->log_fd, nullptr);
    ::close(inst->log_fd);
    inst->log_fd = -1;
  }
  RemoveImageContainer(inst.get());  // image functions: runc's state and bundle
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
        fn->prewarm.OnUnload(inst->decision, inst->idle_since);
        SL_LOG_DEBUG("faas", "function '{}': unloading idle instance {} ({})", name, inst->id,
                     inst->decision.reason);
        MarkDeadLocked(inst, "keep-alive expired", &after);
      }
      if (fn->prewarm.TakeDue(now, !fn->instances.empty())) {
        auto inst = SpawnLocked(fn, nullptr, &after);
        inst->prewarm = true;
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
    int64_t rss = InstanceRssMb(pid, isolation_.sandbox, "VmRSS:");
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
      inv->promise.set_value(NotRunResult(Unavailable("platform shut down before request {} ran", inv->id), inv->id));
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
  for (const auto& z : Templates()) z->Stop();  // a template kills its instances; exits arrive meanwhile
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
    for (auto& t : templates_) t.client.reset();
  }
  cgroups_.reset();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  epoll_fd_ = -1;
}

}  // namespace sl::faas

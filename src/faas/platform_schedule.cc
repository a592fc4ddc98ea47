// Platform scheduling: strict FIFO onto ready instances or new ones within local CPU capacity,
// delivery through the Runtime API long poll, the Runtime API callbacks, and completion.
#include "faas/platform_impl.h"

#include "common/clock.h"

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
      inv->left_queue = Clock::Real()->Now();
      DispatchLocked(best, inv, after);
      continue;
    }
    // A pre-warmed or provisioned instance still initialising takes this request when ready
    // (it is already charged to local capacity).
    std::shared_ptr<Instance> starting;
    for (const auto& i : fn->instances) {
      if (i->state == InstanceState::kStarting && !i->bound && i->slots_used == 0) {
        starting = i;
        break;
      }
    }
    if (!starting && !FitsLocked(fn->share)) return;
    queue_.pop_front();
    fn->queued--;
    inv->left_queue = Clock::Real()->Now();
    if (starting) {
      starting->bound = inv;
      starting->slots_used = 1;
      inv->instance = starting;
      inv->cold = true;
      fn->cold_starts->Inc();  // when it begins: a cold start that fails is one too
      continue;
    }
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
  inv->started = Clock::Real()->Now();
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
  inst->created = Clock::Real()->Now();
  if (bound) {
    bound->instance = inst;
    bound->cold = true;
    fn->cold_starts->Inc();  // when it begins: a cold start that fails is one too
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
    inst->decision = inst->fn->prewarm.Decision();
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
    after->push_back([this, pid] { KillInstanceProcess(pid); });
  }
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
      if (inst->fn->cpu_enforced && InitVcpu(inst->fn) != inst->fn->vcpu) {
        // INIT is over: from now on the instance runs at its size's CPU (platform_lifecycle.cc).
        after.push_back([inst, vcpu = inst->fn->vcpu] {
          std::lock_guard<std::mutex> cl(inst->log_mu);  // Cleanup resets the cgroup under it
          if (!inst->cgroup) return;
          Status s = inst->cgroup->SetCpuQuota(vcpu);
          if (!s.ok()) SL_LOG_WARN("faas", "instance {}: CPU quota after INIT: {}", inst->id, s.ToString());
        });
      }
      double init_ms = MsBetween(inst->created, Clock::Real()->Now());
      inst->fn->init->Observe(init_ms / 1000.0);
      UpdateGaugesLocked(inst->fn);
      if (auto bound = inst->bound; bound && !bound->done) {
        inst->bound.reset();
        bound->init_ms = init_ms;
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
        bound->init_ms = MsBetween(inst->created, Clock::Real()->Now());
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
  const auto now = Clock::Real()->Now();
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

}  // namespace sl::faas

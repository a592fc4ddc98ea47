// Platform accounting: each finished invocation's log lines (END/REPORT and the tail), peak
// memory, price under its provider profile, ledger record, metrics — and event retries.
#include "faas/platform_impl.h"

#include "faas/economics/store_io_report.h"

namespace sl::faas {

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
  return inst->pid > 0 ? InstanceRssMb(inst->pid, isolation_.sandbox) : 0;
}

void Platform::Impl::Record(const InvocationRecord& rec) {
  Status s = ledger_->Append(rec);
  if (!s.ok()) SL_LOG_WARN("faas", "ledger {}: {}", ledger_path_, s.ToString());
  if (auto cost = cost_family_->WithLabels({rec.function, rec.provider}); cost.ok()) (*cost)->Inc(rec.cost_usd);
}

void Platform::Impl::EventEnded(FunctionState* fn) {
  std::lock_guard<std::mutex> l(mu_);
  fn->events_pending--;
}

void Platform::Impl::Finalize(const std::shared_ptr<Instance>& inst,
                              const std::shared_ptr<Invocation>& inv, const Completion& c) {
  FunctionState* fn = inv->fn;
  InvokeResult r;
  r.status = c.status;
  r.outcome = c.status.ok() ? c.outcome : OutcomeOfStatus(c.status);
  r.request_id = inv->id;
  if (!c.status.ok()) {
    if (inv->event) return EventEnded(fn);
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
  r.platform_start_ms = inv->platform_start_ms;
  r.queued_ms = std::max(0.0, MsBetween(inv->accepted, inv->left_queue) - inv->platform_start_ms);
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

  InvocationRecord rec = LedgerRecordOf(r);
  rec.function = fn->spec.name;
  rec.provider = fn->profile.name;
  rec.instance_id = inst ? inst->id : "";
  rec.memory_mb = fn->spec.memory_mb;
  rec.outcome = c.outcome;
  rec.error_type = c.error_type;
  rec.start_time = inv->accepted_wall;
  rec.cpu_enforced = fn->cpu_enforced;
  rec.stage = inv->stage;
  rec.host = "local";
  RecordStoreIo(fn->profile, r.payload, &rec);  // the function's store traffic, priced (issue 20)
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
      auto again = NewInvocation(inv->payload, true, false, inv->stage);
      again->attempt = inv->attempt + 1;
      SL_LOG_INFO("faas", "event {} of '{}' failed ({}); retry {} of 2 as {}", inv->id,
                  fn->spec.name, c.error_type, again->attempt, again->id);
      Status s = Admit(again, fn->spec.name, false);
      if (s.ok()) return;  // the retry carries the event on
      SL_LOG_WARN("faas", "event retry of {}: {}", inv->id, s.ToString());
    }
    return EventEnded(fn);
  }
  inv->promise.set_value(std::move(r));
}

}  // namespace sl::faas

#include "faas/fake_function_host.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sl::faas {
namespace {

double Ms(Nanos d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string_view LambdaErrorType(Outcome o) {
  switch (o) {
    case Outcome::kTimeout: return "Sandbox.Timedout";
    case Outcome::kOutOfMemory: return "Runtime.OutOfMemory";
    case Outcome::kCrash: return "Runtime.ExitError";
    default: return "Unhandled";
  }
}

}  // namespace

FakeReply FakeReply::Ok(std::string payload, Nanos duration) {
  FakeReply r;
  r.result.payload = std::move(payload);
  r.duration = duration;
  return r;
}

FakeReply FakeReply::Error(Outcome outcome, std::string message, Nanos duration, std::string error_type) {
  FakeReply r;
  r.result.outcome = outcome;
  r.result.function_error = outcome == Outcome::kHandledError ? "Handled" : "Unhandled";
  if (error_type.empty()) error_type = std::string(LambdaErrorType(outcome));
  r.result.payload = nlohmann::json{{"errorMessage", message}, {"errorType", error_type}}.dump();
  r.duration = duration;
  return r;
}

FakeReply FakeReply::Refuse(Status status) {
  FakeReply r;
  r.result = NotRunResult(std::move(status));
  return r;
}

struct FakeFunctionHost::Invocation {
  Call call;
  std::promise<InvokeResult> promise;
  FakeReply reply;
  TimePoint end{};  // when running and not manual
};

struct FakeFunctionHost::Function {
  bool deployed = false;
  FunctionSpec spec;
  FakeScript script;
  int64_t instances = 0, idle = 0, running = 0;
  std::deque<Invocation*> queue;
};

FakeFunctionHost::FakeFunctionHost(FakeClock* clock) : clock_(clock) {}

FakeFunctionHost::~FakeFunctionHost() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& inv : calls_) {
    if (inv->call.state == Call::State::kQueued || inv->call.state == Call::State::kRunning) {
      inv->promise.set_value(NotRunResult(
          Unavailable("fake host destroyed before request {} ended", inv->call.request_id), inv->call.request_id));
    }
  }
}

FakeFunctionHost::Function& FakeFunctionHost::FunctionLocked(const std::string& name) { return functions_[name]; }

void FakeFunctionHost::Script(const std::string& name, FakeScript script) {
  std::lock_guard<std::mutex> lock(mu_);
  FunctionLocked(name).script = std::move(script);
}

Status FakeFunctionHost::Deploy(const FunctionSpec& spec) {
  if (spec.name.empty()) return InvalidArgument("fake host: a function needs a name");
  std::lock_guard<std::mutex> lock(mu_);
  Function& f = FunctionLocked(spec.name);
  if (!f.deployed) {  // an existing function is used as it is (function_host.h)
    f.deployed = true;
    f.spec = spec;
  }
  return Status::Ok();
}

Result<FunctionDescription> FakeFunctionHost::Describe(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  // The host observes the clock on every call (header): settling changes only what the
  // invocations' scripts already decided, so Describe stays const for its callers.
  const_cast<FakeFunctionHost*>(this)->SettleLocked(clock_->Now());
  auto it = functions_.find(name);
  if (it == functions_.end() || !it->second.deployed) return NotFound("fake host: no function '{}'", name);
  const Function& f = it->second;
  FunctionDescription d;
  d.spec = f.spec;
  d.host = "fake";
  d.has_live_state = true;
  d.instances = f.instances;
  d.idle_instances = f.idle;
  d.queued = static_cast<int64_t>(f.queue.size());
  d.inflight = f.running + d.queued;
  return d;
}

std::future<InvokeResult> FakeFunctionHost::Invoke(InvokeRequest request) {
  std::lock_guard<std::mutex> lock(mu_);
  const TimePoint now = clock_->Now();
  SettleLocked(now);  // what ended before this call frees its slot first
  auto owned = std::make_unique<Invocation>();
  Invocation* inv = owned.get();
  inv->call.request_id = fmt::format("fake-{:06}", calls_.size() + 1);
  inv->call.accepted = now;
  inv->call.request = std::move(request);
  calls_.push_back(std::move(owned));
  std::future<InvokeResult> future = inv->promise.get_future();

  auto refuse = [&](Status s) {
    InvokeResult r = NotRunResult(std::move(s), inv->call.request_id);
    inv->call.state = Call::State::kRefused;
    inv->call.result = r;
    inv->promise.set_value(std::move(r));
  };
  Function& f = FunctionLocked(inv->call.request.function);
  if (!f.deployed) {
    refuse(NotFound("fake host: no function '{}'", inv->call.request.function));
    return future;
  }
  if (inv->call.request.type != InvocationType::kRequestResponse) {
    InvokeResult r;
    r.request_id = inv->call.request_id;
    inv->call.state = Call::State::kDone;
    inv->call.ended = now;
    inv->call.result = r;
    inv->promise.set_value(std::move(r));
    return future;
  }
  const int64_t limit = f.spec.reserved_concurrency;
  if (limit > 0 && f.running + static_cast<int64_t>(f.queue.size()) >= limit) {
    refuse(ResourceExhausted("fake host: function {} at its concurrency limit ({})", f.spec.name, limit));
    return future;
  }
  if (f.script.slots > 0 && f.running >= f.script.slots) {
    inv->call.state = Call::State::kQueued;
    f.queue.push_back(inv);
    return future;
  }
  StartLocked(inv, now);
  return future;
}

void FakeFunctionHost::StartLocked(Invocation* inv, TimePoint now) {
  Function& f = FunctionLocked(inv->call.request.function);
  inv->call.started = now;
  inv->reply = f.script.handler ? f.script.handler(inv->call.request) : FakeReply::Ok("{}", Nanos(0));
  if (!inv->reply.result.status.ok()) {  // refused by the script: no instance, no time
    InvokeResult r = inv->reply.result;
    r.request_id = inv->call.request_id;
    r.queued_ms = Ms(now - inv->call.accepted);
    inv->call.state = Call::State::kRefused;
    inv->call.ended = now;
    inv->call.result = r;
    inv->promise.set_value(std::move(r));
    return;
  }
  inv->call.state = Call::State::kRunning;
  ++f.running;
  Nanos init{0};
  if (f.idle > 0) {
    --f.idle;
  } else {
    ++f.instances;
    inv->call.cold_start = true;
    init = f.script.cold_start;
  }
  inv->end = now + init + inv->reply.duration;
}

void FakeFunctionHost::FinishLocked(Invocation* inv, TimePoint now, std::optional<InvokeResult> result) {
  Function& f = FunctionLocked(inv->call.request.function);
  InvokeResult r = result ? std::move(*result) : inv->reply.result;
  r.request_id = inv->call.request_id;
  r.cold_start = inv->call.cold_start;
  r.init_ms = inv->call.cold_start ? Ms(f.script.cold_start) : 0;
  r.queued_ms = Ms(*inv->call.started - inv->call.accepted);
  if (r.duration_ms == 0) r.duration_ms = std::max(0.0, Ms(now - *inv->call.started) - r.init_ms);
  if (r.billed_ms == 0) r.billed_ms = std::ceil(r.duration_ms);
  inv->call.state = Call::State::kDone;
  inv->call.ended = now;
  inv->call.result = r;
  inv->promise.set_value(std::move(r));
  --f.running;
  ++f.idle;
  // The freed slot goes to the longest-waiting invocation.
  while (!f.queue.empty() && (f.script.slots <= 0 || f.running < f.script.slots)) {
    Invocation* next = f.queue.front();
    f.queue.pop_front();
    StartLocked(next, now);
  }
}

FakeFunctionHost::Invocation* FakeFunctionHost::NextDueLocked(TimePoint until) const {
  Invocation* best = nullptr;
  for (const auto& inv : calls_) {  // Invoke order breaks ties
    if (inv->call.state != Call::State::kRunning || inv->reply.manual || inv->end > until) continue;
    if (best == nullptr || inv->end < best->end) best = inv.get();
  }
  return best;
}

void FakeFunctionHost::SettleLocked(TimePoint until) {
  while (Invocation* inv = NextDueLocked(until)) {
    // It ends at its scripted end even when observed later (a caller polling the clock), so
    // durations and the start of what waited for its slot are exact.
    const TimePoint now = clock_->Now();
    if (inv->end > now) clock_->Advance(inv->end - now);
    FinishLocked(inv, inv->end, std::nullopt);
  }
  const TimePoint now = clock_->Now();
  if (until > now) clock_->Advance(until - now);
}

void FakeFunctionHost::Advance(Nanos d) {
  std::lock_guard<std::mutex> lock(mu_);
  SettleLocked(clock_->Now() + d);
}

void FakeFunctionHost::Settle() {
  std::lock_guard<std::mutex> lock(mu_);
  SettleLocked(clock_->Now());
}

bool FakeFunctionHost::Complete(const std::string& request_id, std::optional<InvokeResult> result) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& inv : calls_) {
    if (inv->call.request_id == request_id && inv->call.state == Call::State::kRunning) {
      FinishLocked(inv.get(), clock_->Now(), std::move(result));
      return true;
    }
  }
  return false;
}

std::optional<TimePoint> FakeFunctionHost::NextEnd() const {
  std::lock_guard<std::mutex> lock(mu_);
  Invocation* next = NextDueLocked(TimePoint::max());
  if (next == nullptr) return std::nullopt;
  return next->end;
}

std::vector<FakeFunctionHost::Call> FakeFunctionHost::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Call> out;
  for (const auto& inv : calls_) out.push_back(inv->call);
  return out;
}

std::vector<FakeFunctionHost::Call> FakeFunctionHost::calls(const std::string& function) const {
  std::vector<Call> out;
  for (auto& c : calls()) {
    if (c.request.function == function) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace sl::faas

// FakeFunctionHost: the "fake" FunctionHost (function_host.h) for tests — scripted handlers on a
// FakeClock, no processes and no threads. Time passes only when the test says so: an invocation
// runs for its scripted duration of fake time and its future becomes ready when the test
// advances the host past its end (Advance), or when the test ends it (Complete). The host also
// observes the clock on every Invoke and Describe, so a caller that advances the FakeClock
// itself (FakeClock::SleepFor in a polling loop) sees its invocations end.
//
//   FakeClock clock;
//   FakeFunctionHost host(&clock);
//   host.Script("f", {.handler = [](const InvokeRequest&) { return FakeReply::Ok("{}", 120ms); }});
//   host.Deploy(spec_named_f);
//   InvokeRequest req;
//   req.function = "f";
//   auto fut = host.Invoke(req);
//   host.Advance(120ms);          // fut is ready now, with duration_ms 120
//
// The model, per function (Lambda's, much simplified):
//   * Deploy records the spec; invoking a function not deployed is NOT_FOUND (kPlatformError).
//   * Throttling: with spec.reserved_concurrency > 0, an invocation arriving while that many
//     are accepted and unfinished is refused at once: RESOURCE_EXHAUSTED, kThrottled. A script
//     can also refuse any invocation (a reply with a non-OK status ends it when it starts).
//   * Queueing: with FakeScript::slots > 0, at most that many run at once; the rest wait in
//     order (Describe().queued; queued_ms in the result).
//   * Instances: an invocation takes an idle instance (warm) or starts a new one (cold start:
//     init of FakeScript::cold_start, reported as init_ms); instances never expire.
//   * The handler is called when the invocation starts (after any queueing), with the host's
//     lock held: it must not call the host. Unscripted functions succeed with "{}" at once.
//   * kEvent and kDryRun invocations are answered at once with an empty OK result and not run.
// Every invocation is recorded (calls()) for assertions.
//
// Failure contract: as invoker.h; Deploy fails only with INVALID_ARGUMENT for an empty name.
// Thread safety: every method may be called from any thread; the futures may be waited on from
// any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "faas/function_host.h"

namespace sl::faas {

// What a scripted handler decides for one invocation.
struct FakeReply {
  // What the caller gets. The host fills request_id, cold_start, init_ms and queued_ms, and,
  // when the script leaves them 0, duration_ms (the run time) and billed_ms (duration rounded
  // up to 1 ms). status, outcome, function_error, payload, cost_usd, max_memory_mb: the script's.
  InvokeResult result;
  Nanos duration{0};    // how long the handler runs, in fake time
  bool manual = false;  // runs until the test calls Complete(request_id); duration is ignored

  // A response `payload` after `duration`.
  static FakeReply Ok(std::string payload, Nanos duration);
  // A function error after `duration`, as a Lambda-style host reports it: function_error
  // "Handled" (kHandledError) or "Unhandled", the error JSON {errorMessage, errorType} as the
  // payload, and `outcome`. errorType defaults to Lambda's for the outcome ("Sandbox.Timedout",
  // "Runtime.OutOfMemory", "Runtime.ExitError", "Unhandled").
  static FakeReply Error(Outcome outcome, std::string message, Nanos duration, std::string error_type = "");
  // A refusal by the host when the invocation starts (no instance, no duration): the outcome
  // is OutcomeOfStatus(status), e.g. RESOURCE_EXHAUSTED → kThrottled.
  static FakeReply Refuse(Status status);
};

using FakeHandler = std::function<FakeReply(const InvokeRequest& request)>;

struct FakeScript {
  FakeHandler handler;   // empty: succeed with "{}" at once
  Nanos cold_start{0};   // init time of a new instance
  int64_t slots = 0;     // invocations running at once; more wait in the queue; 0: unlimited
};

class FakeFunctionHost final : public FunctionHost {
 public:
  // One invocation as the host saw it.
  struct Call {
    InvokeRequest request;
    std::string request_id;
    enum class State { kRefused, kQueued, kRunning, kDone } state = State::kQueued;
    TimePoint accepted{};
    std::optional<TimePoint> started, ended;
    bool cold_start = false;
    InvokeResult result;  // once kDone or kRefused
  };

  explicit FakeFunctionHost(FakeClock* clock);  // not owned; the host advances it
  ~FakeFunctionHost() override;                 // unfinished invocations end UNAVAILABLE

  // Scripts function `name` (before or after Deploy; replaces an earlier script).
  void Script(const std::string& name, FakeScript script);

  std::string_view kind() const override { return "fake"; }
  Status Deploy(const FunctionSpec& spec) override;
  Result<FunctionDescription> Describe(const std::string& name) const override;
  std::future<InvokeResult> Invoke(InvokeRequest request) override;

  // Advances the clock by `d`, stopping at each invocation's end on the way (in time order;
  // ties in the order of Invoke) to complete it and to start what waited for its slot.
  void Advance(Nanos d);
  // Completes every invocation whose end has come at the clock's present time (for a test that
  // advanced the clock itself).
  void Settle();
  // Ends running invocation `request_id` now, with its script's result or `result` when given.
  // False if no such invocation is running.
  bool Complete(const std::string& request_id, std::optional<InvokeResult> result = std::nullopt);
  // The earliest scheduled end of a running invocation (manual ones have none).
  std::optional<TimePoint> NextEnd() const;

  // Every invocation so far, in the order of Invoke; or only those of `function`.
  std::vector<Call> calls() const;
  std::vector<Call> calls(const std::string& function) const;

 private:
  struct Invocation;
  struct Function;
  Function& FunctionLocked(const std::string& name);
  void StartLocked(Invocation* inv, TimePoint now);
  void FinishLocked(Invocation* inv, TimePoint now, std::optional<InvokeResult> result);
  Invocation* NextDueLocked(TimePoint until) const;
  void SettleLocked(TimePoint until);

  FakeClock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, Function> functions_;         // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<Invocation>> calls_;    // GUARDED_BY(mu_), in Invoke order
};

}  // namespace sl::faas

#include "trace/replay/host_replay.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "faas/economics/provider_profile.h"
#include "trace/replay/open_loop.h"

namespace sl::trace {

Result<ReplayResult> RunHostReplay(const ReplayPlan& plan, faas::FunctionHost* host,
                                   const HostReplayOptions& o) {
  Clock* clock = o.clock != nullptr ? o.clock : Clock::Real();
  SL_ASSIGN_OR_RETURN(faas::ProviderProfile profile, faas::LoadProviderProfile(o.provider));
  ReplayResult result;
  result.target = std::string(host->kind());
  result.calls.resize(plan.calls.size());
  std::vector<faas::FunctionSpec> specs;
  int64_t cut = 0;
  for (const ReplayFunction& f : plan.functions) {
    faas::FunctionSpec spec;
    spec.name = f.name;
    spec.kind = faas::HandlerKind::kBuiltin;
    spec.handler = "trace";
    spec.provider = profile.name;
    const auto want = static_cast<int64_t>(std::ceil(f.memory_mb)) + o.memory_headroom_mb;
    spec.memory_mb = faas::NearestAllowedMemory(profile, want);
    double touch = f.memory_mb * o.touch_scale;
    if (spec.memory_mb < want) {
      touch = std::min(touch, std::max<double>(0, static_cast<double>(spec.memory_mb - o.memory_headroom_mb)));
      ++cut;
    }
    double timeout = 2 * f.max_ms / 1000 + 30;
    if (profile.max_timeout_s > 0) timeout = std::min(timeout, profile.max_timeout_s);
    spec.timeout_s = std::ceil(timeout);
    if (!o.keep_alive.empty()) spec.keep_alive = o.keep_alive;
    // The app's memory is mapped in INIT (trace_handler.h): part of the cold start, as an app
    // loading its state, under INIT's CPU rather than the memory size's share.
    spec.environment["STRAIGHTLINE_TRACE_MB"] = fmt::format("{:.3f}", touch);
    spec.source = "trace replay";
    if (Status s = host->Deploy(spec); !s.ok()) {
      return s.WithContext(fmt::format("deploying trace function {} (app {})", f.name, f.app));
    }
    result.memory_mb.push_back(spec.memory_mb);
    result.touch_mb.push_back(touch);
    specs.push_back(std::move(spec));
  }
  result.keep_alive = specs.empty() ? "" : specs.front().keep_alive;
  if (cut > 0) {
    result.notes.push_back(fmt::format("{} functions touch less than their app's share: {} allows "
                                       "at most {} MB", cut, profile.name, profile.max_memory_mb));
  }

  // Idle instances, sampled until the horizon, where the host can say (embedded platform).
  std::atomic<bool> stop{false};
  std::vector<double> idle(plan.functions.size(), 0);
  bool live = false;
  if (!specs.empty()) {
    auto d = host->Describe(specs.front().name);
    live = d.ok() && d->has_live_state;
  }
  const double speed = plan.options.speed;
  const TimePoint t0 = clock->Now();
  const TimePoint horizon = t0 + plan.replay_horizon;
  std::thread sampler;
  if (live) {
    sampler = std::thread([&] {
      TimePoint last = clock->Now();
      while (!stop.load() && last < horizon) {
        clock->SleepFor(o.idle_sample);
        const TimePoint now = std::min(clock->Now(), horizon);
        const double dt_trace = std::chrono::duration<double>(now - last).count() * speed;
        for (size_t f = 0; f < specs.size(); ++f) {
          auto d = host->Describe(specs[f].name);
          if (d.ok()) idle[f] += static_cast<double>(d->idle_instances) * dt_trace;
        }
        last = now;
      }
    });
  }

  const std::string spin = o.spin ? ",\"spin\":true" : "";
  RunOpenLoop(plan, clock, [&](size_t i, double lag_ms) {
    const ReplayCall& call = plan.calls[i];
    faas::InvokeRequest req;
    req.function = specs[call.function].name;
    req.payload = fmt::format("{{\"ms\":{:.3f},\"mb\":{:.3f}{}}}", call.ms,
                              result.touch_mb[call.function], spin);
    req.stage = o.stage;
    const TimePoint sent = clock->Now();
    faas::InvokeResult r = host->Invoke(std::move(req)).get();
    CallResult& c = result.calls[i];
    c.latency_ms = std::chrono::duration<double, std::milli>(clock->Now() - sent).count();
    c.send_lag_ms = lag_ms;
    c.done = true;
    c.ok = r.status.ok() && r.outcome == faas::Outcome::kSuccess;
    if (!c.ok) {
      c.error = r.status.ok() ? std::string(faas::OutcomeName(r.outcome))
                              : std::string(CodeName(r.status.code()));
    }
    c.cold = r.cold_start;
    c.init_ms = r.init_ms;
    c.duration_ms = r.duration_ms;
    c.billed_ms = r.billed_ms;
    c.queued_ms = r.queued_ms;
    c.cost_usd = r.cost_usd;
  });
  // Idle time is counted to the horizon even when the last calls end before it.
  if (live) {
    if (const TimePoint now = clock->Now(); now < horizon) clock->SleepFor(horizon - now);
    stop.store(true);
    sampler.join();
  }
  result.wall_s = std::chrono::duration<double>(clock->Now() - t0).count();
  result.idle_measured = live;
  if (live) result.idle_trace_s = std::move(idle);
  result.notes.push_back(fmt::format(
      "measured: every call's latency here; from {}: cold starts, init, handler duration, billed "
      "time (the ledger's), queueing for local capacity{}", result.target,
      live ? fmt::format("; idle instances sampled every {} ms (x speed = trace time)",
                         o.idle_sample.count())
           : "; idle instance time not available from this host"));
  if (o.touch_scale != 1) {
    result.notes.push_back(fmt::format("handlers touch {} x their app's memory share; memory sizes "
                                       "(billed and wasted GB-s) are the full share's", o.touch_scale));
  }
  result.notes.push_back(fmt::format(
      "emulated: the trace's execution times (the handler {} for the planned duration after "
      "touching the memory), prices from the {} profile", o.spin ? "burns CPU" : "waits", profile.name));
  return result;
}

}  // namespace sl::trace

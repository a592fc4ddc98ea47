#include "trace/keep_alive_sim.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <queue>
#include <vector>

namespace sl::trace {

using faas::KeepAliveDecision;
using faas::PlanIdle;
namespace {

struct SimInstance {
  int64_t busy = 0;              // slots in use
  TimePoint idle_since{};        // valid when busy == 0
  KeepAliveDecision decision;    // valid when busy == 0
  TimePoint unload_at{};         // valid when busy == 0
};

constexpr TimePoint kNever = TimePoint::max();

}  // namespace

UnitOutcome SimulateUnit(const WorkloadUnit& unit, Nanos horizon, faas::KeepAlivePolicy& policy,
                         const SimOptions& options) {
  UnitOutcome out;
  const TimePoint origin{};
  const TimePoint end = origin + horizon;
  const int64_t slots = options.instance_concurrency > 0 ? options.instance_concurrency
                                                         : std::numeric_limits<int64_t>::max();
  std::vector<SimInstance> inst;  // every instance ever loaded, by id
  std::vector<int> loaded;        // ids of loaded instances, oldest first (the platform's order)
  using Done = std::pair<TimePoint, int>;
  std::priority_queue<Done, std::vector<Done>, std::greater<Done>> done;
  faas::PrewarmSchedule prewarm;  // the platform's own pre-warm bookkeeping (one per function)
  size_t next = 0;

  auto go_idle = [&](int id, TimePoint t, const KeepAliveDecision& d) {
    SimInstance& s = inst[id];
    s.idle_since = t;
    s.decision = d;
    s.unload_at = PlanIdle(d, t).unload_at;
  };

  while (true) {
    const TimePoint t_arrival = next < unit.calls.size() ? origin + unit.calls[next].start : kNever;
    const TimePoint t_done = done.empty() ? kNever : done.top().first;
    TimePoint t_unload = kNever;
    size_t unload_pos = 0;
    for (size_t i = 0; i < loaded.size(); ++i) {
      const SimInstance& s = inst[loaded[i]];
      if (s.busy == 0 && s.unload_at < t_unload) {
        t_unload = s.unload_at;
        unload_pos = i;
      }
    }
    const TimePoint t_prewarm = prewarm.due().value_or(kNever);
    const TimePoint t = std::min({t_arrival, t_done, t_unload, t_prewarm});
    if (t == kNever || t > end) break;

    if (t_done == t) {  // an invocation ends: its instance may go idle
      const int id = done.top().second;
      done.pop();
      if (--inst[id].busy == 0) {
        KeepAliveDecision d = policy.Decide(unit.key);
        ++out.decisions[d.reason];
        out.keep_alive_s_sum += std::chrono::duration<double>(d.keep_alive).count();
        go_idle(id, t, d);
      }
      policy.RecordCompletion(unit.key, t);
      continue;
    }
    if (t_unload == t) {  // keep-alive over (or a pre-warming decision: unload right away)
      const int id = loaded[unload_pos];
      const SimInstance& s = inst[id];
      out.idle_seconds += SecondsBetween(s.idle_since, t);
      prewarm.OnUnload(s.decision, s.idle_since);
      loaded.erase(loaded.begin() + static_cast<std::ptrdiff_t>(unload_pos));
      continue;
    }
    if (t_prewarm == t) {  // load a fresh instance ahead of the expected next arrival
      if (prewarm.TakeDue(t, !loaded.empty())) {
        inst.emplace_back();
        loaded.push_back(static_cast<int>(inst.size() - 1));
        go_idle(loaded.back(), t, prewarm.Decision());
        ++out.prewarms;
        ++out.instances_started;
      }
      continue;
    }
    // An arrival.
    const Call& call = unit.calls[next++];
    ++out.invocations;
    policy.RecordArrival(unit.key, t);
    int best = -1;
    for (int id : loaded) {
      const SimInstance& s = inst[id];
      if (s.busy >= slots) continue;
      if (best < 0 || (s.busy > 0 && inst[best].busy == 0)) best = id;
    }
    Nanos busy_for = call.duration;
    if (best < 0) {
      ++out.cold_starts;
      ++out.instances_started;
      inst.emplace_back();
      best = static_cast<int>(inst.size() - 1);
      loaded.push_back(best);
      busy_for += options.cold_start;
    } else if (inst[best].busy == 0) {
      out.idle_seconds += SecondsBetween(inst[best].idle_since, t);
    }
    ++inst[best].busy;
    done.emplace(t + busy_for, best);
  }
  // Instances still idle at the end of the trace: their idle time up to the horizon.
  for (int id : loaded) {
    const SimInstance& s = inst[id];
    if (s.busy == 0 && s.idle_since < end) out.idle_seconds += SecondsBetween(s.idle_since, end);
  }
  out.wasted_gb_s = out.idle_seconds * unit.memory_mb / 1024.0;
  return out;
}

}  // namespace sl::trace

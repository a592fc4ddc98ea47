#include "trace/replay/replay_sim.h"

#include "trace/replay/host_replay.h"

namespace sl::trace {

Result<ReplaySimulation> SimulateReplay(const ReplayPlan& plan, const std::vector<int64_t>& memory_mb,
                                        const std::string& keep_alive,
                                        const faas::ProviderProfile& profile,
                                        const std::vector<Nanos>& cold_start) {
  if (memory_mb.size() != plan.workload.units.size() || cold_start.size() != memory_mb.size()) {
    return InvalidArgument("replay simulation: {} memory sizes and {} cold starts for {} functions",
                           memory_mb.size(), cold_start.size(), plan.workload.units.size());
  }
  const std::string spec = keep_alive.empty() ? "fixed" : keep_alive;
  ReplaySimulation sim;
  SimOptions so;
  so.instance_concurrency = 1;
  // Durations as the replay ran them, in trace time: with uncompressed durations a call of d
  // trace seconds ran d real seconds, which is d x speed of trace time.
  const double stretch = plan.options.scale_durations ? 1.0 : plan.options.speed;
  for (size_t i = 0; i < plan.workload.units.size(); ++i) {
    SL_ASSIGN_OR_RETURN(auto policy, faas::MakeKeepAlivePolicy(spec, profile));
    if (sim.policy.empty()) sim.policy = policy->Name();
    so.cold_start = cold_start[i];
    sim.cold_start_trace_s += std::chrono::duration<double>(cold_start[i]).count() /
                              static_cast<double>(cold_start.size());
    WorkloadUnit unit = plan.workload.units[i];
    unit.memory_mb = static_cast<double>(memory_mb[i]);
    if (stretch != 1.0) {
      for (Call& c : unit.calls) c.duration = Nanos(static_cast<int64_t>(c.duration.count() * stretch));
    }
    sim.functions.push_back(SimulateUnit(unit, plan.trace_horizon, *policy, so));
  }
  return sim;
}

std::vector<Nanos> MeasuredColdStarts(const ReplayPlan& plan, const ReplayResult& result) {
  std::vector<double> sum(plan.functions.size(), 0);
  std::vector<int64_t> n(plan.functions.size(), 0);
  double all = 0;
  int64_t all_n = 0;
  for (size_t i = 0; i < plan.calls.size() && i < result.calls.size(); ++i) {
    if (!result.calls[i].cold) continue;
    const auto f = static_cast<size_t>(plan.calls[i].function);
    sum[f] += result.calls[i].init_ms;
    ++n[f];
    all += result.calls[i].init_ms;
    ++all_n;
  }
  std::vector<Nanos> out;
  for (size_t f = 0; f < sum.size(); ++f) {
    const double ms = n[f] > 0 ? sum[f] / n[f] : (all_n > 0 ? all / all_n : 0);
    out.push_back(std::chrono::duration_cast<Nanos>(
        std::chrono::duration<double, std::milli>(ms * plan.options.speed)));
  }
  return out;
}

}  // namespace sl::trace

#include "trace/replay/replay_sim.h"

namespace sl::trace {

Result<ReplaySimulation> SimulateReplay(const ReplayPlan& plan, const std::vector<int64_t>& memory_mb,
                                        const std::string& keep_alive,
                                        const faas::ProviderProfile& profile, Nanos cold_start) {
  if (memory_mb.size() != plan.workload.units.size()) {
    return InvalidArgument("replay simulation: {} memory sizes for {} functions", memory_mb.size(),
                           plan.workload.units.size());
  }
  const std::string spec = keep_alive.empty() ? "fixed" : keep_alive;
  ReplaySimulation sim;
  sim.cold_start_trace_s = std::chrono::duration<double>(cold_start).count();
  SimOptions so;
  so.instance_concurrency = 1;
  so.cold_start = cold_start;
  // Durations as the replay ran them, in trace time: with uncompressed durations a call of d
  // trace seconds ran d real seconds, which is d x speed of trace time.
  const double stretch = plan.options.scale_durations ? 1.0 : plan.options.speed;
  for (size_t i = 0; i < plan.workload.units.size(); ++i) {
    SL_ASSIGN_OR_RETURN(auto policy, faas::MakeKeepAlivePolicy(spec, profile));
    if (sim.policy.empty()) sim.policy = policy->Name();
    WorkloadUnit unit = plan.workload.units[i];
    unit.memory_mb = static_cast<double>(memory_mb[i]);
    if (stretch != 1.0) {
      for (Call& c : unit.calls) c.duration = Nanos(static_cast<int64_t>(c.duration.count() * stretch));
    }
    sim.functions.push_back(SimulateUnit(unit, plan.trace_horizon, *policy, so));
  }
  return sim;
}

}  // namespace sl::trace

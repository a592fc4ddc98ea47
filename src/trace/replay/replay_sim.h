// The keep-alive simulator's prediction of a replay (issue 21 §2's validation): the plan's own
// invocations, in trace time, played by trace/keep_alive_sim.h against the same policy the
// replay's functions were deployed with (the platform's MakeKeepAlivePolicy, one object per
// function as on the platform), with one request per instance as the platform runs the `trace`
// handler, the deployed memory sizes, and per function a cold start of `cold_start[f]` trace time
// (MeasuredColdStarts: the replay's mean measured init of that function x speed), so that its cold
// starts and wasted memory time can be set beside the replay's measured ones.
//
// Failure contract: INVALID_ARGUMENT for a keep-alive spec MakeKeepAlivePolicy rejects, or memory
// sizes that do not match the plan. Thread safety: pure.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "faas/economics/provider_profile.h"
#include "trace/keep_alive_sim.h"
#include "trace/replay/replay_plan.h"

namespace sl::trace {

struct ReplayResult;  // host_replay.h

struct ReplaySimulation {
  std::string policy;                  // the policy's Name()
  double cold_start_trace_s = 0;      // mean over functions
  std::vector<UnitOutcome> functions;  // in plan order; wasted_gb_s at the deployed memory
};

Result<ReplaySimulation> SimulateReplay(const ReplayPlan& plan, const std::vector<int64_t>& memory_mb,
                                        const std::string& keep_alive,
                                        const faas::ProviderProfile& profile,
                                        const std::vector<Nanos>& cold_start);

// Per plan function: the mean init of its cold calls in `result`, x the plan's speed (trace time);
// the mean over all cold calls for a function without one, 0 without any.
std::vector<Nanos> MeasuredColdStarts(const ReplayPlan& plan, const ReplayResult& result);

}  // namespace sl::trace

// The report of a trace replay (`straightline load --trace`): per function and in total the
// invocations planned, sent, completed and failed (by kind), cold starts, latency percentiles,
// billed GB-s (the ledger records' billed time x memory), and where the host can say, idle
// instance time and wasted memory time (idle time x memory, in trace time); beside them the
// keep-alive simulator's prediction when one was made (replay_sim.h). It opens with every change
// made to the trace (the plan's notes) and what was measured vs emulated (the replay's notes).
//
// Thread safety: pure functions of values.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "trace/replay/host_replay.h"
#include "trace/replay/replay_plan.h"
#include "trace/replay/replay_sim.h"

namespace sl::trace {

// sim may be null (no simulation: a gateway replay, or a host without live state).
nlohmann::json ReplayReportJson(const ReplayPlan& plan, const ReplayResult& result,
                                const ReplaySimulation* sim);
// The same as text: the notes, then one row per function (at most max_rows, the busiest) and the
// total.
std::string ReplayReportTable(const nlohmann::json& report, size_t max_rows = 20);

}  // namespace sl::trace

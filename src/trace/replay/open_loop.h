// Open-loop sending for trace replays: call i of a plan is started at its planned time on its
// own thread, whether or not earlier calls have finished (a replay must not slow down when the
// system under test does: that is the load the trace describes).
//
// One short-lived thread per call (the handlers block for the call's whole duration: a pool would
// queue sends behind slow calls). RunOpenLoop returns when every call has returned.
// Thread safety: `run` is called from many threads at once, each with its own index.
#pragma once

#include <cstddef>
#include <functional>

#include "common/clock.h"
#include "trace/replay/replay_plan.h"

namespace sl::trace {

// run(i, lag_ms): performs plan.calls[i] to completion; lag_ms is how late it was started.
void RunOpenLoop(const ReplayPlan& plan, Clock* clock,
                 const std::function<void(size_t, double)>& run);

}  // namespace sl::trace

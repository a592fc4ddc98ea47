// The `trace` built-in handler: the function a trace replay deploys for every trace function
// (`straightline load --trace`, src/trace/replay/), after the vHive invitro load generator's trace
// function: each invocation touches the app's memory and runs for the duration the replay drew.
//
//   payload  {"ms": N, "mb": M, "spin": false}
//     mb    MiB the instance holds and writes on every invocation. The buffer is kept by the
//           instance between invocations (an app's heap stays resident while it is warm), grown
//           when a call asks for more, and every 4 KiB page of it is written once per call: a
//           cold instance pays the first-touch page faults, a warm one only the writes.
//     ms    the invocation's whole duration, memory touching included: after touching, the
//           handler waits out the rest (or, with "spin": true, burns CPU for it, as invitro
//           does; on this 2-core machine the trace's concurrent executions cannot all spin, so
//           replays wait by default and say so).
//   returns {"ms": N, "mb": M, "touch_ms": T, "ran_ms": R, "pid": P}; R > N when touching the
//           memory alone took longer than N.
// INIT: with STRAIGHTLINE_TRACE_MB=M in the function's environment, the instance maps and touches
// its M MiB in its INIT phase (TraceHandlerInit), as an app loads its state when it starts: the
// first-touch cost is then part of the measured cold start (Lambda gives INIT a full CPU; the
// invocation runs under the memory size's CPU share, 0.08 vCPU at 141 MB, where touching
// 100 MiB took seconds), and invocations only write the pages again.
// Errors (handled, errorType "HandlerError"): payload not a JSON object, ms or mb negative or not
// a number, mb over 10,240 (Lambda's largest size); "Runtime.OutOfMemory" when the memory cannot
// be mapped.
// Thread safety: concurrent calls share the instance's buffer under a mutex (touching is
// serialised; waiting is not).
#pragma once

#include "common/clock.h"
#include "runtime/handler_registry.h"

namespace sl::runtime {

// The handler with its waits on `clock` (tests pass a FakeClock: the wait then advances it).
InvocationResponse RunTraceHandler(const InvocationRequest& request, Clock* clock);

// The INIT hook: touches $STRAIGHTLINE_TRACE_MB MiB when set. INVALID_ARGUMENT for a value that is
// not a number in [0, 10240]; RESOURCE_EXHAUSTED when it cannot be mapped.
Status TraceHandlerInit();

// MiB the instance's buffer holds now (tests).
int64_t TraceHandlerResidentMb();

}  // namespace sl::runtime

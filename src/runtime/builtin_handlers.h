// The test handlers every straightline-worker carries. Payloads are JSON objects:
//   noop                 returns {}  (benchmarks: the platform's own overhead)
//   echo                 returns the payload unchanged
//   sleep  {"ms": N}     sleeps N ms, returns {"slept_ms": N, "pid": P} (P: the instance)
//   fail   {"message": "..."}  returns a handled error, errorType "HandlerError"
//   crash  {"how": "abort"|"segv"|"exit", "code": N}  kills its own process mid-invocation
//   alloc  {"mb": N, "hold_ms": M}  allocates and touches N MiB (memory-limit tests)
//   env                  returns the instance's environment as a JSON object
//   spin   {"ms": N}     burns CPU for N ms of wall time, returns CPU time used (quota tests)
//   trace  {"ms": N, "mb": M}  touches M MiB kept by the instance, runs N ms in all: what a trace
//                        replay deploys per trace function (trace_handler.h)
//   init-error           fails its INIT phase (posts /runtime/init/error)
// Training and prediction handlers are registered by their own layers the same way.
#pragma once

#include "common/status.h"
#include "runtime/handler_registry.h"

namespace sl::runtime {

Status RegisterBuiltinHandlers(HandlerRegistry* registry);

}  // namespace sl::runtime

// Whether this machine lets the platform sandbox function instances (runtime/sandbox.h,
// instance_network.h): root (CAP_SYS_ADMIN) and the mount, PID, IPC, UTS and network namespaces.
// Asked once when a platform is created, so that `auto` isolation can say why it fell back.
// Thread safety: safe from any thread (the PID-namespace check forks a child that only makes
// syscalls). Failure contract: FAILED_PRECONDITION naming the first missing piece.
#pragma once

#include "common/status.h"

namespace sl::faas {

Status ProbeSandbox();

}  // namespace sl::faas

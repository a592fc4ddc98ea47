// Waiting for SIGINT / SIGTERM in long-running commands (platform serve, serve): a self-pipe —
// the handler only write()s, the main thread blocks in read(). A handler (not a blocked signal
// mask) keeps the processes these commands fork and exec free of our mask.
// Thread safety: install once from the main thread before starting servers.
#pragma once

#include "common/status.h"

namespace sl::cli {

Status InstallShutdownSignalHandlers();
// Blocks until SIGINT or SIGTERM arrives; returns the signal number (0 if the pipe closed).
int WaitForShutdownSignal();

}  // namespace sl::cli

// `straightline load --trace PATH ...`: replays an Azure Functions trace (issue 21 §1) on a
// function host or against the serving gateway. load_command.cc hands every invocation with
// --trace to RunTraceLoad; the library is src/trace/replay.
#pragma once

#include "cli/commands.h"

namespace sl::cli {

int RunTraceLoad(const Args& args);

// True when args name --trace (as "--trace PATH" or "--trace=PATH").
bool HasTraceFlag(const Args& args);

}  // namespace sl::cli

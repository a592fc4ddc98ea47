// The runtime loop of a function instance (aws-lambda-cpp's run_handler): poll
// /invocation/next, call the handler, post its response or error, repeat — until the platform
// goes away. stdout/stderr are flushed before each response is posted, so the platform's log
// stream holds the handler's output before the END/REPORT lines.
//
// Exit codes: 0 when the platform closed the Runtime API (normal scale-down), 1 when init
// failed (after posting /runtime/init/error), 2 on a bad environment (no AWS_LAMBDA_RUNTIME_API,
// unknown _HANDLER).
// Thread safety: RunHandler blocks its caller; with concurrency > 1 it runs that many polling
// threads, each with its own connection, all calling the same handler.
#pragma once

#include <string>

#include "runtime/handler_registry.h"

namespace sl::runtime {

// Serves `entry` against the Runtime API at `endpoint` ("host:port").
int RunHandler(const HandlerRegistry::Entry& entry, const std::string& endpoint,
               int concurrency = 1);

// Reads AWS_LAMBDA_RUNTIME_API, _HANDLER and AWS_LAMBDA_MAX_CONCURRENCY from the environment,
// looks the handler up and serves it. An unknown handler is reported to /runtime/init/error
// (errorType Runtime.HandlerNotFound) so the invocation fails the way Lambda's does.
int RunFromEnvironment(const HandlerRegistry& registry);

}  // namespace sl::runtime

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

#include <map>
#include <optional>
#include <string>

#include "runtime/handler_registry.h"

namespace sl::runtime {

// Serves `entry` against the Runtime API at `endpoint` ("host:port").
int RunHandler(const HandlerRegistry::Entry& entry, const std::string& endpoint,
               int concurrency = 1);

// Reads AWS_LAMBDA_RUNTIME_API, _HANDLER and AWS_LAMBDA_MAX_CONCURRENCY from the environment,
// looks the handler up and serves it. An unknown handler is reported to /runtime/init/error
// (errorType Runtime.HandlerNotFound) so the invocation fails the way Lambda's does.
// In a function image built from a functions file, _HANDLER (the image's CMD) may name one of
// its functions (LookUpPackagedFunction): a built-in one is served with its handler, a custom
// runtime's bootstrap is exec'd in its folder with _HANDLER and LAMBDA_TASK_ROOT set; the
// function's environment fills variables the platform did not set.
int RunFromEnvironment(const HandlerRegistry& registry);

// A function of the index $STRAIGHTLINE_FUNCTIONS_FILE names (`straightline package function
// --functions` writes /opt/straightline/functions.json:
// {"functions": {NAME: {"runtime": "builtin"|"provided", "handler", "environment",
// "bootstrap"?, "task_root"?}}}).
struct PackagedFunction {
  std::string name;
  std::string handler;    // built-in handler, or the custom runtime's _HANDLER
  std::string bootstrap;  // custom runtime: the executable to exec; empty for a built-in
  std::string task_root;  // custom runtime: its folder (LAMBDA_TASK_ROOT, working directory)
  std::map<std::string, std::string> environment;
};
// nullopt when the variable is unset or the index has no function `name`; an error when the
// index cannot be read or is malformed.
Result<std::optional<PackagedFunction>> LookUpPackagedFunction(const std::string& name);
// Sets each of the function's environment variables that is not set already.
void ApplyDefaultEnvironment(const PackagedFunction& f);

}  // namespace sl::runtime

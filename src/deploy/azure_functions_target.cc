// azure-functions: a custom-handler project for straightline-worker.
//   host.json customHandler.description.defaultExecutablePath   straightline-worker (copied to
//       the app root with its libraries, as the function image holds it); arguments --mode azure
//       (the worker would also pick it from FUNCTIONS_CUSTOMHANDLER_PORT; explicit is surer)
//   enableForwardingHttpRequest true                            every function is an HTTP
//       trigger with an `http` output and nothing else, which is exactly when Azure forwards the
//       original request to the handler (path /api/<function>, body untouched) instead of
//       wrapping it in its invocation JSON, so the worker answers as in its plain-HTTP mode
//   functionTimeout                                             the longest function timeout,
//       as HH:MM:SS, at most the profile's limit (Consumption: 10 min)
//   <function>/function.json   httpTrigger (POST, authLevel function: a function key) + http out,
//       for predict AND the training functions: the coordinator's `--platform http` host calls
//       preprocess/train-shard synchronously and reads their result from the response; a queue
//       trigger would need a second channel for results and retries the coordinator already does
//   handler                    the worker picks a function's handler by the function's name
//       (its folder), else the app's _HANDLER: a function named otherwise than its handler is
//       fine while all such functions share one handler (then _HANDLER is written), else an
//       error naming the function
//   local.settings.json        FUNCTIONS_WORKER_RUNTIME=custom and the functions' environment
//       (Azure app settings are app-wide: two functions giving one variable two values is an
//       error naming the second)
// Memory is not configurable per function on Consumption (one instance size), so memorySize
// only feeds the checks; reservedConcurrency has no per-function equivalent (WEBSITE_MAX_DYNAMIC_
// APPLICATION_SCALE_OUT is app-wide: the largest is written).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "deploy/targets.h"
#include "faas/economics/provider_profile.h"

namespace sl::deploy {

using nlohmann::json;

Result<AzureProject> AzureFunctionsProject(const FunctionsSpec& f) {
  auto azure = faas::LoadProviderProfile("azure-functions");
  if (!azure.ok()) return azure.status();
  AzureProject p;
  double longest = 0;
  int64_t scale_out = 0;
  json values = {{"FUNCTIONS_WORKER_RUNTIME", "custom"}, {"AzureWebJobsStorage", ""}};
  std::string default_handler;
  for (const auto& fn : f.functions) {
    if (fn.custom_runtime) {
      return InvalidArgument("{}: runtime: a custom runtime speaks the Lambda Runtime API, not Azure's "
                             "custom-handler protocol: only built-in handlers run as Azure functions",
                             fn.source);
    }
    if (fn.name != fn.handler) {
      if (!default_handler.empty() && default_handler != fn.handler) {
        return InvalidArgument("{}: handler: '{}' differs from the function's name and from "
                               "another such function's handler '{}'; on Azure the worker finds "
                               "a handler by function name, else one app-wide _HANDLER",
                               fn.source, fn.handler, default_handler);
      }
      default_handler = fn.handler;
    }
    if (fn.timeout_s > azure->max_timeout_s) {
      return InvalidArgument("{}: timeout: {} s is above Azure Functions' {} s", fn.source,
                             fn.timeout_s, azure->max_timeout_s);
    }
    longest = std::max(longest, fn.timeout_s);
    scale_out = std::max(scale_out, fn.reserved_concurrency);
    for (const auto& [k, v] : fn.environment) {
      if (values.contains(k) && values[k] != v) {
        return InvalidArgument("{}: environment: {} differs from another function's value, and "
                               "Azure app settings are shared by the whole app", fn.source, k);
      }
      values[k] = v;
    }
    json trigger = {{"type", "httpTrigger"}, {"direction", "in"},  {"name", "req"},
                    {"authLevel", "function"}, {"methods", json::array({"post"})}};
    // No custom route: the worker finds the function (and so the handler) from the first path
    // segment after the prefix, /api/<function>; --http-path is SAM's only.
    json function = {{"bindings", json::array({trigger, {{"type", "http"},
                                                         {"direction", "out"},
                                                         {"name", "res"}}})}};
    p.functions.emplace_back(fn.name, function);
  }
  if (!default_handler.empty()) values["_HANDLER"] = default_handler;
  if (scale_out > 0) values["WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT"] = std::to_string(scale_out);
  const auto secs = static_cast<int64_t>(std::ceil(longest));
  p.host = {
      {"version", "2.0"},
      {"functionTimeout", fmt::format("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)},
      {"customHandler",
       {{"description", {{"defaultExecutablePath", "straightline-worker"},
                         {"arguments", json::array({"--mode", "azure"})}}},
        {"enableForwardingHttpRequest", true}}},
      {"logging", {{"logLevel", {{"default", "Information"}}}}},
  };
  p.local_settings = {{"IsEncrypted", false}, {"Values", values}};
  return p;
}

}  // namespace sl::deploy

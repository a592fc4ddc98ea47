// The Azure Functions custom-handler wire format, as straightline-worker implements it (the HTTP
// server around it is http_mode.h, HttpProtocol::kAzure). Sources: learn.microsoft.com/azure/
// azure-functions/functions-custom-handlers (MicrosoftDocs/azure-docs articles/azure-functions/
// functions-custom-handlers.md, "Request payload", "Response payload", "HTTP-only function") and
// the Functions host (Azure/azure-functions-host src/WebJobs.Script/Workers/Http/
// DefaultHttpWorkerService.cs, HttpScriptInvocationResultExtensions.cs,
// HttpOutputBindingResponse.cs, HttpWorkerConstants.cs).
//
// The host starts the handler with FUNCTIONS_CUSTOMHANDLER_PORT and calls 127.0.0.1:PORT:
//   * invocation payload (every trigger; HTTP triggers unless forwarding is on):
//       POST /{functionName}   {"Data": {binding: value, ...}, "Metadata": {...}}
//     an HTTP trigger's value is {"Url", "Method", "Query", "Headers", "Params", "Body"} (Body a
//     string; base64 for application/octet-stream and multipart); a queue message is a string;
//     other values are JSON. The handler's payload is that Body / string / JSON text (the only
//     input binding; with several, the first that is an HTTP request, else the first).
//     Answer: 200 {"Outputs": {"res": HTTP}, "Logs": [...], "ReturnValue": HTTP} for an HTTP
//     trigger, where HTTP = {"statusCode", "status", "body", "headers"} is what the plain mode
//     would have answered (the host requires all four: HttpOutputBindingResponse); it goes back to
//     the caller, so faas::HttpHost sees the same statuses and X-Amz-Function-Error as in kPlain.
//     body is a JSON string: bytes that are not UTF-8 are replaced (U+FFFD), so binary responses
//     need forwarding (below). The built-in handlers answer JSON.
//     Other triggers: 200 {"Outputs": {}, "Logs": [...], "ReturnValue": response} on success, and
//     500 with the error JSON on a function error (the host fails the invocation, so queue
//     triggers retry and poison as usual: it calls EnsureSuccessStatusCode).
//   * forwarded HTTP request (host.json customHandler.enableForwardingHttpRequest, renamed
//     enableProxyingHttpRequest): the caller's request as-is on its original path
//     /{routePrefix}/{route} (route defaults to the function name): answered as kPlain.
// The function name (the folder of its function.json) picks the handler: the handler of that
// name, else the default one.
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/http_message.h"
#include "common/status.h"
#include "runtime/handler_registry.h"

namespace sl::runtime {

struct AzureRoute {
  std::string function;   // the function name ("" when the forwarded route has none)
  bool forwarded = false; // a raw HTTP request (forwarding on), not an invocation payload
};

// POST /{name} → {name, false}; /{prefix}/{route...} → {first route segment, true}. nullopt for
// "/" and paths with more segments outside the prefix. An empty prefix: every path is a payload.
std::optional<AzureRoute> AzureRouteOf(std::string_view path, std::string_view route_prefix);

struct AzureInvocation {
  std::string payload;     // what the handler gets
  bool http_trigger = false;
};

// Parses {"Data": {...}, "Metadata": {...}}. INVALID_ARGUMENT naming what is missing.
Result<AzureInvocation> ParseAzureInvocation(std::string_view body);

// The custom-handler answer for `http` (the response the plain mode builds for this invocation).
HttpResponse AzureInvocationAnswer(const AzureInvocation& invocation, const HttpResponse& http,
                                   const std::string& log_line);

}  // namespace sl::runtime

// API Gateway HTTP API events in the worker's Lambda mode (issue 15 §3, the SAM HttpApi route).
//
// Behind an HTTP API route (AWS::Serverless::HttpApi, `straightline deploy --target aws-sam`) or a
// Lambda function URL, a function is not handed the caller's body: API Gateway invokes it with its
// payload-format-2.0 event and reads the function's answer as a 2.0 response. Sources: "Create
// AWS Lambda proxy integrations for HTTP APIs in API Gateway", Amazon API Gateway Developer Guide
// (payload format version 2.0; all header names lower-case; duplicate headers joined by commas;
// isBase64Encoded for bodies that are not text), and the same page's "Lambda function response
// for format 2.0".
//
//   event  {"version": "2.0", "routeKey": "POST /img_classify", "rawPath": "/img_classify",
//           "rawQueryString": "", "headers": {"content-type": "application/json", ...},
//           "requestContext": {"http": {"method": "POST", "path": "/img_classify", ...},
//                              "requestId": "...", ...},
//           "body": "...", "isBase64Encoded": false, ...}
//   answer {"statusCode": 200, "headers": {"content-type": "..."}, "body": "...",
//           "isBase64Encoded": false}
//
// DispatchInvocation recognises such an event (version "2.0", a routeKey and
// requestContext.http.method, which no handler's own payload carries), turns the HTTP request into
// the handler's payload the way the worker's plain HTTP mode and faas::HttpHost do (a JSON body
// as-is; any other body, or a body of KServe's binary tensor data extension with an
// inference-header-content-length header, in the envelope {"content_type", "body_base64",
// "inference_header_content_length"?} that serve::EncodePredictPayload builds), calls the handler
// and answers in the 2.0 response format:
//   handler success       → 200, its Content-Type; a body that is not text is base64-encoded
//   handled error         → the status of its errorType when that is a straightline code name,
//                           as the serving gateway maps it (INVALID_ARGUMENT, FAILED_PRECONDITION,
//                           OUT_OF_RANGE 400; NOT_FOUND 404; RESOURCE_EXHAUSTED 429; UNAVAILABLE
//                           503; DEADLINE_EXCEEDED 504), else 500; body {"error": message,
//                           "errorType": type} (KServe v2's error shape plus the type)
//   handler exception     → 500, the same body (also written to stderr, i.e. the function's log)
//   a method other than POST → 405; a body that is not valid base64 → 400
// Errors are answered, not posted as function errors: API Gateway would turn a function error
// into a bare 500 "Internal Server Error" and the caller would never see why its input was bad.
// Any other payload goes to the handler unchanged. STRAIGHTLINE_HTTP_API_EVENTS=raw turns the
// recognition off (the handler then gets the event itself).
// Thread safety: pure functions of their inputs; the handler is called on the caller's thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "runtime/handler_registry.h"

namespace sl::runtime {

struct HttpApiEvent {
  std::string method;       // requestContext.http.method
  std::string raw_path;     // rawPath
  std::string route_key;    // routeKey: "POST /img_classify" or "$default"
  std::string request_id;   // requestContext.requestId ("" when absent)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;         // decoded when isBase64Encoded
};

// nullopt: `payload` is not an HTTP API 2.0 event. An error: it is one but broken (its body is
// not the base64 it claims to be, headers that are not strings): INVALID_ARGUMENT saying which.
std::optional<Result<HttpApiEvent>> ParseHttpApiEvent(std::string_view payload);

// The handler's payload for an HTTP request with this content type and body (see above).
std::string HandlerPayloadForHttpBody(std::string_view content_type, std::string_view body,
                                      std::string_view inference_header_content_length);

// The HTTP status the answer gets for a handled error of this errorType.
int HttpStatusForErrorType(std::string_view error_type);

// Calls `handler` for `request`: an HTTP API event is unwrapped and answered as a 2.0 response
// (always a success for the Runtime API), anything else is passed through. Exceptions from the
// handler propagate for ordinary payloads (the caller reports them as Lambda does).
InvocationResponse DispatchInvocation(const Handler& handler, const InvocationRequest& request);

}  // namespace sl::runtime

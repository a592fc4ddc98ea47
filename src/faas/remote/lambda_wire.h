// The client side of Lambda's wire format: decoding an error response of the Lambda API into a
// Status code and a retry class, and reading the error JSON of a function error. The server side
// (Status → HTTP) is faas/front/lambda_errors.h; the two agree on every code the front sends.
//
// Error responses, as AWS documents them for Invoke (API reference, "Errors") and as botocore
// parses them: the error code comes from the x-amzn-ErrorType header ("Code:uri" → "Code"),
// else the body's "__type" ("ns#Code" → "Code") or "code"; the text from "message" / "Message".
// (The body's "Type" is "User" | "Service", the fault side, not the code.)
//
//   429  TooManyRequestsException (+ Retry-After)   RESOURCE_EXHAUSTED  not executed, retried
//   502  EC2*/ENI*/Subnet*/InvalidRuntime/KMS*/
//        ResourceNotReady/EFS*/SnapStart*            UNAVAILABLE         not executed (the
//                                                                        environment failed to
//                                                                        start), retried
//   500  ServiceException, 503, 504, other 5xx      UNAVAILABLE         maybe executed, retried
//                                                                        per policy
//   404  ResourceNotFoundException                  NOT_FOUND
//   400  InvalidRequestContentException,
//        InvalidParameterValueException, ...        INVALID_ARGUMENT
//   413  RequestTooLargeException                   OUT_OF_RANGE
//   415  UnsupportedMediaTypeException             INVALID_ARGUMENT
//   409  ResourceConflictException (function
//        Pending / being updated)                   FAILED_PRECONDITION
//   401/403  InvalidSignatureException,
//        UnrecognizedClientException,
//        AccessDeniedException, ExpiredToken...     PERMISSION_DENIED (message: check credentials)
//   other                                           UNKNOWN
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/http_message.h"
#include "common/status.h"
#include "faas/remote/remote_retry.h"

namespace sl::faas {

struct LambdaApiError {
  int http_status = 0;
  std::string type;     // "TooManyRequestsException", "" if the response names none
  std::string message;  // the service's text, "" if none
  std::optional<Nanos> retry_after;
};

// Decodes a non-2xx response. Never fails: a body that is not JSON leaves type/message empty
// (the message then quotes the start of the body).
LambdaApiError DecodeLambdaApiError(const HttpResponse& response);

struct ClassifiedError {
  Status status;
  RetryClass retry = RetryClass::kFinal;
  bool throttled = false;
};

// `what` prefixes the message: "lambda: invoke 'fn' at http://host:port".
// `credential_hint` is appended to 401/403 messages ("access key AKIA.. from environment").
ClassifiedError ClassifyLambdaApiError(const LambdaApiError& e, std::string_view what,
                                       std::string_view credential_hint);

// errorType of a function error's JSON payload ({"errorMessage": ..., "errorType": ...});
// "" when the payload is not such an object.
std::string FunctionErrorType(std::string_view payload);

// The response header (case-insensitive), or "".
std::string HeaderValue(const HttpResponse& r, std::string_view name);

}  // namespace sl::faas

// Lambda's error responses for the Invoke API front: the one place where a Status code becomes an
// HTTP status, an x-amzn-ErrorType and a JSON body that botocore (the AWS CLI) parses.
//
//   NOT_FOUND           404 ResourceNotFoundException        {"Type":"User","Message":...}
//   INVALID_ARGUMENT    400 InvalidRequestContentException   {"Type":"User","message":...}
//                           (or the `type_override`, e.g. InvalidParameterValueException)
//   OUT_OF_RANGE        413 RequestEntityTooLargeException   {"Type":"User","message":...}
//   RESOURCE_EXHAUSTED  429 TooManyRequestsException + Retry-After
//                           {"Type":"User","message":...,"Reason":"ConcurrentInvocationLimitExceeded"}
//   FAILED_PRECONDITION 409 ResourceConflictException
//   ALREADY_EXISTS      409 ResourceConflictException            (CreateFunction of a taken name)
//   PERMISSION_DENIED   403 AccessDeniedException
//   UNAVAILABLE         503 ServiceException                 {"Type":"Service","Message":...}
//   anything else       500 ServiceException
// Authentication failures (common/sigv4_verifier.h) are 403s with the types Lambda itself answers
// (LambdaAuthErrorResponse):
//   no Authorization header        MissingAuthenticationTokenException  "Missing Authentication Token"
//   malformed Authorization/date   IncompleteSignatureException
//   unknown access key id          UnrecognizedClientException  "The security token included in
//                                                               the request is invalid."
//   wrong signature / expired date InvalidSignatureException    "The request signature we
//                                  calculated does not match..." / "Signature expired: ..."
// (botocore takes the code from x-amzn-ErrorType and the text from "message" or "Message"; the
// member spelling follows each shape in botocore's lambda service model.)
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/http_message.h"
#include "common/sigv4_verifier.h"
#include "common/status.h"

namespace sl::faas {

struct LambdaError {
  int http_status = 500;
  std::string type;        // x-amzn-ErrorType, e.g. "ResourceNotFoundException"
  std::string kind;        // "User" (caller's side) | "Service"
  std::string message_key; // "message" | "Message"
};

// `status` must not be OK.
LambdaError LambdaErrorFor(const Status& status, std::string_view type_override = {});

// The full HTTP response, with x-amzn-ErrorType, x-amzn-RequestId / X-Amz-Request-Id and, for
// 429, Retry-After (whole seconds, at least 1).
HttpResponse LambdaErrorResponse(const Status& status, const std::string& request_id,
                                 std::string_view type_override = {},
                                 int retry_after_seconds = 1);

// The x-amzn-ErrorType Lambda answers for an authentication failure (`f` must not be kNone).
std::string_view LambdaAuthErrorType(SigV4Failure f);

// 403 with LambdaAuthErrorType and the verdict's message (a PERMISSION_DENIED through
// LambdaErrorResponse). `verdict` must not be ok.
HttpResponse LambdaAuthErrorResponse(const SigV4Verdict& verdict, const std::string& request_id);

}  // namespace sl::faas

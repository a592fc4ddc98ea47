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
//   UNAVAILABLE         503 ServiceException                 {"Type":"Service","Message":...}
//   anything else       500 ServiceException
// (botocore takes the code from x-amzn-ErrorType and the text from "message" or "Message"; the
// member spelling follows each shape in botocore's lambda service model.)
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/http_message.h"
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

}  // namespace sl::faas

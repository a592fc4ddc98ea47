#include "faas/front/lambda_errors.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace sl::faas {

LambdaError LambdaErrorFor(const Status& status, std::string_view type_override) {
  LambdaError e;
  e.kind = "User";
  e.message_key = "message";
  switch (status.code()) {
    case Code::kNotFound:
      e = {404, "ResourceNotFoundException", "User", "Message"};
      break;
    case Code::kInvalidArgument:
      e = {400, "InvalidRequestContentException", "User", "message"};
      break;
    case Code::kOutOfRange:
      e = {413, "RequestEntityTooLargeException", "User", "message"};
      break;
    case Code::kResourceExhausted:
      e = {429, "TooManyRequestsException", "User", "message"};
      break;
    case Code::kFailedPrecondition:
    case Code::kAlreadyExists:
      e = {409, "ResourceConflictException", "User", "message"};
      break;
    case Code::kPermissionDenied:
      e = {403, "AccessDeniedException", "User", "message"};
      break;
    case Code::kUnavailable:
      e = {503, "ServiceException", "Service", "Message"};
      break;
    default:
      e = {500, "ServiceException", "Service", "Message"};
      break;
  }
  if (!type_override.empty()) e.type = std::string(type_override);
  return e;
}

HttpResponse LambdaErrorResponse(const Status& status, const std::string& request_id,
                                 std::string_view type_override, int retry_after_seconds) {
  LambdaError e = LambdaErrorFor(status, type_override);
  nlohmann::json body = {{"Type", e.kind}, {e.message_key, status.message()}};
  if (e.http_status == 429) body["Reason"] = "ConcurrentInvocationLimitExceeded";
  // replace: a message quoting a non-UTF-8 payload must not throw.
  HttpResponse r = HttpResponse::Json(
      e.http_status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  r.headers.Set("x-amzn-ErrorType", e.type);
  r.headers.Set("x-amzn-RequestId", request_id);
  r.headers.Set("X-Amz-Request-Id", request_id);
  if (e.http_status == 429) {
    r.headers.Set("Retry-After", std::to_string(std::max(1, retry_after_seconds)));
  }
  return r;
}

std::string_view LambdaAuthErrorType(SigV4Failure f) {
  switch (f) {
    case SigV4Failure::kMissingAuthentication: return "MissingAuthenticationTokenException";
    case SigV4Failure::kIncompleteSignature: return "IncompleteSignatureException";
    case SigV4Failure::kUnknownAccessKey: return "UnrecognizedClientException";
    case SigV4Failure::kSignatureMismatch:
    case SigV4Failure::kExpired:  // AWS says "Signature expired: ..." under this type too
      return "InvalidSignatureException";
    case SigV4Failure::kNone: break;
  }
  return "AccessDeniedException";
}

HttpResponse LambdaAuthErrorResponse(const SigV4Verdict& verdict, const std::string& request_id) {
  return LambdaErrorResponse(Status(Code::kPermissionDenied, verdict.message), request_id,
                             LambdaAuthErrorType(verdict.failure));
}

}  // namespace sl::faas

#include "faas/function_host.h"

namespace sl::faas {

Outcome ClassifyLambdaError(std::string_view function_error, std::string_view error_type) {
  if (function_error.empty()) return Outcome::kSuccess;
  if (error_type == "Sandbox.Timedout") return Outcome::kTimeout;
  if (error_type == "Runtime.OutOfMemory") return Outcome::kOutOfMemory;
  if (error_type == "Runtime.ExitError") return Outcome::kCrash;
  return function_error == "Handled" ? Outcome::kHandledError : Outcome::kUnhandled;
}

Outcome OutcomeOfStatus(const Status& status) {
  if (status.ok()) return Outcome::kSuccess;
  return status.code() == Code::kResourceExhausted ? Outcome::kThrottled : Outcome::kPlatformError;
}

}  // namespace sl::faas

#include "faas/remote/lambda_wire.h"

#include <nlohmann/json.hpp>

namespace sl::faas {
namespace {

std::string Shorten(std::string_view s, size_t n = 200) {
  std::string out(s.substr(0, n));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (s.size() > n) out += "...";
  return out;
}

// Lambda's 502s: the execution environment could not be set up, so the handler never ran.
bool IsInitFailure(std::string_view type) {
  for (std::string_view prefix : {"EC2", "ENI", "Subnet", "InvalidSubnet", "InvalidSecurityGroup",
                                  "InvalidRuntime", "InvalidZipFile", "KMS", "ResourceNotReady",
                                  "EFS", "SnapStart"}) {
    if (type.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

std::string HeaderValue(const HttpResponse& r, std::string_view name) {
  return std::string(r.headers.Get(name));
}

LambdaApiError DecodeLambdaApiError(const HttpResponse& response) {
  LambdaApiError e;
  e.http_status = response.status;
  std::string type = HeaderValue(response, "x-amzn-ErrorType");
  if (size_t colon = type.find(':'); colon != std::string::npos) type.resize(colon);
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    auto str = [&](const char* key) -> std::string {
      auto it = body.find(key);
      return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (type.empty()) type = str("__type");
    if (type.empty()) type = str("code");
    if (size_t hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
    e.message = str("message");
    if (e.message.empty()) e.message = str("Message");
    if (e.message.empty()) e.message = str("errorMessage");
    if (auto it = body.find("retryAfterSeconds"); it != body.end()) {
      if (it->is_string()) e.retry_after = ParseRetryAfter(it->get<std::string>());
      if (it->is_number_integer()) e.retry_after = ParseRetryAfter(std::to_string(it->get<int64_t>()));
    }
  } else if (!response.body.empty()) {
    e.message = Shorten(response.body);
  }
  e.type = type;
  if (auto ra = ParseRetryAfter(HeaderValue(response, "Retry-After"))) e.retry_after = ra;
  return e;
}

ClassifiedError ClassifyLambdaApiError(const LambdaApiError& e, std::string_view what,
                                       std::string_view credential_hint) {
  std::string detail = fmt::format("HTTP {}{}{}", e.http_status, e.type.empty() ? "" : " " + e.type,
                                   e.message.empty() ? "" : ": " + e.message);
  ClassifiedError c;
  const int s = e.http_status;
  if (s == 429 || e.type == "TooManyRequestsException" || e.type == "ThrottlingException") {
    c.status = ResourceExhausted("{}: throttled ({})", what, detail);
    c.retry = RetryClass::kNotExecuted;
    c.throttled = true;
  } else if (s == 401 || s == 403) {
    c.status = PermissionDenied(
        "{}: the endpoint refused the request ({}); check the credentials{}{} and the region, and "
        "that the clock is right (SigV4 allows 5 minutes of skew)",
        what, detail, credential_hint.empty() ? "" : ": ", credential_hint);
  } else if (s == 404) {
    c.status = NotFound("{}: {}", what, detail);
  } else if (s == 413) {
    c.status = OutOfRange("{}: payload too large ({})", what, detail);
  } else if (s == 400 || s == 415) {
    c.status = InvalidArgument("{}: {}", what, detail);
  } else if (s == 409) {
    c.status = FailedPrecondition("{}: {}", what, detail);
  } else if (s == 502 && IsInitFailure(e.type)) {
    c.status = Unavailable("{}: the function's environment could not start ({})", what, detail);
    c.retry = RetryClass::kNotExecuted;
  } else if (s >= 500 && s <= 599) {
    c.status = Unavailable("{}: {}", what, detail);
    c.retry = RetryClass::kMaybeExecuted;
  } else {
    c.status = UnknownError("{}: unexpected response {}", what, detail);
  }
  return c;
}

std::string FunctionErrorType(std::string_view payload) {
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return "";
  auto it = j.find("errorType");
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace sl::faas

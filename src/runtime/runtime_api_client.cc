#include "runtime/runtime_api_client.h"

#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace sl::runtime {
namespace {

constexpr const char* kPrefix = "/2018-06-01/runtime";

HttpConnection::Options ConnectionOptions(const std::string& endpoint) {
  HttpConnection::Options o;
  o.name = "runtime API";
  SplitHostPort(endpoint, &o.host, &o.port);
  return o;  // no timeout: /next waits for as long as the platform has no invocation
}

}  // namespace

RuntimeApiClient::RuntimeApiClient(std::string endpoint)
    : endpoint_(std::move(endpoint)), connection_(ConnectionOptions(endpoint_)) {}

RuntimeApiClient::~RuntimeApiClient() = default;

Status RuntimeApiClient::RoundTrip(const std::string& method, const std::string& path,
                                   const std::string& body, const std::string& extra_headers) {
  std::string head;
  head.reserve(256);
  head += method;
  head += ' ';
  head += path;
  head += " HTTP/1.1\r\nHost: ";
  head += endpoint_;
  head += "\r\n";
  head += extra_headers;
  if (method != "GET") {
    head += "Content-Length: ";
    head += std::to_string(body.size());
    head += "\r\n";
  }
  head += "\r\n";
  Status s = connection_.RoundTrip(head, body, &reply_);
  if (!s.ok()) return s.WithContext(fmt::format("{} {}", method, path));
  return Status::Ok();
}

Result<InvocationRequest> RuntimeApiClient::Next() {
  std::string path = std::string(kPrefix) + "/invocation/next";
  SL_RETURN_IF_ERROR(RoundTrip("GET", path, "", ""));
  if (reply_.status != 200) {
    return Internal("GET {}: HTTP {}: {}", path, reply_.status, reply_.body);
  }
  InvocationRequest req;
  req.payload = std::move(reply_.body);
  req.request_id = std::string(reply_.Header("lambda-runtime-aws-request-id"));
  req.function_arn = std::string(reply_.Header("lambda-runtime-invoked-function-arn"));
  req.trace_id = std::string(reply_.Header("lambda-runtime-trace-id"));
  req.deadline_ms = std::atoll(std::string(reply_.Header("lambda-runtime-deadline-ms")).c_str());
  if (req.request_id.empty()) {
    return Internal("GET {}: reply without Lambda-Runtime-Aws-Request-Id", path);
  }
  return req;
}

Status RuntimeApiClient::PostResponse(const std::string& request_id, const std::string& body,
                                      const std::string& content_type) {
  std::string path = std::string(kPrefix) + "/invocation/" + request_id + "/response";
  SL_RETURN_IF_ERROR(RoundTrip("POST", path, body, "Content-Type: " + content_type + "\r\n"));
  if (reply_.status != 202) return Internal("POST {}: HTTP {}: {}", path, reply_.status, reply_.body);
  return Status::Ok();
}

Status RuntimeApiClient::PostError(const std::string& request_id, const std::string& error_json,
                                   const std::string& error_type) {
  std::string path = std::string(kPrefix) + "/invocation/" + request_id + "/error";
  SL_RETURN_IF_ERROR(RoundTrip("POST", path, error_json,
                               "Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: " +
                                   error_type + "\r\n"));
  if (reply_.status != 202) return Internal("POST {}: HTTP {}: {}", path, reply_.status, reply_.body);
  return Status::Ok();
}

Status RuntimeApiClient::PostInitError(const std::string& error_json,
                                       const std::string& error_type) {
  std::string path = std::string(kPrefix) + "/init/error";
  SL_RETURN_IF_ERROR(RoundTrip("POST", path, error_json,
                               "Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: " +
                                   error_type + "\r\n"));
  if (reply_.status != 202) return Internal("POST {}: HTTP {}: {}", path, reply_.status, reply_.body);
  return Status::Ok();
}

}  // namespace sl::runtime

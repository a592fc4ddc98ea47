// RuntimeApiClient: the instance side of the AWS Lambda Runtime API (version 2018-06-01), over
// one keep-alive HTTP/1.1 connection to AWS_LAMBDA_RUNTIME_API ("host:port").
//
//   GET  /2018-06-01/runtime/invocation/next            → Next()   (long poll, no timeout)
//   POST /2018-06-01/runtime/invocation/{id}/response   → PostResponse()
//   POST /2018-06-01/runtime/invocation/{id}/error      → PostError()
//   POST /2018-06-01/runtime/init/error                 → PostInitError()
// On common/http_connection.h (not libcurl, not Beast) because it sits on the warm path of every
// invocation and in every forked instance: one write and one or two reads per call. No timeout:
// /next is a long poll.
// Failure contract: UNAVAILABLE when the platform cannot be reached or closes the connection
// (the instance should exit: the platform is gone or replacing it); INTERNAL on a malformed
// reply or an unexpected HTTP status, naming the path and status.
// Thread safety: one client per thread.
#pragma once

#include <string>

#include "common/http_connection.h"
#include "common/status.h"
#include "runtime/handler_registry.h"

namespace sl::runtime {

class RuntimeApiClient {
 public:
  explicit RuntimeApiClient(std::string endpoint);  // "127.0.0.1:9001"
  ~RuntimeApiClient();
  RuntimeApiClient(const RuntimeApiClient&) = delete;
  RuntimeApiClient& operator=(const RuntimeApiClient&) = delete;

  Result<InvocationRequest> Next();
  Status PostResponse(const std::string& request_id, const std::string& body,
                      const std::string& content_type);
  Status PostError(const std::string& request_id, const std::string& error_json,
                   const std::string& error_type);
  Status PostInitError(const std::string& error_json, const std::string& error_type);

 private:
  // One request; `extra_headers` are complete "Name: value\r\n" lines.
  Status RoundTrip(const std::string& method, const std::string& path, const std::string& body,
                   const std::string& extra_headers);

  std::string endpoint_;
  HttpConnection connection_;
  HttpConnection::Response reply_;  // the last reply, reused
};

}  // namespace sl::runtime

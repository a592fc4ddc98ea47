// RuntimeApiServer: the platform side of the AWS Lambda Runtime API (2018-06-01) for ONE
// instance. Each instance gets its own HttpServer — on a free loopback port, or (sandboxed) on
// 127.0.0.1:9001 inside the instance's own network namespace — because AWS_LAMBDA_RUNTIME_API is
// only "host:port": the socket is how the platform knows which instance is calling. Routes:
//   GET  /2018-06-01/runtime/invocation/next           → Delegate::OnNext (long poll)
//   POST /2018-06-01/runtime/invocation/{id}/response  → Delegate::OnResponse
//   POST /2018-06-01/runtime/invocation/{id}/error     → Delegate::OnError
//   POST /2018-06-01/runtime/init/error                → Delegate::OnInitError
// anything else → 404 {"errorMessage": ..., "errorType": "InvalidRequest"} (Lambda's shape).
// The delegate answers through the responder (202 {"status":"OK"} on success, 400
// InvalidRequestID for an unknown id, 413 for an oversized response).
// Thread safety: delegate methods run on the server's thread, concurrently with platform threads.
// Ownership: Stop() (or the destructor) closes the port; never call it from a delegate method.
#pragma once

#include <memory>
#include <string>

#include "common/http_server.h"
#include "common/status.h"

namespace sl::faas {

class RuntimeApiServer {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual void OnNext(HttpResponder respond) = 0;
    virtual void OnResponse(const std::string& request_id, std::string body,
                            HttpResponder respond) = 0;
    // error_type: the Lambda-Runtime-Function-Error-Type header ("" if absent).
    virtual void OnError(const std::string& request_id, std::string body,
                         std::string error_type, HttpResponder respond) = 0;
    virtual void OnInitError(std::string body, std::string error_type, HttpResponder respond) = 0;
  };

  // The delegate must outlive the server (it is held as a shared_ptr). listen_fd >= 0: serve that
  // listening socket (a sandboxed instance's 127.0.0.1:9001, made inside its own network
  // namespace: faas/sandbox/instance_network.h) instead of a fresh loopback port; taken over.
  static Result<std::unique_ptr<RuntimeApiServer>> Start(std::shared_ptr<Delegate> delegate,
                                                         uint64_t max_body_bytes, int listen_fd = -1);
  ~RuntimeApiServer();
  int port() const { return server_->port(); }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port()); }
  void Stop();

  // Standard replies.
  static HttpResponse Accepted();                                  // 202 {"status":"OK"}
  static HttpResponse Error(int status, const std::string& type, const std::string& message);

 private:
  RuntimeApiServer() = default;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace sl::faas

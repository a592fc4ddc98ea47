// straightline-worker's HTTP modes: the same built-in handlers as the Lambda loop
// (run_handler.h), served to platforms that push requests over HTTP instead of letting the
// instance poll the Runtime API.
//
//   kPlain  Cloud Run functions / Cloud Run services, Knative (and anything that POSTs to a URL):
//           listens on HOST:$PORT (the worker picks 0.0.0.0 under Cloud Run/Knative, else
//           127.0.0.1: it does not authenticate, the platform's ingress does).
//             POST / | POST /invoke   body = the handler's payload
//               → 200, body = the handler's response (its Content-Type)
//               → 200 + X-Amz-Function-Error: Handled, body {"errorMessage","errorType",...} when
//                 the handler returned an error (what the embedded platform calls Handled: the
//                 caller keeps the error's type, Lambda's Invoke API convention)
//               → 500 + X-Amz-Function-Error: Unhandled + the same JSON when the handler threw
//                 (or its lazy INIT failed): a 5xx so the platform's error metrics count it
//               faas::HttpHost reads exactly this (faas/remote/http_host.h: 2xx + the header →
//               function error typed by errorType; 5xx + error JSON → Unhandled).
//             GET /healthz        200 {"status":"ok","in_flight":N}; 503 once draining (probes)
//             more requests than concurrency + queue → 429 + Retry-After: 1 (HttpHost retries)
//             after SIGTERM: new invocations 503 (+ Connection: close), in-flight ones finish
//   kAzure  Azure Functions custom handler (FUNCTIONS_CUSTOMHANDLER_PORT; see
//           azure_custom_handler.h for the wire format): POST /{function} with the invocation
//           payload {"Data", "Metadata"}, or the forwarded raw HTTP request on
//           /{routePrefix}/{route} (host.json enableForwardingHttpRequest / enableProxyingHttpRequest)
//           answered as in kPlain. The function name picks the handler of that name, else the
//           default handler (_HANDLER / CMD).
//
// The default handler's INIT hook runs before the server listens (a platform that probes sees the
// instance ready only once e.g. the predict model is loaded); other handlers reached through Azure
// function names run theirs at their first call (an INIT failure answers that call and every later
// one with errorType Runtime.InitError).
// Handlers run on `concurrency` threads of their own; the server's I/O threads never block.
// Thread safety: HttpModeServer's methods are for its owner thread; handlers run concurrently
// (a registry handler must allow that when concurrency > 1, as under AWS_LAMBDA_MAX_CONCURRENCY).
// Failure contract: Start fails naming HOST:PORT (busy port, bad address); no request can crash
// the server (handler exceptions become 500s, bodies over max_body_bytes 413).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "runtime/handler_registry.h"

namespace sl::runtime {

enum class HttpProtocol { kPlain, kAzure };

struct HttpModeOptions {
  HttpProtocol protocol = HttpProtocol::kPlain;
  std::string host = "127.0.0.1";
  int port = 8080;                      // 0: a free port (tests; printed in the "listening" line)
  int concurrency = 1;                  // handler calls at once (Cloud Run/Knative containerConcurrency)
  int queue = 16;                       // requests allowed to wait for a handler thread
  uint64_t max_body_bytes = 32ull << 20;
  std::chrono::milliseconds timeout{300000};  // the handler's deadline (InvocationRequest)
  std::string azure_route_prefix = "api";     // host.json extensions.http.routePrefix
};

class HttpModeServer {
 public:
  // `default_entry` may be null in kAzure mode (each function name must then name a handler);
  // its init must already have run. `registry` must outlive the server.
  static Result<std::unique_ptr<HttpModeServer>> Start(const HandlerRegistry* registry,
                                                       const HandlerRegistry::Entry* default_entry,
                                                       HttpModeOptions options);
  ~HttpModeServer();
  int port() const;
  // Refuses new invocations (503) and health checks, waits up to `grace` for the ones running or
  // queued, then stops the server. Returns how many were still unfinished at the deadline.
  int Drain(std::chrono::milliseconds grace);

  class Impl;

 private:
  explicit HttpModeServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The worker's entry point for both modes: runs `handler`'s INIT (exit 1 on failure, with the
// error on stderr), starts the server, prints "listening: http://HOST:PORT" on stdout, waits for
// SIGTERM/SIGINT, drains within `drain_grace`, returns 0 (1 if requests were cut off).
// `handler` may be empty in kAzure mode. Exit 2: unknown handler or a port that cannot be bound.
int RunHttpMode(const HandlerRegistry& registry, const std::string& handler, HttpModeOptions options,
                std::chrono::milliseconds drain_grace);

}  // namespace sl::runtime

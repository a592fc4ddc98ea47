// HttpServer: an HTTP/1.1 server (keep-alive, pipelining-safe) for every surface straightline
// exposes — the Lambda Runtime API each function instance polls, the Lambda Invoke API front,
// the KServe v2 gateway, /metrics. Built on Boost.Beast; this header does not include Boost.
//
// Handlers are asynchronous: the server calls handler(request, respond) on one of its threads;
// the handler calls respond(response) exactly once, then or later and from any thread (a long
// poll such as the Runtime API's /invocation/next simply keeps `respond` until work arrives).
// A handler that throws gets a 500 response; the server never crashes on a request. Requests
// whose body exceeds Options::max_body_bytes get 413 before the handler sees them; malformed
// HTTP gets 400 (431 for a request head over 64 KiB) and the connection is closed.
// Thread safety: Start/Stop from one owner thread; handlers run concurrently on `threads`
// threads. Stop() waits for those threads; responders called after Stop() are ignored.
// A handler that blocks (e.g. waits on a future) holds one of the `threads` until it returns;
// servers with blocking handlers size `threads` for their concurrency. Stop() waits for running
// handlers to return, so unblock them first.
// Requests on one connection are answered in order: the next request (pipelined or not) is read
// only after the previous response was written. "Expect: 100-continue" is honoured.
// The message types (HttpRequest, HttpResponse, HttpHeaders) are in common/http_message.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http_message.h"
#include "common/status.h"

namespace sl {

using HttpResponder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&& request, HttpResponder respond)>;

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: pick a free port; see port()
    // >= 0: serve this already-listening TCP socket instead of binding host:port (the server
    // takes ownership). The function platform creates a Runtime API socket inside an instance's
    // own network namespace and serves it from the platform's threads (faas/sandbox).
    int listen_fd = -1;
    int threads = 2;
    uint64_t max_body_bytes = 64ull << 20;
    // Builds the responses the server itself sends (400/413/431 for bad HTTP, 500 when a handler
    // throws) from the status and a message; empty: plain text. A JSON API sets its error shape.
    std::function<HttpResponse(int status, std::string message)> error_response;
  };

  // Binds, listens and starts serving. Errors name host:port and errno (e.g. address in use).
  static Result<std::unique_ptr<HttpServer>> Start(const Options& options, HttpHandler handler);

  virtual ~HttpServer() = default;
  virtual int port() const = 0;
  virtual void Stop() = 0;  // idempotent; also done by the destructor
  // Stops listening: new connections are refused by the kernel, while connections already open
  // keep being served until Stop() (a draining server: SIGTERM under Knative/Kubernetes).
  // Idempotent; callable from any thread.
  virtual void StopAccepting() = 0;
};

}  // namespace sl

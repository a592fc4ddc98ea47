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
//
// Resource bounds (issue 16; every one in Options below, 0 disables a timeout):
//   * header_timeout: a request head must be complete this long after its first byte (for the
//     first request of a connection: after the accept). A client trickling a head (slowloris)
//     is closed without an answer.
//   * body_timeout: the body must be complete this long after the head (a total, not an
//     inactivity timer: one byte a minute does not keep it open). Closed without an answer.
//   * idle_timeout: a keep-alive connection waiting for its next request is closed after this
//     long. A request waiting for its handler (a long poll) is never timed out by the server.
//   * write_timeout: writing one response (a client that does not read) closes after this long.
//   * max_connections: connections open at once. One more is accepted and answered
//     "503 Service Unavailable" + Retry-After + Connection: close without reading its request
//     (at most max_connections / 8 + 8 such refusals linger at once, for up to a second, so that
//     the client reads the 503 instead of a reset; beyond that it is closed at once), and the
//     refusals are logged at most once per 10 s with a count. Accept errors (EMFILE) back off
//     50 ms and are logged the same rate-limited way.
//   * max_inflight_body_bytes: the sum of the bodies of requests being read or handled, over all
//     connections, counted from Content-Length when the head arrives (chunked: per chunk, as each
//     chunk header arrives) until the response starts. A request that would pass the cap is
//     answered "503" + Retry-After + Connection: close before its body is read (or before
//     "100 Continue"), and the rest it sends is discarded without being kept. The choice is a
//     refusal, not a wait: a waiting request would still hold its connection and socket buffers.
// stats() counts what these bounds did.
// The message types (HttpRequest, HttpResponse, HttpHeaders) are in common/http_message.h.
#pragma once

#include <chrono>
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
    // Resource bounds (see the top of this file). Timeouts: 0 disables.
    std::chrono::milliseconds header_timeout{30000};
    std::chrono::milliseconds body_timeout{60000};
    std::chrono::milliseconds idle_timeout{60000};
    std::chrono::milliseconds write_timeout{60000};
    // 0: half of the process's file descriptor limit (RLIMIT_NOFILE, soft), within [16, 10000].
    int max_connections = 0;
    // 0: max(256 MiB, max_body_bytes). A value below max_body_bytes is raised to it (a body the
    // server accepts must fit when nothing else is in flight).
    uint64_t max_inflight_body_bytes = 0;
    int retry_after_s = 1;  // Retry-After of the server's own 503s
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

  // What the resource bounds did so far (monotonic counters, except the two "now" values).
  struct Stats {
    int64_t open_connections = 0;        // now
    uint64_t inflight_body_bytes = 0;    // now
    int64_t accepted_connections = 0;
    int64_t refused_connections = 0;     // over max_connections (503 or closed)
    int64_t header_timeouts = 0;         // closed by header_timeout
    int64_t body_timeouts = 0;           // closed by body_timeout
    int64_t idle_timeouts = 0;           // closed by idle_timeout
    int64_t write_timeouts = 0;          // closed by write_timeout
    int64_t refused_for_body_bytes = 0;  // 503 over max_inflight_body_bytes
    int64_t accept_errors = 0;           // e.g. EMFILE
  };
  virtual Stats stats() const = 0;  // any thread
  // The effective bounds (after defaults), for logs and tests.
  virtual int max_connections() const = 0;
  virtual uint64_t max_inflight_body_bytes() const = 0;
};

}  // namespace sl

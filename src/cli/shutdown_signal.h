// Graceful shutdown of long-running commands (platform serve, serve):
//   * waiting for SIGINT / SIGTERM: a self-pipe — the handler only write()s, the main thread
//     blocks in read(). A handler (not a blocked signal mask) keeps the processes these commands
//     fork and exec free of our mask.
//   * DrainGate: wraps a server's HttpHandler so that after the signal the server drains — the
//     Knative/Kubernetes container contract: on SIGTERM stop taking new work, let the requests in
//     flight finish within a grace period, then exit. After Drain() starts, new requests get 503
//     {"error"} with Connection: close and Retry-After (readiness probes too, so the endpoint is
//     taken out of rotation); requests already inside the handler are answered normally.
//     The HTTP server keeps accepting connections until the caller stops it (HttpServer has no
//     "stop accepting" of its own); each is answered 503 and closed.
// Thread safety: install once from the main thread before starting servers. DrainGate's handler
// may run on any number of threads; Drain() from one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "common/http_server.h"
#include "common/status.h"

namespace sl::cli {

Status InstallShutdownSignalHandlers();
// Blocks until SIGINT or SIGTERM arrives; returns the signal number (0 if the pipe closed).
int WaitForShutdownSignal();

class DrainGate : public std::enable_shared_from_this<DrainGate> {
 public:
  // `inner` handles the requests while the gate is open. Create with std::make_shared: the
  // handler keeps the gate alive as long as the server holds it.
  explicit DrainGate(HttpHandler inner);
  HttpHandler Handler();
  // Closes the gate and waits up to `grace` for the requests in flight (their responders called);
  // returns how many were still unanswered at the deadline.
  int Drain(std::chrono::milliseconds grace);
  int in_flight() const;

 private:
  void Handle(HttpRequest&& request, HttpResponder respond);
  HttpHandler inner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;     // GUARDED_BY(mu_)
  bool draining_ = false; // GUARDED_BY(mu_)
};

}  // namespace sl::cli

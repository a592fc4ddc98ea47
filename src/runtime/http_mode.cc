#include "runtime/http_mode.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/http_server.h"
#include "runtime/azure_custom_handler.h"
#include "runtime/run_handler.h"

namespace sl::runtime {
namespace {


std::string ErrorJson(const std::string& message, const std::string& type) {
  return nlohmann::json{{"errorMessage", message}, {"errorType", type}, {"stackTrace", nlohmann::json::array()}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // messages may carry any bytes
}

std::string NewRequestId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

int64_t EpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             sl::Clock::Real()->WallNow().time_since_epoch())
      .count();
}

// The plain mode's answer for a handler's response (see http_mode.h).
HttpResponse ToHttp(const InvocationResponse& r, bool unhandled) {
  HttpResponse out;
  if (r.success) {
    out.status = 200;
    out.body = r.payload;
    out.headers.Set("Content-Type", r.content_type.empty() ? "application/json" : r.content_type);
    return out;
  }
  out.status = unhandled ? 500 : 200;
  out.body = r.payload;
  out.headers.Set("Content-Type", "application/json");
  out.headers.Set("X-Amz-Function-Error", unhandled ? "Unhandled" : "Handled");
  return out;
}

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(sig);
  ssize_t n = write(g_signal_pipe[1], &b, 1);
  (void)n;
  errno = saved;
}

}  // namespace

class HttpModeServer::Impl {
 public:
  Impl(const HandlerRegistry* registry, const HandlerRegistry::Entry* default_entry, HttpModeOptions options)
      : registry_(registry), default_entry_(default_entry), options_(std::move(options)) {
    if (default_entry_ != nullptr) init_done_[default_entry_->name] = Status::Ok();  // ran before Start
  }

  ~Impl() { Shutdown(); }

  Status Start() {
    for (int i = 0; i < std::max(1, options_.concurrency); ++i) {
      threads_.emplace_back([this] { WorkLoop(); });
    }
    HttpServer::Options so;
    so.host = options_.host;
    so.port = options_.port;
    so.threads = 2;  // I/O only: handlers run on threads_
    so.max_body_bytes = options_.max_body_bytes;
    so.error_response = [](int status, std::string message) {
      return HttpResponse::Json(status, ErrorJson(message, status == 413 ? "RequestEntityTooLarge" : "BadRequest"));
    };
    auto server = HttpServer::Start(so, [this](HttpRequest&& req, HttpResponder respond) {
      Handle(std::move(req), std::move(respond));
    });
    if (!server.ok()) return server.status();
    server_ = std::move(server).value();
    return Status::Ok();
  }

  int port() const { return server_ ? server_->port() : 0; }

  int Drain(std::chrono::milliseconds grace) {
    std::unique_lock<std::mutex> lock(mu_);
    draining_ = true;
    cv_.wait_until(lock, sl::Clock::Real()->Now() + grace, [this] { return in_flight_ == 0; });
    int left = in_flight_;
    lock.unlock();
    // The last responses were handed to the server's I/O threads; give them a moment to reach
    // the socket before Stop() drops unsent writes (the server has no flush signal).
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (left > 0) {
      server_->Stop();  // handler threads may be stuck in a handler: the caller exits without joining
      return left;
    }
    Shutdown();
    return 0;
  }

 private:
  void Shutdown() {
    if (server_) server_->Stop();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  void Reply(HttpResponder& respond, HttpResponse r, const std::string& request_id) {
    if (!request_id.empty()) r.headers.Set("X-Request-Id", request_id);
    respond(std::move(r));
  }

  void Handle(HttpRequest&& req, HttpResponder respond) {
    if (req.path == "/healthz") {
      std::lock_guard<std::mutex> lock(mu_);
      respond(HttpResponse::Json(draining_ ? 503 : 200,
                                 fmt::format(R"({{"status":"{}","in_flight":{}}})", draining_ ? "draining" : "ok",
                                             in_flight_)));
      return;
    }
    const HandlerRegistry::Entry* entry = nullptr;
    bool azure_payload = false;
    if (options_.protocol == HttpProtocol::kPlain) {
      if (req.path != "/" && req.path != "/invoke") {
        respond(HttpResponse::Json(404, ErrorJson(fmt::format("no route {}: POST the payload to / or /invoke",
                                                              req.path),
                                                  "NotFound")));
        return;
      }
      if (req.method != "POST") {
        HttpResponse r = HttpResponse::Json(405, ErrorJson("POST the payload", "MethodNotAllowed"));
        r.headers.Set("Allow", "POST");
        respond(std::move(r));
        return;
      }
      entry = default_entry_;
    } else {
      auto route = AzureRouteOf(req.path, options_.azure_route_prefix);
      if (!route) {
        respond(HttpResponse::Json(404, ErrorJson(fmt::format("no function at {}", req.path), "NotFound")));
        return;
      }
      if (!route->forwarded && req.method != "POST") {
        respond(HttpResponse::Json(405, ErrorJson("the Functions host POSTs invocations", "MethodNotAllowed")));
        return;
      }
      azure_payload = !route->forwarded;
      entry = route->function.empty() ? nullptr : registry_->Find(route->function);
      if (entry == nullptr) entry = default_entry_;
      if (entry == nullptr) {
        std::string known;
        for (const auto& n : registry_->Names()) known += (known.empty() ? "" : ", ") + n;
        respond(HttpResponse::Json(404, ErrorJson(fmt::format("function '{}' names no handler (known: {}) and "
                                                              "no default handler was given (_HANDLER)",
                                                              route->function, known),
                                                  "Runtime.HandlerNotFound")));
        return;
      }
    }
    std::string request_id(req.headers.Get("X-Request-Id"));
    if (request_id.empty()) request_id = std::string(req.headers.Get("X-Azure-Functions-InvocationId"));
    if (request_id.empty()) request_id = NewRequestId();
    std::string trace(req.headers.Get("traceparent"));
    if (trace.empty()) trace = std::string(req.headers.Get("X-Cloud-Trace-Context"));

    std::unique_lock<std::mutex> lock(mu_);
    if (draining_ || stopping_) {
      lock.unlock();
      HttpResponse r = HttpResponse::Json(503, ErrorJson("the instance is shutting down", "Unavailable"));
      r.headers.Set("Connection", "close");
      r.headers.Set("Retry-After", "1");
      Reply(respond, std::move(r), request_id);
      return;
    }
    if (in_flight_ >= std::max(1, options_.concurrency) + std::max(0, options_.queue)) {
      lock.unlock();
      HttpResponse r = HttpResponse::Json(
          429, ErrorJson(fmt::format("the instance is busy: {} requests running or queued (concurrency {}, queue {})",
                                     options_.concurrency + options_.queue, options_.concurrency, options_.queue),
                         "TooManyRequestsException"));
      r.headers.Set("Retry-After", "1");
      Reply(respond, std::move(r), request_id);
      return;
    }
    ++in_flight_;
    auto shared_req = std::make_shared<HttpRequest>(std::move(req));
    auto shared_respond = std::make_shared<HttpResponder>(std::move(respond));
    queue_.push_back([this, entry, azure_payload, shared_req, shared_respond, request_id, trace] {
      HttpResponse r;
      try {
        r = Invoke(*entry, *shared_req, azure_payload, request_id, trace);
      } catch (const std::exception& e) {  // never let a request take the worker thread down
        r = HttpResponse::Json(500, ErrorJson(e.what(), "Runtime.InternalError"));
      }
      Reply(*shared_respond, std::move(r), request_id);
    });
    lock.unlock();
    cv_.notify_all();
  }

  // Runs the handler's INIT once (handlers reached through Azure function names); its status.
  Status EnsureInit(const HandlerRegistry::Entry& entry) {
    std::lock_guard<std::mutex> lock(init_mu_);
    auto it = init_done_.find(entry.name);
    if (it != init_done_.end()) return it->second;
    Status s;
    if (entry.init) {
      try {
        s = entry.init();
      } catch (const std::exception& e) {
        s = Internal("{}", e.what());
      }
    }
    if (!s.ok()) std::fprintf(stderr, "runtime: init of handler '%s' failed: %s\n", entry.name.c_str(), s.ToString().c_str());
    init_done_[entry.name] = s;
    return s;
  }

  HttpResponse Invoke(const HandlerRegistry::Entry& entry, const HttpRequest& req, bool azure_payload,
                      const std::string& request_id, const std::string& trace) {
    std::optional<AzureInvocation> azure;
    InvocationRequest inv;
    if (azure_payload) {
      auto parsed = ParseAzureInvocation(req.body);
      if (!parsed.ok()) return HttpResponse::Json(400, ErrorJson(parsed.status().message(), "BadRequest"));
      azure = std::move(parsed).value();
      inv.payload = azure->payload;
    } else {
      inv.payload = req.body;
    }
    inv.request_id = request_id;
    inv.trace_id = trace;
    inv.deadline_ms = EpochMs() + options_.timeout.count();
    const auto t0 = sl::Clock::Real()->Now();
    HttpResponse http;
    if (Status s = EnsureInit(entry); !s.ok()) {
      http = ToHttp(InvocationResponse::Failure(s.ToString(), "Runtime.InitError"), /*unhandled=*/true);
    } else {
      InvocationResponse response;
      bool threw = false;
      try {
        response = entry.handler(inv);
      } catch (const std::exception& e) {
        response = InvocationResponse::Failure(e.what(), "Runtime.UnhandledException");
        threw = true;
      } catch (...) {
        response = InvocationResponse::Failure("unknown exception", "Runtime.UnhandledException");
        threw = true;
      }
      http = ToHttp(response, threw);
    }
    std::fflush(stdout);
    std::fflush(stderr);
    http.headers.Set("X-Request-Id", request_id);  // also in an Azure res, for the caller
    if (!azure) return http;
    const double ms = std::chrono::duration<double, std::milli>(sl::Clock::Real()->Now() - t0).count();
    return AzureInvocationAnswer(*azure, http,
                                 fmt::format("straightline-worker: handler {} answered {} in {:.1f} ms", entry.name,
                                             http.status, ms));
  }

  void WorkLoop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and nothing left
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
      {
        std::lock_guard<std::mutex> lock(mu_);
        --in_flight_;
      }
      cv_.notify_all();
    }
  }

  const HandlerRegistry* const registry_;
  const HandlerRegistry::Entry* const default_entry_;
  const HttpModeOptions options_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  int in_flight_ = 0;                        // GUARDED_BY(mu_): queued + running
  bool draining_ = false;                    // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::mutex init_mu_;                       // held while an INIT runs: later callers wait for it
  std::map<std::string, Status> init_done_;  // GUARDED_BY(init_mu_)
};

HttpModeServer::HttpModeServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpModeServer::~HttpModeServer() = default;

Result<std::unique_ptr<HttpModeServer>> HttpModeServer::Start(const HandlerRegistry* registry,
                                                              const HandlerRegistry::Entry* default_entry,
                                                              HttpModeOptions options) {
  if (options.protocol == HttpProtocol::kPlain && default_entry == nullptr) {
    return InvalidArgument("http mode: no handler to serve (set _HANDLER or give it as the argument)");
  }
  auto impl = std::make_unique<Impl>(registry, default_entry, std::move(options));
  SL_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<HttpModeServer>(new HttpModeServer(std::move(impl)));
}

int HttpModeServer::port() const { return impl_->port(); }
int HttpModeServer::Drain(std::chrono::milliseconds grace) { return impl_->Drain(grace); }

int RunHttpMode(const HandlerRegistry& registry, const std::string& handler, HttpModeOptions options,
                std::chrono::milliseconds drain_grace) {
  const char* mode = options.protocol == HttpProtocol::kAzure ? "azure custom handler" : "http";
  const HandlerRegistry::Entry* entry = nullptr;
  if (!handler.empty()) {
    // A function of the image's functions file (run_handler.h): its built-in handler.
    std::string name = handler;
    auto packaged = LookUpPackagedFunction(handler);
    if (!packaged.ok()) {
      std::fprintf(stderr, "runtime: %s\n", packaged.status().ToString().c_str());
      return 2;
    }
    if (packaged->has_value()) {
      if (!(*packaged)->bootstrap.empty()) {
        std::fprintf(stderr,
                     "runtime: function '%s' is a custom runtime (%s): it speaks the Lambda Runtime API only, not "
                     "%s mode\n",
                     handler.c_str(), (*packaged)->bootstrap.c_str(), mode);
        return 2;
      }
      ApplyDefaultEnvironment(**packaged);
      name = (*packaged)->handler;
    }
    entry = registry.Find(name);
    if (entry == nullptr) {
      std::string known;
      for (const auto& n : registry.Names()) known += (known.empty() ? "" : ", ") + n;
      std::fprintf(stderr, "runtime: no built-in handler '%s' (known: %s)\n", handler.c_str(), known.c_str());
      return 2;
    }
  } else if (options.protocol == HttpProtocol::kPlain) {
    std::fprintf(stderr, "runtime: %s mode needs a handler: set _HANDLER or give it as the argument\n", mode);
    return 2;
  }
  // Signals first: a SIGTERM during a long INIT (a model download) must still end the process
  // cleanly once INIT returns, not kill it with the default action.
  if (g_signal_pipe[0] < 0 && pipe2(g_signal_pipe, O_CLOEXEC) != 0) {
    std::perror("runtime: signal pipe");
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (entry != nullptr && entry->init) {
    Status s;
    try {
      s = entry->init();
    } catch (const std::exception& e) {
      s = Internal("{}", e.what());
    }
    if (!s.ok()) {
      std::fprintf(stderr, "runtime: init of handler '%s' failed: %s\n", entry->name.c_str(), s.ToString().c_str());
      return 1;
    }
  }
  const std::string host = options.host;
  auto server = HttpModeServer::Start(&registry, entry, std::move(options));
  if (!server.ok()) {
    std::fprintf(stderr, "runtime: %s\n", server.status().ToString().c_str());
    return 2;
  }
  std::printf("listening: http://%s:%d (%s mode, handler %s)\n", host.c_str(), (*server)->port(), mode,
              handler.empty() ? "by function name" : handler.c_str());
  std::fflush(stdout);
  unsigned char sig = 0;
  for (;;) {
    ssize_t n = read(g_signal_pipe[0], &sig, 1);
    if (n == 1 || (n < 0 && errno != EINTR) || n == 0) break;
  }
  std::fprintf(stderr, "runtime: signal %d: draining (grace %lld ms)\n", sig,
               static_cast<long long>(drain_grace.count()));
  int left = (*server)->Drain(drain_grace);
  if (left > 0) {
    std::fprintf(stderr, "runtime: %d request(s) still running after the grace period; exiting anyway\n", left);
    std::fflush(stderr);
    std::_Exit(1);  // handler threads may be stuck in a handler: do not join them
  }
  std::fflush(stderr);
  return 0;
}

}  // namespace sl::runtime

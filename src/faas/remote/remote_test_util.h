// Test helpers of faas_remote_test: a clock whose sleeps are recorded instead of slept, a
// scripted HTTP server that answers from a queue and records what it received, raw TCP peers
// that misbehave (close at once, answer garbage), and a port nothing listens on.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/http_server.h"

namespace sl::faas::testing {

// Real time for Now/WallNow (signatures, round trips), but SleepFor returns at once and adds up
// what it was asked to wait: backoff paths run without sleeping and can be checked.
class NoSleepClock final : public Clock {
 public:
  TimePoint Now() const override { return Clock::Real()->Now() + Nanos(slept_.load()); }
  WallTime WallNow() const override { return Clock::Real()->WallNow(); }
  void SleepFor(Nanos d) override {
    slept_.fetch_add(d.count());
    sleeps_.fetch_add(1);
  }
  Nanos slept() const { return Nanos(slept_.load()); }
  int sleeps() const { return sleeps_.load(); }

 private:
  std::atomic<int64_t> slept_{0};
  std::atomic<int> sleeps_{0};
};

// An HttpServer on 127.0.0.1:0 answering each request with `respond(request, index)`; every
// request is kept. Handlers that must hold a request (timeouts) keep the responder.
class ScriptedServer {
 public:
  using Script = std::function<void(const HttpRequest& request, int index, HttpResponder respond)>;
  explicit ScriptedServer(Script script);
  // Answers from a fixed list (the last one repeats).
  explicit ScriptedServer(std::vector<HttpResponse> responses);
  ~ScriptedServer();

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int requests() const;
  HttpRequest request(int i) const;
  void Stop() { server_->Stop(); }

 private:
  Script script_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;
  std::unique_ptr<HttpServer> server_;
};

// A TCP listener on 127.0.0.1 that answers every connection with `reply` (possibly "") and
// closes it: "" is a connection closed without a response; "garbage" is not HTTP.
class RawPeer {
 public:
  explicit RawPeer(std::string reply);
  ~RawPeer();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::string reply_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// A loopback URL where nothing listens (the port was bound, then released).
std::string RefusingUrl();

// A Lambda API error response as AWS sends it.
HttpResponse LambdaError(int status, const std::string& type, const std::string& message);

}  // namespace sl::faas::testing

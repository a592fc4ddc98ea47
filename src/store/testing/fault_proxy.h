// FaultProxy: an HTTP/1.1 proxy for tests, put in front of a real S3-compatible server (s3rver)
// on 127.0.0.1, that injects the failures an object store really shows, by a seeded schedule:
//
//   500       500 InternalError, either before the request reaches the server or after the
//             server has done it (the caller cannot tell which: an ambiguous outcome)
//   503       503 SlowDown, before the server sees the request (S3 throttling)
//   slow      the answer is held back (options.slow_min_ms..slow_max_ms) and then dribbled out
//   reset     the connection is reset (RST) mid-response, after the server did the request; or,
//             for a request that carries a body, mid-upload before the server sees it
//   truncate  the response head promises Content-Length N and fewer bytes follow before the
//             connection is closed (FIN); a bodiless reply promises bytes it never sends
//
// Every request draws its fault from an RNG seeded with options.seed and the request's arrival
// number, so one client issuing requests one at a time sees the same faults on every run. At
// most options.max_consecutive faults in a row hit one operation (same method and target), so
// with a client that retries more often than that every operation finally succeeds: faults are
// transient by construction unless max_consecutive < 0. Script() queues faults for the next
// requests ahead of the random schedule, for unit tests that need one exact failure.
//
// Optionally (emulate_conditional_put) the proxy honours `If-None-Match: *` on PUT and on
// CompleteMultipartUpload as AWS S3 does since 2024 (s3rver ignores it): under one lock it asks
// the server (a SigV4-signed HEAD with options' credentials) whether the key exists, answers 412
// PreconditionFailed if so and forwards otherwise, so conditional writes through one proxy are
// atomic.
//
// `GET /__fault-proxy/stats` is answered by the proxy itself (JSON of stats()).
// Thread safety: all methods may be called from any thread; each client connection has a thread.
// Not for production: it buffers whole requests and responses in memory.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"

namespace sl::store::testing {

enum class FaultKind { kNone = 0, kServerError, kSlowDown, kSlow, kReset, kTruncate };
inline constexpr int kFaultKinds = 6;

// "none", "500", "503", "slow", "reset", "truncate".
std::string_view FaultKindName(FaultKind kind);
Result<FaultKind> ParseFaultKind(std::string_view name);

struct Fault {
  FaultKind kind = FaultKind::kNone;
  // 500 and reset: whether the server did the request before the fault hit (else it never saw it).
  bool after_upstream = true;
};

struct FaultProxyOptions {
  int upstream_port = 0;             // the S3 server on 127.0.0.1
  int port = 0;                      // 0: a free port on 127.0.0.1
  uint64_t seed = 1;
  // Probability of each fault per request (their sum must be <= 1).
  std::map<FaultKind, double> rates;
  int slow_min_ms = 50;
  int slow_max_ms = 300;
  int max_consecutive = 2;           // < 0: unlimited
  bool emulate_conditional_put = false;
  std::string access_key_id, secret_access_key, region = "us-east-1";  // for the conditional HEAD
};

// "500:0.05,503:0.05,slow:0.05,reset:0.05,truncate:0.05" -> rates.
Result<std::map<FaultKind, double>> ParseFaultRates(std::string_view spec);

struct FaultEvent {
  uint64_t seq = 0;          // arrival number, from 0
  std::string method, target;
  Fault fault;               // what was injected (kNone: passed through)
  int upstream_status = 0;   // the server's status (0: the server never saw it)
};

struct FaultProxyStats {
  uint64_t requests = 0;     // proxied requests (not the stats endpoint)
  uint64_t forwarded = 0;    // reached the server
  uint64_t injected[kFaultKinds] = {};
  uint64_t conditional_refused = 0;  // 412s from the conditional-put emulation
  uint64_t faults() const;   // all injected faults
  std::string ToJson() const;
};

class FaultProxy {
 public:
  static Result<std::unique_ptr<FaultProxy>> Start(FaultProxyOptions options);
  ~FaultProxy();  // stops accepting, closes every connection, joins the threads
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The next requests (of `method` only, when given) get these faults, in order, whatever the
  // random schedule and max_consecutive say.
  void Script(std::vector<Fault> faults, std::string method = "");
  // Turns the random schedule off (scripted faults still apply) or back on.
  void SetRandomFaults(bool on) { random_on_ = on; }

  FaultProxyStats stats() const;
  std::vector<FaultEvent> events() const;  // every request, in arrival order

 private:
  struct Conn;
  struct Upstream;
  explicit FaultProxy(FaultProxyOptions options) : opt_(std::move(options)) {}
  void AcceptLoop();
  void ServeConnection(int fd);
  Fault Decide(uint64_t seq, const std::string& op, const std::string& method);
  Result<Upstream> Forward(const std::string& method, const std::string& target,
                           const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body);
  Result<bool> KeyExists(const std::string& target);

  const FaultProxyOptions opt_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> random_on_{true};
  std::atomic<uint64_t> seq_{0};
  std::thread acceptor_;
  std::mutex cond_mu_;  // serialises conditional puts (check + write)

  mutable std::mutex mu_;
  std::set<int> conns_;                        // GUARDED_BY(mu_): open client sockets
  int active_ = 0;                             // GUARDED_BY(mu_): connection threads running
  std::condition_variable idle_;               // active_ reached 0
  std::deque<std::pair<Fault, std::string>> script_;  // GUARDED_BY(mu_)
  std::map<std::string, int> consecutive_;     // GUARDED_BY(mu_): op -> faults in a row
  FaultProxyStats stats_;                      // GUARDED_BY(mu_)
  std::vector<FaultEvent> events_;             // GUARDED_BY(mu_)
};

}  // namespace sl::store::testing

// HttpServer on Boost.Beast + Asio. The only translation unit that includes Beast for the server
// (Beast is slow to compile; keep it out of headers).
//
// Design:
//   * One io_context run by Options::threads threads; every connection is a Session whose socket
//     lives on its own strand, so a session's handlers never run concurrently.
//   * A session reads one request, calls the user handler, and reads the next request only after
//     the response is written: pipelined requests wait in the read buffer and are answered in
//     order, without extra copies.
//   * The responder holds a weak_ptr to the session and a shared_ptr to the Core (which owns the
//     io_context), so a responder that outlives the server is harmless: after Stop() it is a
//     no-op. Sessions are owned by the Core's registry while they wait for a responder.
//   * Bounds (issue 16): each session has one timer on its strand, armed for the phase it is in
//     (idle wait, head, body, response write, drain) and disarmed while its handler runs; a
//     generation number makes a stale expiry harmless. Between keep-alive requests the session
//     waits for readability (idle_timeout) before it starts the head (header_timeout).
//     Connection count and body bytes in flight are atomics in `Bounds`, shared by the sessions
//     (each session returns what it holds in its destructor, whenever that runs).
#include "common/http_server.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

#include "common/clock.h"
#include "common/log.h"

namespace sl {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

std::string_view Std(beast::string_view s) { return {s.data(), s.size()}; }

constexpr uint32_t kHeaderLimit = 64 * 1024;
// After a 400/413 the server half-closes and discards what the client still sends (so that the
// client reads the error instead of a connection reset), up to this many bytes.
constexpr uint64_t kMaxDrainBytes = 128ull << 20;

// A lingering refusal closes after this long at most (the client reads the 503 meanwhile).
constexpr auto kRefusalLinger = std::chrono::milliseconds(1000);
// After a response with Connection: close, what the client still sends is discarded for at most
// this long (or idle_timeout if shorter).
constexpr auto kDrainTimeout = std::chrono::milliseconds(2000);
constexpr auto kLogEvery = std::chrono::seconds(10);

class Session;

// One warning per kLogEvery, saying how many were folded into it.
class RateLimitedWarning {
 public:
  template <typename... Args>
  void Warn(fmt::format_string<Args...> f, Args&&... args) {
    const auto now = Clock::Real()->Now();
    int64_t folded = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (logged_once_ && now - last_ < kLogEvery) {
        ++suppressed_;
        return;
      }
      logged_once_ = true;
      last_ = now;
      folded = suppressed_;
      suppressed_ = 0;
    }
    std::string msg = fmt::format(f, std::forward<Args>(args)...);
    if (folded > 0) msg += fmt::format(" (and {} more like it in the last {} s)", folded, kLogEvery.count());
    SL_LOG_WARN("http", "{}", msg);
  }

 private:
  std::mutex mu_;
  bool logged_once_ = false;
  std::chrono::steady_clock::time_point last_;
  int64_t suppressed_ = 0;
};

// The resource bounds and their counters; shared by the Core and every session and refusal, so
// that whatever is destroyed last can still return what it holds.
struct Bounds {
  std::chrono::milliseconds header_timeout{0}, body_timeout{0}, idle_timeout{0}, write_timeout{0};
  int max_connections = 0;
  int max_refusing = 0;
  uint64_t max_inflight_body_bytes = 0;
  int retry_after_s = 1;

  std::atomic<int64_t> open{0};
  std::atomic<int64_t> refusing{0};
  std::atomic<uint64_t> inflight_body{0};
  std::atomic<int64_t> accepted{0}, refused{0}, header_timeouts{0}, body_timeouts{0},
      idle_timeouts{0}, write_timeouts{0}, refused_for_bytes{0}, accept_errors{0};
  RateLimitedWarning refusal_log, accept_log, bytes_log;

  bool TryReserve(uint64_t n) {
    uint64_t cur = inflight_body.load(std::memory_order_relaxed);
    do {
      if (n > max_inflight_body_bytes || cur > max_inflight_body_bytes - n) return false;
    } while (!inflight_body.compare_exchange_weak(cur, cur + n, std::memory_order_acq_rel));
    return true;
  }
  void Release(uint64_t n) {
    if (n > 0) inflight_body.fetch_sub(n, std::memory_order_acq_rel);
  }
};

struct Core : std::enable_shared_from_this<Core> {
  explicit Core(int threads) : ioc(threads) {}
  // Declared first: destroyed last, after everything that refers to it.
  net::io_context ioc;
  HttpHandler handler;
  uint64_t max_body_bytes = 0;
  std::function<HttpResponse(int, std::string)> error_response;
  HttpResponse Error(int status, std::string message) const {
    return error_response ? error_response(status, std::move(message))
                          : HttpResponse::Text(status, std::move(message) + "\n");
  }
  std::shared_ptr<Bounds> bounds = std::make_shared<Bounds>();
  std::string refusal_bytes;  // the canned 503 for connections over max_connections
  int port = 0;
  std::atomic<bool> stopped{false};
  std::mutex mu;
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;  // GUARDED_BY(mu)
};

// A serialized response (for the canned refusal, written before any session exists).
std::string Serialize(const HttpResponse& r, int retry_after_s) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", r.status,
                                Std(http::obsolete_reason(static_cast<http::status>(r.status))));
  for (const auto& [name, value] : r.headers.items) {
    if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Connection")) continue;
    out += name + ": " + value + "\r\n";
  }
  out += fmt::format("Retry-After: {}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
                     retry_after_s, r.body.size());
  out += r.body;
  return out;
}

// A connection over max_connections: the canned 503 is written, the write side shut, what the
// client sends discarded (bounded), and the socket closed within kRefusalLinger.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(std::shared_ptr<Bounds> bounds, tcp::socket socket, const std::string* bytes)
      : bounds_(std::move(bounds)), socket_(std::move(socket)), timer_(socket_.get_executor()),
        bytes_(bytes) {}
  ~Refusal() { bounds_->refusing.fetch_sub(1); }

  void Start() {
    timer_.expires_after(kRefusalLinger);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->Close();
    });
    net::async_write(socket_, net::buffer(*bytes_), [self = shared_from_this()](error_code ec, size_t) {
      if (ec) return self->Close();
      error_code sec;
      self->socket_.shutdown(tcp::socket::shutdown_send, sec);
      self->Drain();
    });
  }

 private:
  void Drain() {
    socket_.async_read_some(net::buffer(buf_), [self = shared_from_this()](error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > sizeof(buf_) * 4) return self->Close();
      self->Drain();
    });
  }
  void Close() {
    error_code ec;
    timer_.cancel();
    socket_.close(ec);
  }

  std::shared_ptr<Bounds> bounds_;
  tcp::socket socket_;
  net::steady_timer timer_;
  const std::string* bytes_;  // owned by the Core, which outlives the io_context's handlers
  char buf_[4096];
  size_t drained_ = 0;
};

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Core* core, tcp::socket socket)
      : core_(core), bounds_(core->bounds), socket_(std::move(socket)),
        timer_(socket_.get_executor()) {}
  ~Session() {
    bounds_->Release(reserved_);
    bounds_->open.fetch_sub(1, std::memory_order_acq_rel);
  }

  void Start() {
    error_code ec;
    tcp::endpoint ep = socket_.remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    ReadHeader();
  }

  // Called from any thread by a responder; only the first call for request `seq` counts.
  void Respond(uint64_t seq, HttpResponse response) {
    uint64_t expected = seq;
    if (!awaiting_.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return;
    // Inline when already on this session's strand (a handler answering synchronously).
    net::dispatch(socket_.get_executor(),
                  [weak = weak_from_this(), r = std::move(response)]() mutable {
                    if (auto self = weak.lock()) self->Write(std::move(r));
                  });
  }

  // Only after the io threads have stopped (Stop()).
  void CloseSocket() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  enum class Phase { kIdle, kHeader, kBody, kWrite, kDrain };

  // Arms the session's one timer for `phase`; 0 disables. Every call supersedes the last.
  void Arm(Phase phase, std::chrono::milliseconds after) {
    const uint64_t gen = ++timer_gen_;
    if (after.count() <= 0) {
      timer_.cancel();
      return;
    }
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this(), gen, phase](error_code ec) {
      if (ec || gen != self->timer_gen_) return;
      self->OnTimeout(phase);
    });
  }
  void Disarm() {
    ++timer_gen_;
    timer_.cancel();
  }

  void OnTimeout(Phase phase) {
    switch (phase) {
      case Phase::kIdle: bounds_->idle_timeouts.fetch_add(1); break;
      case Phase::kHeader: bounds_->header_timeouts.fetch_add(1); break;
      case Phase::kBody: bounds_->body_timeouts.fetch_add(1); break;
      case Phase::kWrite: bounds_->write_timeouts.fetch_add(1); break;
      case Phase::kDrain: break;
    }
    if (phase != Phase::kIdle && phase != Phase::kDrain) {
      SL_LOG_DEBUG("http", "port {}: closing {} after its {} timeout", core_->port, remote_,
                   phase == Phase::kHeader ? "header" : phase == Phase::kBody ? "body" : "write");
    }
    Close();  // the pending operation completes with operation_aborted
  }

  // Between keep-alive requests: wait (idle_timeout) for the first byte of the next request,
  // then read its head (header_timeout). A connection's first request and pipelined requests
  // already in the buffer start with the head.
  void ReadHeader() {
    if (!first_request_ && buffer_.size() == 0) {
      Arm(Phase::kIdle, bounds_->idle_timeout);
      socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
        if (ec) return self->Close();
        self->ReadHeaderNow();
      });
      return;
    }
    first_request_ = false;
    ReadHeaderNow();
  }

  void ReadHeaderNow() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(core_->max_body_bytes);
    on_chunk_ = [this](std::uint64_t size, beast::string_view, error_code& ec) {
      if (size == 0) return;
      if (!bounds_->TryReserve(size)) {
        over_budget_ = true;
        ec = net::error::no_buffer_space;
        return;
      }
      reserved_ += size;
    };
    parser_->on_chunk_header(on_chunk_);
    Arm(Phase::kHeader, bounds_->header_timeout);
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(error_code ec) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    if (auto length = parser_->content_length(); length && *length > 0) {
      if (!bounds_->TryReserve(*length)) return RefuseForBytes(*length);
      reserved_ += *length;
    }
    Arm(Phase::kBody, bounds_->body_timeout);
    if (!parser_->is_done() && beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     req.version());
      http::async_write(socket_, *cont, [self = shared_from_this(), cont](error_code ec, size_t) {
        if (ec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return OnRequest();
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->OnRequest();
                     });
  }

  void RefuseForBytes(uint64_t wanted) {
    bounds_->refused_for_bytes.fetch_add(1);
    bounds_->bytes_log.Warn("port {}: refused a request of {} body bytes from {} with 503: {} "
                            "bytes of request bodies in flight, cap {}",
                            core_->port, wanted, remote_, bounds_->inflight_body.load(),
                            bounds_->max_inflight_body_bytes);
    WriteErrorAndClose(503, fmt::format("server busy: request bodies in flight would exceed {} "
                                        "bytes; retry later", bounds_->max_inflight_body_bytes),
                       /*retry_after=*/true);
  }

  void OnReadError(const error_code& ec) {
    if (over_budget_) return RefuseForBytes(0);
    if (ec == http::error::body_limit) {
      return WriteErrorAndClose(413, fmt::format("request body exceeds {} bytes",
                                                 core_->max_body_bytes));
    }
    if (ec == http::error::header_limit) {
      return WriteErrorAndClose(431, fmt::format("request header exceeds {} bytes", kHeaderLimit));
    }
    if (ec != http::error::partial_message && ec != http::error::end_of_stream &&
        IsHttpParseError(ec)) {
      return WriteErrorAndClose(400, fmt::format("malformed HTTP request: {}", ec.message()));
    }
    Close();  // EOF, reset, aborted (timeouts too): nothing to answer
  }

  void OnRequest() {
    Disarm();  // the handler may take as long as it takes (a long poll)
    auto msg = parser_->release();
    parser_.reset();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    std::string method_copy = req.method;
    req.target = std::string(msg.target());
    std::string_view target = Std(msg.target());
    size_t q = target.find('?');
    req.path = PercentDecode(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    req.headers.items.reserve(8);
    for (const auto& field : msg) {
      req.headers.items.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    req.remote_address = remote_;
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    is_head_ = msg.method() == http::verb::head;

    uint64_t seq = ++next_seq_;
    awaiting_.store(seq, std::memory_order_release);
    HttpResponder respond = [weak = weak_from_this(), core = core_->shared_from_this(),
                             seq](HttpResponse r) {
      if (core->stopped.load(std::memory_order_acquire)) return;
      if (auto self = weak.lock()) self->Respond(seq, std::move(r));
    };
    try {
      core_->handler(std::move(req), std::move(respond));
    } catch (const std::exception& e) {
      SL_LOG_WARN("http", "handler for {} {} threw: {}", method_copy, target, e.what());
      Respond(seq, core_->Error(500, fmt::format("internal error: {}", e.what())));
    } catch (...) {
      SL_LOG_WARN("http", "handler for {} {} threw a non-std exception", method_copy, target);
      Respond(seq, core_->Error(500, "internal error"));
    }
  }

  void Write(HttpResponse r) {
    // The request's body is the handler's now (or gone): its bytes no longer count.
    bounds_->Release(reserved_);
    reserved_ = 0;
    bool close = !keep_alive_ || beast::iequals(beast::string_view(r.headers.Get("Connection").data(),
                                                      r.headers.Get("Connection").size()),
                                    "close");
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(r.status));
    for (auto& [name, value] : r.headers.items) {
      if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Connection") ||
          beast::iequals(name, "Transfer-Encoding")) {
        continue;  // framing is ours
      }
      res_.insert(name, value);
    }
    res_.keep_alive(!close);
    bool no_body = r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
    if (no_body) {
      r.body.clear();
    } else {
      res_.content_length(r.body.size());
    }
    if (!is_head_) res_.body() = std::move(r.body);
    Arm(Phase::kWrite, bounds_->write_timeout);
    http::async_write(socket_, res_, [self = shared_from_this(), close](error_code ec, size_t) {
      if (ec) return self->Close();
      if (close) return self->ShutdownAndDrain();
      self->ReadHeader();
    });
  }

  void WriteErrorAndClose(int status, std::string message, bool retry_after = false) {
    keep_alive_ = false;
    is_head_ = false;
    version_ = 11;
    // Not through Respond(): no handler owns this exchange.
    awaiting_.store(0, std::memory_order_release);
    HttpResponse r = core_->Error(status, std::move(message));
    if (retry_after) r.headers.Set("Retry-After", std::to_string(bounds_->retry_after_s));
    Write(std::move(r));
  }

  // Half-close, then discard the rest of what the peer sends until it closes (bounded in bytes
  // and time).
  void ShutdownAndDrain() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    auto linger = kDrainTimeout;
    if (bounds_->idle_timeout.count() > 0) {
      linger = std::min<std::chrono::milliseconds>(linger, bounds_->idle_timeout);
    }
    Arm(Phase::kDrain, linger);
    drain_buf_.resize(16 * 1024);
    Drain();
  }

  void Drain() {
    socket_.async_read_some(net::buffer(drain_buf_),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    Disarm();
    CloseSocket();
    std::shared_ptr<Session> keep;  // release outside the lock
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      auto it = core_->sessions.find(this);
      if (it != core_->sessions.end()) {
        keep = std::move(it->second);
        core_->sessions.erase(it);
      }
    }
  }

  Core* core_;  // outlives every session (sessions are destroyed with or before the io_context)
  std::shared_ptr<Bounds> bounds_;
  tcp::socket socket_;
  net::steady_timer timer_;  // on the socket's strand
  uint64_t timer_gen_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::function<void(std::uint64_t, beast::string_view, error_code&)> on_chunk_;
  http::response<http::string_body> res_;
  std::string remote_;
  bool first_request_ = true;
  bool keep_alive_ = true;
  bool is_head_ = false;
  bool over_budget_ = false;
  uint64_t reserved_ = 0;  // body bytes this session holds in Bounds::inflight_body
  unsigned version_ = 11;
  uint64_t next_seq_ = 0;
  std::atomic<uint64_t> awaiting_{0};  // seq of the request waiting for its responder; 0: none
  std::vector<char> drain_buf_;
  uint64_t drained_ = 0;
};

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(std::shared_ptr<Core> core, int threads)
      : core_(std::move(core)), acceptor_(core_->ioc), retry_timer_(core_->ioc),
        work_(net::make_work_guard(core_->ioc)), threads_(threads) {}

  ~BeastHttpServer() override { Stop(); }

  Status Listen(const std::string& host, int port) {
    error_code ec;
    net::ip::address addr = net::ip::make_address(host, ec);
    if (ec) return InvalidArgument("http server: '{}' is not an IP address: {}", host, ec.message());
    tcp::endpoint ep(addr, static_cast<unsigned short>(port));
    std::string where = fmt::format("{}:{}", host, port);
    acceptor_.open(ep.protocol(), ec);
    if (ec) return ErrnoError(ec.value(), fmt::format("http server: open socket for {}", where));
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    acceptor_.bind(ep, ec);
    if (ec) return ErrnoError(ec.value(), fmt::format("http server: bind {}", where));
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return ErrnoError(ec.value(), fmt::format("http server: listen on {}", where));
    port_ = acceptor_.local_endpoint(ec).port();
    return Status::Ok();
  }

  Status Adopt(int fd) {
    error_code ec;
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      Status s = ErrnoError(errno, fmt::format("http server: adopt listening socket fd {}", fd));
      ::close(fd);
      return s;
    }
    acceptor_.assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      return ErrnoError(ec.value(), fmt::format("http server: adopt listening socket fd {}", fd));
    }
    port_ = acceptor_.local_endpoint(ec).port();
    return Status::Ok();
  }

  void Run() {
    Accept();
    for (int i = 0; i < threads_; ++i) {
      threads_vec_.emplace_back([this] { core_->ioc.run(); });
    }
  }

  int port() const override { return port_; }

  void StopAccepting() override {
    if (!accepting_.exchange(false)) return;
    // shutdown(2) on a listening socket takes it out of LISTEN at once (connects are refused) and
    // fails the pending accept, whose handler then does not re-arm; a plain syscall on the fd, so
    // it needs no hop onto the io_context's threads.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
  }

  void Stop() override {
    if (core_->stopped.exchange(true)) return;
    core_->ioc.stop();
    for (auto& t : threads_vec_) t.join();
    threads_vec_.clear();
    error_code ec;
    acceptor_.close(ec);
    retry_timer_.cancel();
    std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      sessions.swap(core_->sessions);
    }
    for (auto& [raw, session] : sessions) session->CloseSocket();
    // Pending handlers (and the sessions they hold) are destroyed with the io_context, when the
    // last responder lets go of the Core.
  }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(core_->ioc), [this](error_code ec, tcp::socket sock) {
      if (ec) {
        if (ec == net::error::operation_aborted || core_->stopped.load() || !accepting_.load()) return;
        // EMFILE and friends: back off instead of spinning on the error, and say so at most
        // once per 10 s.
        core_->bounds->accept_errors.fetch_add(1);
        core_->bounds->accept_log.Warn("accept on port {}: {} ({} connections open, cap {}); "
                                       "retrying in 50 ms", port_, ec.message(),
                                       core_->bounds->open.load(), core_->bounds->max_connections);
        retry_timer_.expires_after(std::chrono::milliseconds(50));
        retry_timer_.async_wait([this](error_code wait_ec) {
          if (!wait_ec) Accept();
        });
        return;
      }
      Bounds& b = *core_->bounds;
      b.accepted.fetch_add(1);
      if (b.open.load(std::memory_order_acquire) >= b.max_connections) {
        Refuse(std::move(sock));
        return Accept();
      }
      b.open.fetch_add(1, std::memory_order_acq_rel);  // returned by ~Session
      error_code opt_ec;
      sock.set_option(tcp::no_delay(true), opt_ec);
      auto session = std::make_shared<Session>(core_.get(), std::move(sock));
      {
        std::lock_guard<std::mutex> lock(core_->mu);
        core_->sessions.emplace(session.get(), session);
      }
      session->Start();
      Accept();
    });
  }

  // Over max_connections: a lingering 503 while few are lingering, else an immediate close.
  void Refuse(tcp::socket sock) {
    Bounds& b = *core_->bounds;
    b.refused.fetch_add(1);
    b.refusal_log.Warn("port {}: {} connections open (cap {}): refusing new ones with 503",
                       port_, b.open.load(), b.max_connections);
    if (b.refusing.fetch_add(1) >= b.max_refusing) {
      b.refusing.fetch_sub(1);
      error_code ec;
      sock.close(ec);
      return;
    }
    // Refusal's destructor returns the `refusing` slot.
    std::make_shared<Refusal>(core_->bounds, std::move(sock), &core_->refusal_bytes)->Start();
  }

 public:
  Stats stats() const override {
    const Bounds& b = *core_->bounds;
    Stats s;
    s.open_connections = b.open.load();
    s.inflight_body_bytes = b.inflight_body.load();
    s.accepted_connections = b.accepted.load();
    s.refused_connections = b.refused.load();
    s.header_timeouts = b.header_timeouts.load();
    s.body_timeouts = b.body_timeouts.load();
    s.idle_timeouts = b.idle_timeouts.load();
    s.write_timeouts = b.write_timeouts.load();
    s.refused_for_body_bytes = b.refused_for_bytes.load();
    s.accept_errors = b.accept_errors.load();
    return s;
  }
  int max_connections() const override { return core_->bounds->max_connections; }
  uint64_t max_inflight_body_bytes() const override {
    return core_->bounds->max_inflight_body_bytes;
  }

 private:
  std::shared_ptr<Core> core_;
  tcp::acceptor acceptor_;
  std::atomic<bool> accepting_{true};
  net::steady_timer retry_timer_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  int threads_;
  int port_ = 0;
  std::vector<std::thread> threads_vec_;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const Options& options,
                                                      HttpHandler handler) {
  if (!handler) return InvalidArgument("http server: no handler");
  int threads = options.threads > 0 ? options.threads : 1;
  auto core = std::make_shared<Core>(threads);
  core->handler = std::move(handler);
  core->max_body_bytes = options.max_body_bytes;
  core->error_response = options.error_response;
  Bounds& b = *core->bounds;
  b.header_timeout = std::max(options.header_timeout, std::chrono::milliseconds(0));
  b.body_timeout = std::max(options.body_timeout, std::chrono::milliseconds(0));
  b.idle_timeout = std::max(options.idle_timeout, std::chrono::milliseconds(0));
  b.write_timeout = std::max(options.write_timeout, std::chrono::milliseconds(0));
  b.max_connections = options.max_connections;
  if (b.max_connections <= 0) {
    rlimit rl{};
    rlim_t soft = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    if (soft == RLIM_INFINITY) soft = 20000;
    b.max_connections = static_cast<int>(std::clamp<rlim_t>(soft / 2, 16, 10000));
  }
  b.max_refusing = b.max_connections / 8 + 8;
  b.max_inflight_body_bytes = options.max_inflight_body_bytes > 0
                                  ? options.max_inflight_body_bytes
                                  : std::max<uint64_t>(256ull << 20, options.max_body_bytes);
  b.max_inflight_body_bytes = std::max(b.max_inflight_body_bytes, options.max_body_bytes);
  b.retry_after_s = std::max(1, options.retry_after_s);
  core->refusal_bytes = Serialize(
      core->Error(503, fmt::format("server busy: {} connections open; retry later",
                                   b.max_connections)),
      b.retry_after_s);
  auto server = std::make_unique<BeastHttpServer>(core, threads);
  if (options.listen_fd >= 0) {
    SL_RETURN_IF_ERROR(server->Adopt(options.listen_fd));
  } else {
    SL_RETURN_IF_ERROR(server->Listen(options.host, options.port));
  }
  core->port = server->port();
  server->Run();
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace sl

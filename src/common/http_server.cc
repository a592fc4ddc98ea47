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
#include "common/http_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

#include "common/log.h"

namespace sl {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr uint32_t kHeaderLimit = 64 * 1024;
// After a 400/413 the server half-closes and discards what the client still sends (so that the
// client reads the error instead of a connection reset), up to this many bytes.
constexpr uint64_t kMaxDrainBytes = 128ull << 20;

class Session;

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
  std::atomic<bool> stopped{false};
  std::mutex mu;
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;  // GUARDED_BY(mu)
};

std::string_view Std(beast::string_view s) { return {s.data(), s.size()}; }

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Core* core, tcp::socket socket) : core_(core), socket_(std::move(socket)) {}

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
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(core_->max_body_bytes);
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(error_code ec) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
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

  void OnReadError(const error_code& ec) {
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
    Close();  // EOF, reset, aborted: nothing to answer
  }

  void OnRequest() {
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
    http::async_write(socket_, res_, [self = shared_from_this(), close](error_code ec, size_t) {
      if (ec) return self->Close();
      if (close) return self->ShutdownAndDrain();
      self->ReadHeader();
    });
  }

  void WriteErrorAndClose(int status, std::string message) {
    keep_alive_ = false;
    is_head_ = false;
    version_ = 11;
    // Not through Respond(): no handler owns this exchange.
    awaiting_.store(0, std::memory_order_release);
    Write(core_->Error(status, std::move(message)));
  }

  // Half-close, then discard the rest of what the peer sends until it closes (bounded).
  void ShutdownAndDrain() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
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
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::string remote_;
  bool keep_alive_ = true;
  bool is_head_ = false;
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
        // EMFILE and friends: back off instead of spinning on the error.
        SL_LOG_WARN("http", "accept on port {}: {}", port_, ec.message());
        retry_timer_.expires_after(std::chrono::milliseconds(50));
        retry_timer_.async_wait([this](error_code wait_ec) {
          if (!wait_ec) Accept();
        });
        return;
      }
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
  auto server = std::make_unique<BeastHttpServer>(core, threads);
  if (options.listen_fd >= 0) {
    SL_RETURN_IF_ERROR(server->Adopt(options.listen_fd));
  } else {
    SL_RETURN_IF_ERROR(server->Listen(options.host, options.port));
  }
  server->Run();
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace sl

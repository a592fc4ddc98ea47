// The runtime client and loop against an in-process fake of the platform's Runtime API.
#include "runtime/runtime_api_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http_server.h"
#include "runtime/run_handler.h"

namespace sl::runtime {
namespace {

// Hands out `events` one per /next, records what the runtime posts back.
struct FakeRuntimeApi {
  std::mutex mu;
  std::vector<std::string> events;
  size_t next = 0;
  std::vector<std::pair<std::string, std::string>> posts;  // path, body
  std::vector<std::string> error_types;
  std::unique_ptr<HttpServer> server;

  void Start() {
    HttpServer::Options o;
    auto s = HttpServer::Start(o, [this](HttpRequest&& req, HttpResponder respond) {
      std::lock_guard<std::mutex> l(mu);
      if (req.method == "GET" && req.path == "/2018-06-01/runtime/invocation/next") {
        if (next >= events.size()) return;  // long poll forever: the test stops the server
        HttpResponse r = HttpResponse::Json(200, events[next]);
        r.headers.Set("Lambda-Runtime-Aws-Request-Id", "req-" + std::to_string(next));
        r.headers.Set("Lambda-Runtime-Deadline-Ms", "4102444800000");
        r.headers.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:x:0:function:f");
        r.headers.Set("Lambda-Runtime-Trace-Id", "Root=1-0-0");
        ++next;
        respond(std::move(r));
        return;
      }
      posts.emplace_back(req.path, req.body);
      error_types.emplace_back(req.headers.Get("Lambda-Runtime-Function-Error-Type"));
      respond(HttpResponse::Json(202, R"({"status":"OK"})"));
    });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server = std::move(*s);
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(server->port()); }
};

TEST(RuntimeApiClient, NextParsesHeadersAndPostsGoToTheRightPaths) {
  FakeRuntimeApi api;
  api.events = {R"({"a":1})"};
  api.Start();
  RuntimeApiClient client(api.endpoint());
  auto req = client.Next();
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->payload, R"({"a":1})");
  EXPECT_EQ(req->request_id, "req-0");
  EXPECT_EQ(req->deadline_ms, 4102444800000);
  EXPECT_EQ(req->function_arn, "arn:aws:lambda:x:0:function:f");
  EXPECT_EQ(req->trace_id, "Root=1-0-0");
  ASSERT_TRUE(client.PostResponse("req-0", R"({"ok":true})", "application/json").ok());
  ASSERT_TRUE(client.PostError("req-0", R"({"errorMessage":"x"})", "E").ok());
  ASSERT_TRUE(client.PostInitError(R"({"errorMessage":"y"})", "Runtime.InitError").ok());
  std::lock_guard<std::mutex> l(api.mu);
  ASSERT_EQ(api.posts.size(), 3u);
  EXPECT_EQ(api.posts[0].first, "/2018-06-01/runtime/invocation/req-0/response");
  EXPECT_EQ(api.posts[0].second, R"({"ok":true})");
  EXPECT_EQ(api.posts[1].first, "/2018-06-01/runtime/invocation/req-0/error");
  EXPECT_EQ(api.error_types[1], "E");
  EXPECT_EQ(api.posts[2].first, "/2018-06-01/runtime/init/error");
}

TEST(RuntimeApiClient, UnreachableEndpointIsUnavailable) {
  RuntimeApiClient client("127.0.0.1:1");
  EXPECT_EQ(client.Next().status().code(), Code::kUnavailable);
}

// A Runtime API that answers one connection with fixed bytes, then half-closes.
class RawReplyServer {
 public:
  explicit RawReplyServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      ::shutdown(c, SHUT_WR);
      char buf[1024];
      while (::read(c, buf, sizeof buf) > 0) {
      }
      ::close(c);
    });
  }
  ~RawReplyServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// Found by runtime_api_client_fuzz (issue 16): a chunk size of "ffffffffffffffff" or "-1" was
// read by strtoul as SIZE_MAX and `chunk + 2` wrapped, so Next() returned OK with the framing
// bytes that followed as the payload. Malformed sizes and chunks without their CRLF are INTERNAL.
TEST(RuntimeApiClient, MalformedChunkSizesAreErrorsNotPayload) {
  const std::string head =
      "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (const char* body : {"ffffffffffffffff\r\n\r\n0\r\n\r\n", "-1\r\nab\r\n0\r\n\r\n",
                           "3\r\nabcX\r\n0\r\n\r\n", "\r\n0\r\n\r\n"}) {
    RawReplyServer server(head + body);
    RuntimeApiClient client(server.endpoint());
    auto r = client.Next();
    EXPECT_FALSE(r.ok()) << "accepted " << body << " as payload '" << (r.ok() ? r->payload : "")
                         << "'";
  }
  RawReplyServer good(head + "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n");
  RuntimeApiClient client(good.endpoint());
  auto r = client.Next();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->payload, "abcde");
  EXPECT_EQ(r->request_id, "r1");
}

// Found by runtime_api_client_fuzz (issue 16): a signal delivered while connect(2) waits (there,
// libFuzzer's SIGALRM; in an instance, any handler installed without SA_RESTART) made connect fail
// with EINTR, and Connect() reported the platform as unreachable (UNAVAILABLE "Interrupted system
// call": the instance would exit). The kernel goes on connecting after EINTR; the client now waits
// for that outcome. Here connect is held waiting on a listener whose accept queue (backlog 0) is
// full, signals arrive every 10 ms, then the queue is drained and the SYN retransmit (~1 s)
// connects.
TEST(RuntimeApiClient, ConnectInterruptedBySignalStillConnects) {
  struct sigaction quiet {}, old{};
  quiet.sa_handler = [](int) {};
  sigemptyset(&quiet.sa_mask);
  quiet.sa_flags = 0;  // no SA_RESTART
  ASSERT_EQ(::sigaction(SIGUSR1, &quiet, &old), 0);

  int listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(listen_fd, 0), 0);
  ASSERT_EQ(::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  // Fills the accept queue: the client's SYN is dropped until it is drained.
  int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(filler, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);

  const pthread_t client_thread = ::pthread_self();
  std::atomic<int> signals{0};
  std::thread platform([&] {
    for (int i = 0; i < 30; ++i) {  // 300 ms of signals while the client is in connect()
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      ::pthread_kill(client_thread, SIGUSR1);
      ++signals;
    }
    ::close(::accept(listen_fd, nullptr, nullptr));  // the filler
    // The client, after its SYN retransmit (none comes when it gave up on EINTR).
    pollfd p{listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return;
    int c = ::accept(listen_fd, nullptr, nullptr);
    if (c < 0) return;
    std::string request;  // the GET's head, then the reply (the client keeps the connection)
    char buf[1024];
    ssize_t n;
    while (request.find("\r\n\r\n") == std::string::npos && (n = ::read(c, buf, sizeof buf)) > 0) {
      request.append(buf, static_cast<size_t>(n));
    }
    const std::string reply =
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r1\r\nContent-Length: 2\r\n\r\nhi";
    ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
    ::close(c);
  });
  RuntimeApiClient client("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  auto r = client.Next();
  platform.join();
  ::close(filler);
  ::close(listen_fd);
  ::sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(signals.load(), 30);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->request_id, "r1");
  EXPECT_EQ(r->payload, "hi");
}

TEST(RunHandler, ServesUntilThePlatformGoesAway) {
  FakeRuntimeApi api;
  api.events = {R"({"n":1})", R"({"n":2})", R"({"throw":true})"};
  api.Start();
  HandlerRegistry::Entry entry{"t", [](const InvocationRequest& req) {
    auto j = nlohmann::json::parse(req.payload);
    if (j.contains("throw")) throw std::runtime_error("kaboom");
    return InvocationResponse::Success(std::to_string(j["n"].get<int>() * 10));
  }, {}};
  int code = -1;
  std::thread loop([&] { code = RunHandler(entry, api.endpoint()); });
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> l(api.mu);
      if (api.posts.size() == 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  api.server->Stop();  // the long-polled 4th /next fails: the loop exits cleanly
  loop.join();
  EXPECT_EQ(code, 0);
  ASSERT_EQ(api.posts.size(), 3u);
  EXPECT_EQ(api.posts[0].second, "10");
  EXPECT_EQ(api.posts[1].second, "20");
  EXPECT_EQ(api.posts[2].first, "/2018-06-01/runtime/invocation/req-2/error");
  auto err = nlohmann::json::parse(api.posts[2].second);
  EXPECT_EQ(err["errorMessage"], "kaboom");
  EXPECT_EQ(err["errorType"], "Runtime.UnhandledException");
}

}  // namespace
}  // namespace sl::runtime

#include "faas/remote/remote_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace sl::faas::testing {
namespace {

int ListenLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  if (::listen(fd, 16) != 0) std::abort();
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

ScriptedServer::ScriptedServer(Script script) : script_(std::move(script)) {
  HttpServer::Options o;
  o.threads = 4;
  auto s = HttpServer::Start(o, [this](HttpRequest&& req, HttpResponder respond) {
    int index;
    {
      std::lock_guard<std::mutex> lock(mu_);
      index = static_cast<int>(requests_.size());
      requests_.push_back(req);
    }
    script_(req, index, std::move(respond));
  });
  if (!s.ok()) std::abort();
  server_ = std::move(s).value();
}

ScriptedServer::ScriptedServer(std::vector<HttpResponse> responses)
    : ScriptedServer([responses = std::move(responses)](const HttpRequest&, int i, HttpResponder respond) {
        respond(responses[std::min<size_t>(static_cast<size_t>(i), responses.size() - 1)]);
      }) {}

ScriptedServer::~ScriptedServer() { server_->Stop(); }

int ScriptedServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(requests_.size());
}

HttpRequest ScriptedServer::request(int i) const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.at(static_cast<size_t>(i));
}

RawPeer::RawPeer(std::string reply) : reply_(std::move(reply)) {
  fd_ = ListenLoopback(&port_);
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      connections_.fetch_add(1);
      // Read the request head (best effort) so the close is not a reset before it was sent.
      char buf[4096];
      pollfd q{c, POLLIN, 0};
      if (::poll(&q, 1, 1000) > 0) (void)!::read(c, buf, sizeof buf);
      if (!reply_.empty()) (void)!::write(c, reply_.data(), reply_.size());
      ::close(c);
    }
  });
}

RawPeer::~RawPeer() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

std::string RefusingUrl() {
  int port = 0;
  int fd = ListenLoopback(&port);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(port);
}

HttpResponse LambdaError(int status, const std::string& type, const std::string& message) {
  HttpResponse r = HttpResponse::Json(status, nlohmann::json{{"Type", "User"}, {"message", message}}.dump());
  r.headers.Set("x-amzn-ErrorType", type);
  r.headers.Set("x-amzn-RequestId", "req-err");
  return r;
}

}  // namespace sl::faas::testing

// ScriptedServer (tests only): a loopback HTTP server that answers each connection's requests
// with scripted raw responses — one script per connection, one entry per request; "" closes the
// connection instead of answering, kHang leaves it open without an answer (timeouts). It reads
// each request's head and its Content-Length body and records the raw request.
// Thread safety: requests() and connections() from any thread; one accept thread inside.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sl::http_testing {

inline const std::string kHang = "<hang>";

using Script = std::vector<std::vector<std::string>>;

// A loopback server that answers each connection's requests with scripted raw responses: one
// script entry per request; "" closes the connection instead of answering.
class ScriptedServer {
 public:
  explicit ScriptedServer(Script per_connection)
      : scripts_(std::move(per_connection)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (int c : hung_) ::close(c);
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Run() {
    for (auto& script : scripts_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      for (const std::string& answer : script) {
        std::string req;
        char buf[65536];
        // Read one request: head, then Content-Length bytes.
        size_t need = std::string::npos;
        while (need == std::string::npos || req.size() < need) {
          const ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          req.append(buf, static_cast<size_t>(n));
          const size_t end = req.find("\r\n\r\n");
          if (end != std::string::npos && need == std::string::npos) {
            const size_t cl = req.find("Content-Length: ");
            need = end + 4 + (cl == std::string::npos || cl > end ? 0 : std::stoul(req.substr(cl + 16)));
          }
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(req);
        }
        if (answer.empty()) break;
        if (answer == kHang) {  // answer nothing, keep the connection open until the test ends
          hung_.push_back(c);
          c = -1;
          break;
        }
        ::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      }
      if (c >= 0) ::close(c);
    }
  }
  Script scripts_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::string> requests_;  // GUARDED_BY(mu_)
  std::vector<int> hung_;  // connections left unanswered (kHang), closed at destruction
  std::thread thread_;
};

}  // namespace sl::http_testing

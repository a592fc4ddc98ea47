#include "faas/sandbox/egress_relay.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/log.h"

namespace sl::faas {

EgressRelay::~EgressRelay() { Stop(); }

void EgressRelay::Add(UniqueFd listener, const sockaddr_in& target, std::string name) {
  int fd = listener.get();
  listeners_.push_back(std::move(listener));
  accept_threads_.emplace_back([this, fd, target, name = std::move(name)] { AcceptLoop(fd, target, name); });
}

void EgressRelay::Stop() {
  if (stopping_.exchange(true)) return;
  // shutdown(2) wakes a thread blocked in accept(2) on a listening socket (EINVAL).
  for (auto& l : listeners_) ::shutdown(l.get(), SHUT_RDWR);
  for (auto& t : accept_threads_) t.join();
  accept_threads_.clear();
  std::list<std::unique_ptr<Connection>> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : conns_) {
      ::shutdown(c->inside.get(), SHUT_RDWR);
      ::shutdown(c->outside.get(), SHUT_RDWR);
    }
    conns.swap(conns_);
  }
  for (auto& c : conns) c->thread.join();
  listeners_.clear();
}

void EgressRelay::ReapFinished() {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if ((*it)->done.load()) {
      (*it)->thread.join();
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

void EgressRelay::AcceptLoop(int listener, sockaddr_in target, std::string name) {
  while (!stopping_.load()) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (stopping_.load()) return;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        ::usleep(50 * 1000);  // out of descriptors: back off rather than spin
        continue;
      }
      SL_LOG_WARN("faas", "egress relay {}: accept: {}", name, std::strerror(errno));
      return;
    }
    UniqueFd inside(fd);
    // Created on this (platform-namespace) thread: the connect goes out from the host's network.
    UniqueFd outside(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!outside.valid() ||
        ::connect(outside.get(), reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0) {
      SL_LOG_DEBUG("faas", "egress relay {}: connect: {}", name, std::strerror(errno));
      continue;  // closing `inside` tells the instance
    }
    connections_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.load()) return;
    ReapFinished();
    auto c = std::make_unique<Connection>();
    c->inside = std::move(inside);
    c->outside = std::move(outside);
    Connection* raw = c.get();
    conns_.push_back(std::move(c));
    raw->thread = std::thread([this, raw] { Pump(raw); });
  }
}

void EgressRelay::Pump(Connection* c) {
  int fds[2] = {c->inside.get(), c->outside.get()};
  bool open_read[2] = {true, true};
  char buf[64 * 1024];
  while (open_read[0] || open_read[1]) {
    pollfd p[2] = {{fds[0], static_cast<short>(open_read[0] ? POLLIN : 0), 0},
                   {fds[1], static_cast<short>(open_read[1] ? POLLIN : 0), 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    bool failed = false;
    for (int i = 0; i < 2 && !failed; ++i) {
      if (!open_read[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i], buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // EOF (or error) from side i: forward the half-close to the other side.
        open_read[i] = false;
        ::shutdown(fds[1 - i], SHUT_WR);
        if (n < 0) failed = true;
        continue;
      }
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::send(fds[1 - i], buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          failed = true;
          break;
        }
        off += w;
      }
    }
    if (failed) break;
  }
  ::shutdown(fds[0], SHUT_RDWR);
  ::shutdown(fds[1], SHUT_RDWR);
  c->done.store(true);
}

}  // namespace sl::faas

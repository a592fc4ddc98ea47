#include "serve/load/lean_http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace sl::serve::load {
namespace {

constexpr size_t kMaxHeadBytes = 64 * 1024;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = static_cast<char>(a[i] | 0x20), y = static_cast<char>(b[i] | 0x20);
    if (x != y) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// `what` names the server and the step, e.g. "127.0.0.1:8080: receive".
Status Errno(std::string_view what) {
  const int e = errno;
  if (e == EAGAIN || e == EWOULDBLOCK) return DeadlineExceeded("load client: {}: timed out", what);
  return Unavailable("load client: {}: {}", what, std::strerror(e));
}

}  // namespace

LeanHttpClient::LeanHttpClient(std::string_view base, int64_t timeout_ms, std::string keep_header)
    : timeout_ms_(timeout_ms), keep_header_(std::move(keep_header)) {
  std::string_view rest = base;
  if (rest.substr(0, 7) == "http://") rest.remove_prefix(7);
  if (!rest.empty() && rest.front() == '[') {  // [::1]:8080
    const size_t close = rest.find(']');
    host_ = std::string(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
    rest = close == std::string_view::npos ? std::string_view() : rest.substr(close + 1);
  } else {
    const size_t colon = rest.find(':');
    host_ = std::string(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  port_ = !rest.empty() && rest.front() == ':' ? std::string(rest.substr(1)) : "80";
}

LeanHttpClient::~LeanHttpClient() { Close(); }

void LeanHttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  eof_ = false;
  buf_.clear();
}

Status LeanHttpClient::Connect() {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &res); rc != 0) {
    return Unavailable("load client: resolve {}:{}: {}", host_, port_, ::gai_strerror(rc));
  }
  Status last = Unavailable("load client: {}:{}: no address", host_, port_);
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{};
    tv.tv_sec = timeout_ms_ / 1000;
    tv.tv_usec = (timeout_ms_ % 1000) * 1000;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // also bounds connect()
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      fd_ = fd;
      ::freeaddrinfo(res);
      return Status::Ok();
    }
    last = Errno(fmt::format("{}:{}: connect", host_, port_));
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return last;
}

Status LeanHttpClient::SendAll(const std::string& head, std::string_view body) {
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(body.data()), body.size()}};
  size_t first = 0;
  while (first < 2) {
    msghdr msg{};
    msg.msg_iov = iov + first;
    msg.msg_iovlen = 2 - first;
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno(fmt::format("{}:{}: send", host_, port_));
    }
    size_t left = static_cast<size_t>(n);
    while (first < 2 && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (first < 2) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return Status::Ok();
}

Status LeanHttpClient::Fill() {
  if (eof_) return Unavailable("load client: {}:{}: connection closed by the server", host_, port_);
  char chunk[64 * 1024];
  while (true) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buf_.append(chunk, static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) {
      eof_ = true;
      return Unavailable("load client: {}:{}: connection closed by the server", host_, port_);
    }
    if (errno != EINTR) return Errno(fmt::format("{}:{}: receive", host_, port_));
  }
}

Result<LeanResponse> LeanHttpClient::Receive(bool* nothing) {
  *nothing = false;
  size_t head_end;
  while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (buf_.size() > kMaxHeadBytes) return Internal("load client: {}:{}: response head over {} bytes", host_, port_, kMaxHeadBytes);
    const bool empty = buf_.empty();
    Status s = Fill();
    if (!s.ok()) {
      *nothing = empty && eof_;
      return s;
    }
  }
  const std::string_view head(buf_.data(), head_end);
  LeanResponse r;
  // Status line: HTTP/1.x SSS reason
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1." ||
      std::from_chars(head.data() + 9, head.data() + 12, r.status).ec != std::errc()) {
    return Internal("load client: {}:{}: malformed status line '{}'", host_, port_, head.substr(0, std::min<size_t>(head.find('\r'), 80)));
  }
  bool keep_alive = head[7] == '1';  // HTTP/1.1 default; 1.0 closes unless asked
  bool chunked = false;
  int64_t length = -1;
  size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at < head.size()) {
    const size_t next = head.find("\r\n", at + 2);
    const std::string_view line = head.substr(at + 2, (next == std::string_view::npos ? head.size() : next) - at - 2);
    at = next;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon), value = TrimSpaces(line.substr(colon + 1));
    if (IEquals(name, "content-length")) {
      if (std::from_chars(value.data(), value.data() + value.size(), length).ec != std::errc() || length < 0) {
        return Internal("load client: {}:{}: Content-Length '{}' is not a byte count", host_, port_, value);
      }
    } else if (IEquals(name, "transfer-encoding")) {
      chunked = value.find("chunked") != std::string_view::npos;
    } else if (IEquals(name, "connection")) {
      if (IEquals(value, "close")) keep_alive = false;
      if (IEquals(value, "keep-alive")) keep_alive = true;
    } else if (!keep_header_.empty() && IEquals(name, keep_header_)) {
      r.kept_header = std::string(value);
    }
  }
  buf_.erase(0, head_end + 4);
  if (chunked) {
    while (true) {
      size_t eol;
      while ((eol = buf_.find("\r\n")) == std::string::npos) SL_RETURN_IF_ERROR(Fill());
      size_t size = 0;
      const auto pr = std::from_chars(buf_.data(), buf_.data() + eol, size, 16);
      if (pr.ec != std::errc()) return Internal("load client: {}:{}: malformed chunk size line", host_, port_);
      buf_.erase(0, eol + 2);
      if (size == 0) {  // last chunk; no trailers expected, skip to the blank line
        while ((eol = buf_.find("\r\n")) == std::string::npos) SL_RETURN_IF_ERROR(Fill());
        buf_.erase(0, eol + 2);
        break;
      }
      while (buf_.size() < size + 2) SL_RETURN_IF_ERROR(Fill());
      buf_.erase(0, size + 2);
    }
  } else if (length >= 0) {
    while (buf_.size() < static_cast<size_t>(length)) SL_RETURN_IF_ERROR(Fill());
    buf_.erase(0, static_cast<size_t>(length));
  } else if (r.status >= 200 && r.status != 204 && r.status != 304) {
    while (!eof_) {
      buf_.clear();
      Status s = Fill();
      if (!s.ok() && !eof_) return s;
    }
    keep_alive = false;
  }
  if (!keep_alive) Close();
  return r;
}

Result<LeanResponse> LeanHttpClient::Post(std::string_view path, std::string_view body,
                                          const std::vector<std::pair<std::string, std::string>>& headers) {
  head_.clear();
  fmt::format_to(std::back_inserter(head_), "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\n"
                 "Connection: keep-alive\r\n", path, host_, port_, body.size());
  for (const auto& [name, value] : headers) fmt::format_to(std::back_inserter(head_), "{}: {}\r\n", name, value);
  head_ += "\r\n";
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) SL_RETURN_IF_ERROR(Connect());
    Status sent = SendAll(head_, body);
    if (!sent.ok()) {
      Close();
      if (reused) continue;  // a stale keep-alive connection: once more on a new one
      return sent;
    }
    bool nothing = false;
    Result<LeanResponse> r = Receive(&nothing);
    if (r.ok()) return r;
    Close();
    if (!(reused && nothing)) return r.status();
  }
  return Unavailable("load client: {}:{}: the connection closed twice before a response", host_, port_);
}

}  // namespace sl::serve::load

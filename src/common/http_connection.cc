#include "common/http_connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace sl {
namespace {

constexpr size_t kMaxHeadBytes = 64 * 1024;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool ContainsIgnoringCase(std::string_view haystack, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (IEquals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// After connect(2) failed with EINTR (a signal arrived while it waited: libFuzzer's SIGALRM, a
// profiler's SIGPROF, a handler installed without SA_RESTART) the kernel goes on connecting; a
// second connect() would say EALREADY. Waits for the outcome instead and returns its errno (0:
// connected).
int AwaitInterruptedConnect(int fd, int timeout_ms) {
  pollfd p{fd, POLLOUT, 0};
  int n;
  while ((n = ::poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1)) < 0) {
    if (errno != EINTR) return errno;
  }
  if (n == 0) return ETIMEDOUT;
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

// Calls visit(name, value) for each header line of `head` (status line removed), in order, the
// value trimmed, until visit returns false. Lines without a colon are skipped.
template <typename Visit>
void ForEachField(std::string_view head, Visit visit) {
  while (!head.empty()) {
    const size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && !visit(line.substr(0, colon), TrimSpaces(line.substr(colon + 1)))) {
      return;
    }
    if (eol == std::string_view::npos) return;
    head.remove_prefix(eol + 2);
  }
}

// The header fields that frame a response, found in one pass over the header lines. A repeated
// field keeps its first value, as Header() does.
struct Framing {
  std::string_view connection, transfer_encoding, content_length;
};
Framing ScanFraming(std::string_view head) {
  Framing f;
  ForEachField(head, [&](std::string_view name, std::string_view value) {
    std::string_view* slot = IEquals(name, "connection")          ? &f.connection
                             : IEquals(name, "transfer-encoding") ? &f.transfer_encoding
                             : IEquals(name, "content-length")    ? &f.content_length
                                                                  : nullptr;
    if (slot != nullptr && slot->data() == nullptr) *slot = value;
    return true;
  });
  return f;
}

}  // namespace

void SplitHostPort(std::string_view base, std::string* host, std::string* port) {
  std::string_view rest = base;
  if (rest.substr(0, 7) == "http://") rest.remove_prefix(7);
  if (!rest.empty() && rest.front() == '[') {  // [::1]:8080
    const size_t close = rest.find(']');
    *host = std::string(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
    rest = close == std::string_view::npos ? std::string_view() : rest.substr(close + 1);
  } else {
    const size_t colon = rest.find(':');
    *host = std::string(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
  }
  *port = !rest.empty() && rest.front() == ':' ? std::string(rest.substr(1)) : "80";
}

std::string_view HttpConnection::Response::Header(std::string_view name) const {
  std::string_view found;
  ForEachField(head, [&](std::string_view field, std::string_view value) {
    if (!IEquals(field, name)) return true;
    found = value;
    return false;
  });
  return found;
}

HttpConnection::HttpConnection(Options options) : options_(std::move(options)) {}

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  eof_ = false;
  buf_.clear();
}

Status HttpConnection::Errno(std::string_view step) const {
  const int e = errno;
  if (e == EAGAIN || e == EWOULDBLOCK || e == ETIMEDOUT) {
    return DeadlineExceeded("{} {}:{}: {}: timed out after {} ms", options_.name, options_.host, options_.port, step,
                            options_.timeout_ms);
  }
  return Unavailable("{} {}:{}: {}: {}", options_.name, options_.host, options_.port, step, std::strerror(e));
}

Status HttpConnection::Connect() {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(options_.host.c_str(), options_.port.c_str(), &hints, &res); rc != 0) {
    return Unavailable("{} {}:{}: resolve: {}", options_.name, options_.host, options_.port, ::gai_strerror(rc));
  }
  Status last = Unavailable("{} {}:{}: no address", options_.name, options_.host, options_.port);
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (options_.timeout_ms > 0) {
      timeval tv{};
      tv.tv_sec = options_.timeout_ms / 1000;
      tv.tv_usec = (options_.timeout_ms % 1000) * 1000;
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // also bounds connect()
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno == EINTR ? AwaitInterruptedConnect(fd, static_cast<int>(options_.timeout_ms)) : errno;
    }
    if (err == 0) {
      fd_ = fd;
      ::freeaddrinfo(res);
      return Status::Ok();
    }
    errno = err;
    last = Errno("connect");
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return last;
}

Status HttpConnection::SendAll(std::string_view head, std::string_view body) {
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()}, {const_cast<char*>(body.data()), body.size()}};
  size_t first = 0;
  while (first < 2 && iov[first].iov_len == 0) ++first;
  while (first < 2) {
    msghdr msg{};
    msg.msg_iov = iov + first;
    msg.msg_iovlen = 2 - first;
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("send");
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

Status HttpConnection::Fill() {
  if (eof_) return Unavailable("{} {}:{}: connection closed by the server", options_.name, options_.host, options_.port);
  char chunk[64 * 1024];
  while (true) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buf_.append(chunk, static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) {
      eof_ = true;
      return Unavailable("{} {}:{}: connection closed by the server", options_.name, options_.host, options_.port);
    }
    if (errno != EINTR) return Errno("receive");
  }
}

Status HttpConnection::Receive(Response* out, bool keep_body, bool* nothing) {
  *nothing = false;
  out->status = 0;
  out->head.clear();
  out->body.clear();
  size_t head_end;
  size_t searched = 0;  // bytes of buf_ known to hold no complete CRLFCRLF: each byte read once
  while ((head_end = buf_.find("\r\n\r\n", searched)) == std::string::npos) {
    searched = buf_.size() < 3 ? 0 : buf_.size() - 3;
    if (buf_.size() > kMaxHeadBytes) {
      return Internal("{} {}:{}: response head over {} bytes", options_.name, options_.host, options_.port, kMaxHeadBytes);
    }
    const bool empty = buf_.empty();
    Status s = Fill();
    if (!s.ok()) {
      *nothing = empty && eof_;
      return s;
    }
  }
  const std::string_view head(buf_.data(), head_end);
  // Status line: HTTP/1.x SSS reason
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1." ||
      std::from_chars(head.data() + 9, head.data() + 12, out->status).ec != std::errc()) {
    return Internal("{} {}:{}: malformed status line '{}'", options_.name, options_.host, options_.port,
                    head.substr(0, std::min<size_t>(head.find('\r'), 80)));
  }
  const size_t first_eol = head.find("\r\n");
  if (first_eol != std::string_view::npos) out->head.assign(head.substr(first_eol + 2));
  bool keep_alive = head[7] == '1';  // HTTP/1.1 default; 1.0 closes unless asked
  const Framing framing = ScanFraming(out->head);
  if (IEquals(framing.connection, "close")) keep_alive = false;
  if (IEquals(framing.connection, "keep-alive")) keep_alive = true;
  const bool chunked = ContainsIgnoringCase(framing.transfer_encoding, "chunked");  // codings ignore case
  int64_t length = -1;
  if (const std::string_view cl = framing.content_length; !chunked && !cl.empty()) {
    if (std::from_chars(cl.data(), cl.data() + cl.size(), length).ec != std::errc() || length < 0) {
      return Internal("{} {}:{}: Content-Length '{}' is not a byte count", options_.name, options_.host, options_.port, cl);
    }
  }
  buf_.erase(0, head_end + 4);
  if (chunked) {
    while (true) {
      size_t eol;
      while ((eol = buf_.find("\r\n")) == std::string::npos) SL_RETURN_IF_ERROR(Fill());
      // The size: 1 to 15 hex digits, then an optional ";extension" (more digits would overflow
      // `size + 2` and turn the framing bytes that follow into body).
      std::string_view line(buf_.data(), eol);
      line = line.substr(0, line.find(';'));  // within the line: never into the chunk's data
      size_t size = 0;
      if (line.empty() || line.size() > 15 ||
          std::from_chars(line.data(), line.data() + line.size(), size, 16).ptr != line.data() + line.size()) {
        return Internal("{} {}:{}: malformed chunk size '{}'", options_.name, options_.host, options_.port,
                        buf_.substr(0, std::min<size_t>(eol, 40)));
      }
      buf_.erase(0, eol + 2);
      if (size == 0) {  // the last chunk, then the empty line: no trailer fields (no server here sends any)
        while (buf_.size() < 2) SL_RETURN_IF_ERROR(Fill());
        if (buf_.compare(0, 2, "\r\n") != 0) {
          return Internal("{} {}:{}: trailer fields after the last chunk are not supported", options_.name,
                          options_.host, options_.port);
        }
        buf_.erase(0, 2);
        break;
      }
      while (buf_.size() < size + 2) SL_RETURN_IF_ERROR(Fill());
      if (buf_.compare(size, 2, "\r\n") != 0) {
        return Internal("{} {}:{}: chunk of {} bytes not followed by CRLF", options_.name, options_.host, options_.port, size);
      }
      if (keep_body) out->body.append(buf_, 0, size);
      buf_.erase(0, size + 2);
    }
  } else if (length >= 0) {
    while (buf_.size() < static_cast<size_t>(length)) {
      if (!keep_body && buf_.size() > 0) {  // discard as it arrives: the buffer stays small
        length -= static_cast<int64_t>(buf_.size());
        buf_.clear();
      }
      SL_RETURN_IF_ERROR(Fill());
    }
    if (keep_body) out->body.assign(buf_, 0, static_cast<size_t>(length));
    buf_.erase(0, static_cast<size_t>(length));
  } else if (out->status >= 200 && out->status != 204 && out->status != 304) {
    while (!eof_) {  // delimited by the server closing
      if (keep_body) out->body += buf_;
      buf_.clear();
      Status s = Fill();
      if (!s.ok() && !eof_) return s;
    }
    if (keep_body) out->body += buf_;
    keep_alive = false;
  }
  if (!keep_alive) Close();
  return Status::Ok();
}

Status HttpConnection::RoundTrip(std::string_view head, std::string_view body, Response* out, bool keep_body) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = fd_ >= 0;
    if (!reused) SL_RETURN_IF_ERROR(Connect());
    Status sent = SendAll(head, body);
    if (!sent.ok()) {
      Close();
      if (reused) continue;  // a stale keep-alive connection: once more on a new one
      return sent;
    }
    bool nothing = false;
    Status r = Receive(out, keep_body, &nothing);
    if (r.ok()) return r;
    Close();
    if (!(reused && nothing)) return r;
  }
  return Unavailable("{} {}:{}: the connection closed twice before a response", options_.name, options_.host,
                     options_.port);
}

}  // namespace sl

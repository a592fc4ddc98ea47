// Helpers shared by the libFuzzer targets that drive an in-process HTTP server over loopback
// (http_request_fuzz, runtime_api_server_fuzz, lambda_front_fuzz; issue 16): send bytes on a
// fresh connection, half-close, read everything until the server closes, and split what came
// back into HTTP/1.1 responses. Only for fuzz targets (aborts on a broken invariant); header-only
// so that scripts/fuzz-all.sh links nothing extra.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_message.h"

namespace sl::fuzz {

[[noreturn]] inline void Fail(const char* target, const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "%s: invariant violated: %s: %.*s\n", target, what,
               static_cast<int>(detail.size() > 800 ? 800 : detail.size()), detail.data());
  std::abort();
}

// Sends `bytes` to 127.0.0.1:port on a new connection, shuts the write side, and returns all the
// server wrote until it closed. A server that neither answers nor closes within `timeout_s`
// breaks the invariant "a half-closed client is never kept waiting" (every bound is on the
// server's side: header/body timeouts must not be needed once the client has said EOF).
inline std::string Exchange(const char* target, int port, std::string_view bytes,
                            int timeout_s = 10) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Fail(target, "socket", std::strerror(errno));
  timeval tv{timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    // libFuzzer's SIGALRM (its -timeout check, every second) interrupts connect(2); the
    // connection then completes asynchronously.
    if (errno != EINTR) Fail(target, "connect", std::strerror(errno));
    pollfd p{fd, POLLOUT, 0};
    int ready;
    while ((ready = ::poll(&p, 1, timeout_s * 1000)) < 0 && errno == EINTR) {
    }
    if (ready == 0) Fail(target, "connect", "timed out");
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) Fail(target, "connect", std::strerror(err));
  }
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server closed early (after a 400/413/431): fine
    off += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) break;  // closed with our unread bytes pending: fine
    ::close(fd);
    Fail(target, "the server neither answered nor closed a half-closed connection",
         std::string(bytes.substr(0, 400)));
  }
  ::close(fd);
  return out;
}

struct ParsedResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
};

// Splits a byte stream into HTTP/1.1 responses framed by Content-Length (what HttpServer
// writes; no chunked encoding). `head_request[i]` says that final response i answers a HEAD: no
// body follows its Content-Length, except for the server's own 400/413/431/503. Aborts on
// anything that is not a well-formed response: the server must never write garbage, whatever it
// was sent. 1xx responses are kept (they carry no body).
inline std::vector<ParsedResponse> SplitResponses(const char* target, std::string_view s,
                                                  const std::vector<bool>& head_request = {}) {
  std::vector<ParsedResponse> out;
  size_t final_responses = 0;
  while (!s.empty()) {
    const size_t end = s.find("\r\n\r\n");
    if (end == std::string_view::npos) Fail(target, "a response head without its end", s);
    std::string_view head = s.substr(0, end);
    s.remove_prefix(end + 4);
    ParsedResponse r;
    const size_t eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, eol);
    if (status_line.size() < 12 ||
        (status_line.substr(0, 9) != "HTTP/1.1 " && status_line.substr(0, 9) != "HTTP/1.0 ")) {
      Fail(target, "malformed status line", status_line);
    }
    r.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    if (r.status < 100 || r.status > 599) Fail(target, "status out of range", status_line);
    std::string_view rest = eol == std::string_view::npos ? "" : head.substr(eol + 2);
    while (!rest.empty()) {
      size_t e = rest.find("\r\n");
      std::string_view line = rest.substr(0, e);
      rest = e == std::string_view::npos ? "" : rest.substr(e + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) Fail(target, "malformed header", line);
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      r.headers.items.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    const bool informational = r.status < 200;
    // The server's own errors for unreadable requests (400/413/431/503) always carry their body,
    // even when the method was HEAD: no handler answered.
    const bool server_error = r.status == 400 || r.status == 413 || r.status == 431 || r.status == 503;
    const bool answers_head = final_responses < head_request.size() &&
                              head_request[final_responses] && !server_error;
    if (!informational) {
      std::string_view cl = r.headers.Get("Content-Length");
      if (cl.empty() && r.status != 204 && r.status != 304) {
        Fail(target, "a response without Content-Length", head);
      }
      char* endp = nullptr;
      std::string cls(cl);
      unsigned long long n = cls.empty() ? 0 : std::strtoull(cls.c_str(), &endp, 10);
      if (!cls.empty() && *endp != '\0') Fail(target, "malformed Content-Length", cl);
      if (!answers_head) {
        if (n > s.size()) Fail(target, "a response body shorter than its Content-Length", head);
        r.body = std::string(s.substr(0, n));
        s.remove_prefix(n);
      }
      ++final_responses;
    }
    out.push_back(std::move(r));
  }
  return out;
}

// A length-prefixed, binary-safe encoding of strings ("<len>:<bytes>" each), for handlers that
// echo what they were given.
inline void AppendField(std::string* out, std::string_view v) {
  *out += std::to_string(v.size());
  *out += ':';
  out->append(v);
}

}  // namespace sl::fuzz

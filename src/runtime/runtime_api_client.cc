#include "runtime/runtime_api_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace sl::runtime {
namespace {

constexpr const char* kPrefix = "/2018-06-01/runtime";

// After connect(2) failed with EINTR (a signal arrived while it waited: libFuzzer's SIGALRM, a
// profiler's SIGPROF, a handler installed without SA_RESTART) the kernel goes on connecting; a
// second connect() would say EALREADY. Waits for the outcome instead, as long as a blocking
// connect would, and returns its errno (0: connected).
int AwaitInterruptedConnect(int fd) {
  pollfd p{fd, POLLOUT, 0};
  while (::poll(&p, 1, -1) < 0) {
    if (errno != EINTR) return errno;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string RuntimeApiClient::Reply::Header(const std::string& lower_name) const {
  size_t pos = 0;
  while (pos < headers_raw.size()) {
    size_t eol = headers_raw.find("\r\n", pos);
    if (eol == std::string::npos) eol = headers_raw.size();
    std::string_view line(headers_raw.data() + pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && line.substr(0, colon) == lower_name) {
      std::string_view v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return std::string(v);
    }
    pos = eol + 2;
  }
  return "";
}

RuntimeApiClient::RuntimeApiClient(std::string endpoint) : endpoint_(std::move(endpoint)) {
  size_t colon = endpoint_.rfind(':');
  host_ = colon == std::string::npos ? endpoint_ : endpoint_.substr(0, colon);
  port_ = colon == std::string::npos ? 80 : std::atoi(endpoint_.c_str() + colon + 1);
}

RuntimeApiClient::~RuntimeApiClient() { Close(); }

void RuntimeApiClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

Status RuntimeApiClient::Connect() {
  Close();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  std::string host = host_ == "localhost" ? "127.0.0.1" : host_;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("AWS_LAMBDA_RUNTIME_API '{}': not an IPv4 host:port", endpoint_);
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError(errno, "socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  int err = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    err = errno == EINTR ? AwaitInterruptedConnect(fd) : errno;
  }
  if (err != 0) {
    ::close(fd);
    return Unavailable("runtime API {}: connect: {}", endpoint_, std::strerror(err));
  }
  fd_ = fd;
  return Status::Ok();
}

Status RuntimeApiClient::ReadMore() {
  char tmp[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd_, tmp, sizeof(tmp));
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) return Unavailable("runtime API {}: connection closed", endpoint_);
    if (errno == EINTR) continue;
    return Unavailable("runtime API {}: read: {}", endpoint_, std::strerror(errno));
  }
}

Result<RuntimeApiClient::Reply> RuntimeApiClient::RoundTripOnce(const std::string& request) {
  size_t off = 0;
  while (off < request.size()) {
    ssize_t n = ::send(fd_, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable("runtime API {}: write: {}", endpoint_, std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  Reply reply;
  size_t header_end;
  while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    SL_RETURN_IF_ERROR(ReadMore());
  }
  std::string head = buf_.substr(0, header_end);
  buf_.erase(0, header_end + 4);
  size_t first_eol = head.find("\r\n");
  std::string status_line = head.substr(0, first_eol);
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
    return Internal("runtime API {}: malformed status line '{}'", endpoint_, status_line);
  }
  reply.status = std::atoi(status_line.c_str() + 9);
  if (first_eol != std::string::npos) {
    // Lowercase header names only; values stay as sent.
    std::string rest = head.substr(first_eol + 2);
    size_t pos = 0;
    while (pos < rest.size()) {
      size_t eol = rest.find("\r\n", pos);
      if (eol == std::string::npos) eol = rest.size();
      size_t colon = rest.find(':', pos);
      if (colon != std::string::npos && colon < eol) {
        reply.headers_raw += ToLower(rest.substr(pos, colon - pos));
        reply.headers_raw += rest.substr(colon, eol - colon);
        reply.headers_raw += "\r\n";
      }
      pos = eol + 2;
    }
  }
  std::string te = ToLower(reply.Header("transfer-encoding"));
  if (te.find("chunked") != std::string::npos) {
    for (;;) {
      size_t eol;
      while ((eol = buf_.find("\r\n")) == std::string::npos) SL_RETURN_IF_ERROR(ReadMore());
      // The size: 1 to 15 hex digits, then an optional ";extension". strtoul took "-1" or
      // "ffffffffffffffff" as SIZE_MAX, and `chunk + 2` wrapped: the framing bytes that followed
      // became the body (found by runtime_api_client_fuzz).
      const std::string_view line(buf_.data(), std::min(eol, buf_.find(';')));
      size_t chunk = 0;
      if (line.empty() || line.size() > 15 ||
          line.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
        return Internal("runtime API {}: malformed chunk size '{}'", endpoint_,
                        buf_.substr(0, std::min<size_t>(eol, 40)));
      }
      chunk = std::stoull(std::string(line), nullptr, 16);
      buf_.erase(0, eol + 2);
      while (buf_.size() < chunk + 2) SL_RETURN_IF_ERROR(ReadMore());
      if (buf_.compare(chunk, 2, "\r\n") != 0) {
        return Internal("runtime API {}: chunk of {} bytes not followed by CRLF", endpoint_, chunk);
      }
      reply.body.append(buf_, 0, chunk);
      buf_.erase(0, chunk + 2);
      if (chunk == 0) break;  // (trailers not supported; the platform sends none)
    }
  } else {
    std::string cl = reply.Header("content-length");
    size_t length = cl.empty() ? 0 : std::strtoull(cl.c_str(), nullptr, 10);
    while (buf_.size() < length) SL_RETURN_IF_ERROR(ReadMore());
    reply.body = buf_.substr(0, length);
    buf_.erase(0, length);
  }
  if (ToLower(reply.Header("connection")) == "close") Close();
  return reply;
}

Result<RuntimeApiClient::Reply> RuntimeApiClient::RoundTrip(const std::string& method,
                                                            const std::string& path,
                                                            const std::string& body,
                                                            const std::string& extra_headers) {
  std::string req;
  req.reserve(256 + body.size());
  req += method;
  req += ' ';
  req += path;
  req += " HTTP/1.1\r\nHost: ";
  req += endpoint_;
  req += "\r\n";
  req += extra_headers;
  if (method != "GET") {
    req += "Content-Length: ";
    req += std::to_string(body.size());
    req += "\r\n";
  }
  req += "\r\n";
  req += body;
  // A keep-alive connection the server closed while idle shows up on the first write/read:
  // reconnect once. Never retry /next after its request went out on a fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0) SL_RETURN_IF_ERROR(Connect());
    bool fresh = attempt > 0 || buf_.empty();
    auto r = RoundTripOnce(req);
    if (r.ok()) return r;
    Close();
    if (attempt == 1 || !fresh || r.status().code() != Code::kUnavailable) {
      return r.status().WithContext(fmt::format("{} {}", method, path));
    }
  }
  return Unavailable("{} {}: unreachable", method, path);
}

Result<InvocationRequest> RuntimeApiClient::Next() {
  std::string path = std::string(kPrefix) + "/invocation/next";
  SL_ASSIGN_OR_RETURN(Reply reply, RoundTrip("GET", path, "", ""));
  if (reply.status != 200) {
    return Internal("GET {}: HTTP {}: {}", path, reply.status, reply.body);
  }
  InvocationRequest req;
  req.payload = std::move(reply.body);
  req.request_id = reply.Header("lambda-runtime-aws-request-id");
  req.function_arn = reply.Header("lambda-runtime-invoked-function-arn");
  req.trace_id = reply.Header("lambda-runtime-trace-id");
  req.deadline_ms = std::atoll(reply.Header("lambda-runtime-deadline-ms").c_str());
  if (req.request_id.empty()) {
    return Internal("GET {}: reply without Lambda-Runtime-Aws-Request-Id", path);
  }
  return req;
}

Status RuntimeApiClient::PostResponse(const std::string& request_id, const std::string& body,
                                      const std::string& content_type) {
  std::string path = std::string(kPrefix) + "/invocation/" + request_id + "/response";
  SL_ASSIGN_OR_RETURN(Reply reply,
                      RoundTrip("POST", path, body, "Content-Type: " + content_type + "\r\n"));
  if (reply.status != 202) return Internal("POST {}: HTTP {}: {}", path, reply.status, reply.body);
  return Status::Ok();
}

Status RuntimeApiClient::PostError(const std::string& request_id, const std::string& error_json,
                                   const std::string& error_type) {
  std::string path = std::string(kPrefix) + "/invocation/" + request_id + "/error";
  SL_ASSIGN_OR_RETURN(
      Reply reply,
      RoundTrip("POST", path, error_json,
                "Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: " +
                    error_type + "\r\n"));
  if (reply.status != 202) return Internal("POST {}: HTTP {}: {}", path, reply.status, reply.body);
  return Status::Ok();
}

Status RuntimeApiClient::PostInitError(const std::string& error_json,
                                       const std::string& error_type) {
  std::string path = std::string(kPrefix) + "/init/error";
  SL_ASSIGN_OR_RETURN(
      Reply reply,
      RoundTrip("POST", path, error_json,
                "Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: " +
                    error_type + "\r\n"));
  if (reply.status != 202) return Internal("POST {}: HTTP {}: {}", path, reply.status, reply.body);
  return Status::Ok();
}

}  // namespace sl::runtime

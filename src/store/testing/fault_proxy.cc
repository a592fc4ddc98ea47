#include "store/testing/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include <nlohmann/json.hpp>

#include "common/sha256.h"
#include "common/sigv4.h"
#include "common/unique_fd.h"

namespace sl::store::testing {
namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxEvents = 200000;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
  return v;
}

using Headers = std::vector<std::pair<std::string, std::string>>;  // names as received

std::string Get(const Headers& h, std::string_view lower_name) {
  for (const auto& [k, v] : h) {
    if (Lower(k) == lower_name) return v;
  }
  return "";
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void ResetAndClose(int fd) {
  linger l{1, 0};  // the close() that follows sends RST instead of FIN
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

// Buffered reads from a socket.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}
  // The head up to and including the blank line; "" on EOF before any byte; error otherwise.
  Result<std::string> ReadHead() {
    while (true) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = buf_.substr(0, end + 4);
        buf_.erase(0, end + 4);
        return head;
      }
      if (buf_.size() > kMaxHead) return InvalidArgument("head over {} bytes", kMaxHead);
      int n = Fill();
      if (n == 0) {
        if (buf_.empty()) return std::string();
        return Unavailable("connection closed inside a head");
      }
      if (n < 0) return Unavailable("recv: {}", std::strerror(errno));
    }
  }
  Result<std::string> ReadExactly(size_t len) {
    while (buf_.size() < len) {
      int n = Fill();
      if (n == 0) return Unavailable("connection closed after {} of {} body bytes", buf_.size(), len);
      if (n < 0) return Unavailable("recv: {}", std::strerror(errno));
    }
    std::string out = buf_.substr(0, len);
    buf_.erase(0, len);
    return out;
  }
  Result<std::string> ReadLine() {
    while (true) {
      size_t end = buf_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = buf_.substr(0, end);
        buf_.erase(0, end + 2);
        return line;
      }
      int n = Fill();
      if (n <= 0) return Unavailable("connection closed inside a chunk header");
    }
  }
  Result<std::string> ReadToEof() {
    while (true) {
      int n = Fill();
      if (n == 0) break;
      if (n < 0) return Unavailable("recv: {}", std::strerror(errno));
    }
    return std::move(buf_);
  }
  Result<std::string> ReadChunked() {
    std::string body;
    while (true) {
      SL_ASSIGN_OR_RETURN(std::string line, ReadLine());
      size_t size = std::strtoull(line.c_str(), nullptr, 16);
      if (size == 0) {
        while (true) {  // trailers up to the blank line
          SL_ASSIGN_OR_RETURN(std::string t, ReadLine());
          if (t.empty()) return body;
        }
      }
      SL_ASSIGN_OR_RETURN(std::string chunk, ReadExactly(size + 2));
      body.append(chunk, 0, size);
    }
  }

 private:
  int Fill() {
    char tmp[64 * 1024];
    while (true) {
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) buf_.append(tmp, static_cast<size_t>(n));
      return static_cast<int>(n);
    }
  }
  int fd_;
  std::string buf_;
};

struct Head {
  std::string first_line;  // request line or status line
  Headers headers;
};

Head ParseHead(const std::string& raw) {
  Head h;
  size_t pos = raw.find("\r\n");
  h.first_line = raw.substr(0, pos);
  pos += 2;
  while (pos < raw.size()) {
    size_t end = raw.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    std::string_view line(raw.data() + pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      h.headers.emplace_back(std::string(line.substr(0, colon)), std::string(Trim(line.substr(colon + 1))));
    }
    pos = end + 2;
  }
  return h;
}

std::string ErrorXml(std::string_view code, std::string_view message) {
  return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>"
                     "<RequestId>fault-proxy</RequestId></Error>",
                     code, message);
}

std::string ReasonOf(int status) {
  switch (status) {
    case 200: return "OK";
    case 412: return "Precondition Failed";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

std::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kNone: return "none";
    case FaultKind::kServerError: return "500";
    case FaultKind::kSlowDown: return "503";
    case FaultKind::kSlow: return "slow";
    case FaultKind::kReset: return "reset";
    case FaultKind::kTruncate: return "truncate";
  }
  return "?";
}

Result<FaultKind> ParseFaultKind(std::string_view name) {
  for (int k = 0; k < kFaultKinds; ++k) {
    if (FaultKindName(static_cast<FaultKind>(k)) == name) return static_cast<FaultKind>(k);
  }
  return InvalidArgument("unknown fault '{}': one of 500, 503, slow, reset, truncate", name);
}

Result<std::map<FaultKind, double>> ParseFaultRates(std::string_view spec) {
  std::map<FaultKind, double> rates;
  double sum = 0;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) return InvalidArgument("fault rate '{}' is not KIND:PROBABILITY", item);
    SL_ASSIGN_OR_RETURN(FaultKind kind, ParseFaultKind(item.substr(0, colon)));
    std::string p(item.substr(colon + 1));
    char* end = nullptr;
    double v = std::strtod(p.c_str(), &end);
    if (end == p.c_str() || *end != '\0' || v < 0 || v > 1) return InvalidArgument("fault rate '{}': bad probability", item);
    rates[kind] = v;
    sum += v;
  }
  if (sum > 1.0 + 1e-9) return InvalidArgument("fault rates sum to {} > 1", sum);
  return rates;
}

uint64_t FaultProxyStats::faults() const {
  uint64_t n = 0;
  for (int k = 1; k < kFaultKinds; ++k) n += injected[k];
  return n;
}

std::string FaultProxyStats::ToJson() const {
  nlohmann::json inj = nlohmann::json::object();
  for (int k = 1; k < kFaultKinds; ++k) inj[std::string(FaultKindName(static_cast<FaultKind>(k)))] = injected[k];
  nlohmann::json j = {{"requests", requests},
                      {"forwarded", forwarded},
                      {"faults", faults()},
                      {"injected", inj},
                      {"conditional_refused", conditional_refused}};
  return j.dump();
}

struct FaultProxy::Upstream {
  int status = 0;
  std::string status_line;
  Headers headers;
  std::string body;
};

Result<std::unique_ptr<FaultProxy>> FaultProxy::Start(FaultProxyOptions options) {
  if (options.upstream_port <= 0) return InvalidArgument("fault proxy: no upstream port");
  double sum = 0;
  for (const auto& [k, p] : options.rates) sum += p;
  if (sum > 1.0 + 1e-9) return InvalidArgument("fault proxy: fault rates sum to {} > 1", sum);
  if (options.slow_max_ms < options.slow_min_ms) options.slow_max_ms = options.slow_min_ms;
  std::unique_ptr<FaultProxy> p(new FaultProxy(std::move(options)));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError(errno, "fault proxy: socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(p->opt_.port));
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError(err, fmt::format("fault proxy: bind 127.0.0.1:{}", p->opt_.port));
  }
  p->listen_fd_ = fd;
  p->port_ = ntohs(addr.sin_port);
  p->acceptor_ = std::thread([raw = p.get()] { raw->AcceptLoop(); });
  return p;
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  std::unique_lock<std::mutex> lock(mu_);
  for (int c : conns_) ::shutdown(c, SHUT_RDWR);
  idle_.wait(lock, [this] { return active_ == 0; });
  lock.unlock();
  ::close(listen_fd_);
}

void FaultProxy::Script(std::vector<Fault> faults, std::string method) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& f : faults) script_.emplace_back(f, method);
}

FaultProxyStats FaultProxy::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::vector<FaultEvent> FaultProxy::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

void FaultProxy::AcceptLoop() {
  while (!stopping_) {
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (stopping_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // EMFILE and the like
      continue;
    }
    int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(c);
      return;
    }
    conns_.insert(c);
    ++active_;
    std::thread([this, c] { ServeConnection(c); }).detach();
  }
}

Fault FaultProxy::Decide(uint64_t seq, const std::string& op, const std::string& method) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = script_.begin(); it != script_.end(); ++it) {
    if (it->second.empty() || it->second == method) {
      Fault f = it->first;
      script_.erase(it);
      return f;
    }
  }
  Fault f;
  if (random_on_) {
    std::mt19937_64 rng(Mix(opt_.seed ^ Mix(seq)));
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    double acc = 0;
    for (const auto& [kind, p] : opt_.rates) {
      acc += p;
      if (u < acc) {
        f.kind = kind;
        break;
      }
    }
    f.after_upstream = (rng() & 1) != 0;
    if (f.kind != FaultKind::kNone && opt_.max_consecutive >= 0) {
      int& n = consecutive_[op];
      if (n >= opt_.max_consecutive) {
        f.kind = FaultKind::kNone;
      }
    }
  }
  if (f.kind == FaultKind::kNone || f.kind == FaultKind::kSlow) {
    consecutive_.erase(op);
  } else {
    ++consecutive_[op];
  }
  return f;
}

Result<FaultProxy::Upstream> FaultProxy::Forward(const std::string& method, const std::string& target,
                                                 const Headers& headers, const std::string& body) {
  int fd = ConnectLoopback(opt_.upstream_port);
  if (fd < 0) return Unavailable("connect to the server on 127.0.0.1:{}: {}", opt_.upstream_port, std::strerror(errno));
  UniqueFd guard(fd);
  std::string out = fmt::format("{} {} HTTP/1.1\r\n", method, target);
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    std::string l = Lower(k);
    if (l == "connection" || l == "keep-alive" || l == "transfer-encoding" || l == "proxy-connection") continue;
    if (l == "content-length") has_length = true;
    out += k + ": " + v + "\r\n";
  }
  if (!has_length && !body.empty()) out += fmt::format("Content-Length: {}\r\n", body.size());
  out += "Connection: close\r\n\r\n";
  if (!SendAll(fd, out) || !SendAll(fd, body)) return Unavailable("sending to the server: {}", std::strerror(errno));
  Reader r(fd);
  SL_ASSIGN_OR_RETURN(std::string raw, r.ReadHead());
  if (raw.empty()) return Unavailable("the server closed without answering");
  Head h = ParseHead(raw);
  Upstream up;
  up.status_line = h.first_line;
  size_t sp = h.first_line.find(' ');
  up.status = sp == std::string::npos ? 0 : std::atoi(h.first_line.c_str() + sp + 1);
  up.headers = std::move(h.headers);
  bool no_body = method == "HEAD" || up.status == 204 || up.status == 304 || (up.status >= 100 && up.status < 200);
  if (!no_body) {
    std::string te = Lower(Get(up.headers, "transfer-encoding"));
    std::string cl = Get(up.headers, "content-length");
    if (te.find("chunked") != std::string::npos) {
      SL_ASSIGN_OR_RETURN(up.body, r.ReadChunked());
    } else if (!cl.empty()) {
      SL_ASSIGN_OR_RETURN(up.body, r.ReadExactly(std::strtoull(cl.c_str(), nullptr, 10)));
    } else {
      SL_ASSIGN_OR_RETURN(up.body, r.ReadToEof());
    }
  }
  return up;
}

Result<bool> FaultProxy::KeyExists(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  std::string host = fmt::format("127.0.0.1:{}", opt_.upstream_port);
  SigV4Request sig;
  sig.method = "HEAD";
  sig.encoded_path = path;
  sig.headers["host"] = host;
  AwsCredentials creds{opt_.access_key_id, opt_.secret_access_key, ""};
  std::string auth = SignV4(sig, creds, opt_.region, "s3", Clock::Real()->WallNow());
  Headers h;
  for (const auto& [k, v] : sig.headers) h.emplace_back(k, v);
  h.emplace_back("authorization", auth);
  SL_ASSIGN_OR_RETURN(Upstream up, Forward("HEAD", path, h, ""));
  if (up.status == 200) return true;
  if (up.status == 404) return false;
  return Unavailable("conditional check: HEAD {} answered {}", path, up.status);
}

void FaultProxy::ServeConnection(int fd) {
  Reader in(fd);
  while (!stopping_) {
    auto raw = in.ReadHead();
    if (!raw.ok() || raw->empty()) break;
    Head head = ParseHead(*raw);
    std::string method = head.first_line.substr(0, head.first_line.find(' '));
    size_t t0 = head.first_line.find(' ');
    size_t t1 = head.first_line.rfind(' ');
    std::string target = t0 == std::string::npos || t1 <= t0 ? "/" : head.first_line.substr(t0 + 1, t1 - t0 - 1);
    bool client_close = Lower(Get(head.headers, "connection")) == "close";

    if (method == "GET" && target == "/__fault-proxy/stats") {
      std::string body = stats().ToJson();
      std::string resp = fmt::format("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                                     body.size(), body);
      if (!SendAll(fd, resp) || client_close) break;
      continue;
    }

    const uint64_t seq = seq_.fetch_add(1);
    const std::string op = method + " " + target;
    Fault fault = Decide(seq, op, method);
    FaultEvent ev{seq, method, target, fault, 0};
    auto record = [&](const Fault& applied, int upstream_status) {
      ev.fault = applied;
      ev.upstream_status = upstream_status;
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.requests;
      if (upstream_status != 0) ++stats_.forwarded;
      ++stats_.injected[static_cast<int>(applied.kind)];
      if (events_.size() < kMaxEvents) events_.push_back(ev);
    };

    std::string cl = Get(head.headers, "content-length");
    size_t body_len = cl.empty() ? 0 : std::strtoull(cl.c_str(), nullptr, 10);
    if (Lower(Get(head.headers, "transfer-encoding")).find("chunked") != std::string::npos) {
      record(Fault{}, 0);
      SendAll(fd, "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    }
    // A reset before the server sees an upload: cut the connection halfway through the body.
    if (fault.kind == FaultKind::kReset && !fault.after_upstream && body_len > 0) {
      (void)in.ReadExactly(body_len / 2);
      record(fault, 0);
      ResetAndClose(fd);
      break;
    }
    auto body = in.ReadExactly(body_len);
    if (!body.ok()) break;

    if (fault.kind == FaultKind::kSlowDown || (fault.kind == FaultKind::kServerError && !fault.after_upstream)) {
      bool slow_down = fault.kind == FaultKind::kSlowDown;
      std::string xml = slow_down ? ErrorXml("SlowDown", "Please reduce your request rate. (fault proxy)")
                                  : ErrorXml("InternalError", "We encountered an internal error. (fault proxy)");
      record(fault, 0);
      std::string resp = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n",
                                     slow_down ? 503 : 500, ReasonOf(slow_down ? 503 : 500), method == "HEAD" ? 0 : xml.size());
      if (method != "HEAD") resp += xml;
      if (!SendAll(fd, resp) || client_close) break;
      continue;
    }

    // The server does the request (conditional puts checked first, atomically, when emulated).
    Result<Upstream> up = Unavailable("not forwarded");
    bool refused = false;
    std::string inm = Get(head.headers, "if-none-match");
    bool conditional = opt_.emulate_conditional_put && Trim(inm) == "*" &&
                       ((method == "PUT" && target.find("partNumber=") == std::string::npos) ||
                        (method == "POST" && target.find("uploadId=") != std::string::npos));
    if (conditional) {
      std::lock_guard<std::mutex> lock(cond_mu_);
      auto exists = KeyExists(target);
      if (!exists.ok()) {
        up = exists.status();
      } else if (*exists) {
        refused = true;
        Upstream u;
        u.status = 412;
        u.status_line = "HTTP/1.1 412 Precondition Failed";
        u.headers = {{"Content-Type", "application/xml"}};
        u.body = ErrorXml("PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
        up = std::move(u);
      } else {
        up = Forward(method, target, head.headers, *body);
      }
    } else {
      up = Forward(method, target, head.headers, *body);
    }
    if (!up.ok()) {
      record(Fault{}, 0);
      std::string xml = ErrorXml("InternalError", up.status().message());
      SendAll(fd, fmt::format("HTTP/1.1 502 Bad Gateway\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                              xml.size(), xml));
      break;
    }
    if (refused) {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.conditional_refused;
    }

    // The response as the server gave it, re-framed with Content-Length.
    std::string resp_head = up->status_line + "\r\n";
    std::string length_header;
    for (const auto& [k, v] : up->headers) {
      std::string l = Lower(k);
      if (l == "connection" || l == "keep-alive" || l == "transfer-encoding") continue;
      if (l == "content-length") {
        if (method == "HEAD") length_header = v;
        continue;
      }
      resp_head += k + ": " + v + "\r\n";
    }
    const std::string& rbody = up->body;
    if (method != "HEAD") length_header = std::to_string(rbody.size());
    if (length_header.empty()) length_header = "0";

    if (fault.kind == FaultKind::kServerError) {  // after the server did it: the reply is lost
      record(fault, up->status);
      std::string xml = ErrorXml("InternalError", "We encountered an internal error. (fault proxy, after the write)");
      std::string resp = fmt::format("HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\n"
                                     "Content-Length: {}\r\n\r\n",
                                     method == "HEAD" ? 0 : xml.size());
      if (method != "HEAD") resp += xml;
      if (!SendAll(fd, resp) || client_close) break;
      continue;
    }
    if (fault.kind == FaultKind::kReset) {
      std::string whole = resp_head + "Content-Length: " + length_header + "\r\n\r\n";
      size_t cut = rbody.empty() ? whole.size() / 2 : whole.size() + rbody.size() / 2;
      whole += rbody;
      record(fault, up->status);
      SendAll(fd, std::string_view(whole).substr(0, cut));
      ResetAndClose(fd);
      break;
    }
    if (fault.kind == FaultKind::kTruncate) {
      record(fault, up->status);
      if (method == "HEAD") {  // no body to cut: the head itself is cut, then FIN
        std::string whole = resp_head + "Content-Length: " + length_header + "\r\n\r\n";
        SendAll(fd, std::string_view(whole).substr(0, whole.size() / 2));
      } else if (rbody.empty()) {  // promises bytes that never come
        SendAll(fd, resp_head + "Content-Length: 16\r\n\r\n");
      } else {
        SendAll(fd, resp_head + "Content-Length: " + length_header + "\r\n\r\n");
        SendAll(fd, std::string_view(rbody).substr(0, rbody.size() / 2));
      }
      ::shutdown(fd, SHUT_WR);
      break;
    }
    std::string full_head = resp_head + "Content-Length: " + length_header + "\r\n\r\n";
    if (fault.kind == FaultKind::kSlow) {
      std::mt19937_64 rng(Mix(opt_.seed + 7 * seq));
      int ms = std::uniform_int_distribution<int>(opt_.slow_min_ms, opt_.slow_max_ms)(rng);
      record(fault, up->status);  // now: the client may give up before the answer is out
      std::this_thread::sleep_for(std::chrono::milliseconds(ms / 2));
      bool ok = SendAll(fd, full_head);
      size_t slices = 4, off = 0;
      for (size_t i = 0; ok && i < slices; ++i) {
        size_t n = i + 1 == slices ? rbody.size() - off : rbody.size() / slices;
        ok = SendAll(fd, std::string_view(rbody).substr(off, n));
        off += n;
        if (i + 1 < slices) std::this_thread::sleep_for(std::chrono::milliseconds(ms / 2 / static_cast<int>(slices)));
      }
      if (!ok || client_close) break;
      continue;
    }
    record(fault, up->status);
    if (!SendAll(fd, full_head + rbody) || client_close) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  conns_.erase(fd);
  ::close(fd);
  if (--active_ == 0) idle_.notify_all();
}

}  // namespace sl::store::testing

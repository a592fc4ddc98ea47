// libFuzzer target for the instance side of the Lambda Runtime API (runtime_api_client.h): the
// client's own small HTTP/1.1 reply parser (status line, headers, Content-Length or chunked
// bodies), which runs in every function instance on every invocation. A fake Runtime API on
// loopback (a thread of this process) answers every connection with the input's bytes and then
// half-closes. The first byte picks:
//   * bits 0-1: the call (Next, PostResponse, PostError, PostInitError);
//   * bit 2 clear: the rest is sent as the reply, raw. Contract: OK, UNAVAILABLE or INTERNAL,
//     never a hang; Next OK means a non-empty request id; and when the reply is chunked, an OK
//     Next means a strict decoder (below) decodes the body to exactly its payload (so a chunk
//     claiming more bytes than the reply holds, or a malformed size, is an error);
//   * bit 2 set: the rest is "request id\ndeadline\npayload", framed by the harness as a
//     well-formed 200 reply (chunked with chunk sizes from the payload when bit 3 is set, else
//     Content-Length); Next must return exactly that id, deadline and payload.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// runtime_api_client). Seeds: fuzz/corpus/runtime_api_client/, dictionary fuzz/http.dict.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "runtime/runtime_api_client.h"

namespace {

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "runtime_api_client_fuzz: invariant violated: %s: %.*s\n", what,
               static_cast<int>(std::min<size_t>(detail.size(), 600)), detail.data());
  std::abort();
}

// The fake Runtime API: every accepted connection gets the current reply, then a half-close; what
// the client sends is drained until it closes.
class FakeApi {
 public:
  FakeApi() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    Check(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
              ::listen(listen_fd_, 16) == 0 &&
              ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0,
          "listen");
    port_ = ntohs(addr.sin_port);
    std::thread([this] { Serve(); }).detach();
  }
  int port() const { return port_; }
  void SetReply(std::string reply) {
    std::lock_guard<std::mutex> lock(mu_);
    reply_ = std::make_shared<const std::string>(std::move(reply));
  }

 private:
  void Serve() {
    for (;;) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::shared_ptr<const std::string> reply;
      {
        std::lock_guard<std::mutex> lock(mu_);
        reply = reply_;
      }
      timeval tv{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      size_t off = 0;
      while (reply && off < reply->size()) {
        ssize_t n = ::send(fd, reply->data() + off, reply->size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::shutdown(fd, SHUT_WR);
      char buf[4096];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
      ::close(fd);
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::mutex mu_;
  std::shared_ptr<const std::string> reply_;
};

FakeApi& Api() {
  static FakeApi* api = new FakeApi;
  return *api;
}

// A strict chunked decoder: nullopt when malformed; sets *oversized when a chunk claims more
// bytes than there are.
std::optional<std::string> DecodeChunked(std::string_view s, bool* oversized) {
  std::string body;
  for (;;) {
    const size_t eol = s.find("\r\n");
    if (eol == std::string_view::npos) return std::nullopt;
    std::string_view line = s.substr(0, eol);
    line = line.substr(0, line.find(';'));
    if (line.empty()) return std::nullopt;
    uint64_t n = 0;
    for (char c : line) {
      int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                               : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (v < 0) return std::nullopt;
      if (n > (UINT64_MAX >> 4)) {
        *oversized = true;
        return std::nullopt;
      }
      n = n * 16 + static_cast<uint64_t>(v);
    }
    s.remove_prefix(eol + 2);
    if (n > s.size() || s.size() - n < 2) {
      *oversized = n > s.size();
      return std::nullopt;
    }
    if (s.substr(n, 2) != "\r\n") return std::nullopt;
    body.append(s.substr(0, n));
    s.remove_prefix(n + 2);
    if (n == 0) return body;
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Api();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  FakeApi& api = Api();
  const std::string endpoint = "127.0.0.1:" + std::to_string(api.port());

  if (flags & 4) {  // a well-formed reply built from fields
    const size_t a = rest.find('\n');
    if (a == std::string_view::npos) return 0;
    const size_t b = rest.find('\n', a + 1);
    if (b == std::string_view::npos) return 0;
    const std::string_view id = rest.substr(0, a), deadline = rest.substr(a + 1, b - a - 1);
    const std::string_view payload = rest.substr(b + 1);
    if (id.empty() || id.find_first_of("\r\n") != std::string_view::npos || id.front() == ' ' ||
        id.front() == '\t' || id.back() == ' ' || id.back() == '\t' || deadline.empty() ||
        deadline.size() > 15 || deadline.find_first_not_of("0123456789") != std::string_view::npos) {
      return 0;
    }
    std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Lambda-Runtime-Aws-Request-Id: " + std::string(id) +
                        "\r\nLambda-Runtime-Deadline-Ms: " + std::string(deadline) + "\r\n";
    if (flags & 8) {
      reply += "Transfer-Encoding: chunked\r\n\r\n";
      size_t off = 0;
      while (off < payload.size()) {
        const size_t n = std::min<size_t>(payload.size() - off,
                                          1 + static_cast<uint8_t>(payload[off]) % 17);
        char hex[32];
        std::snprintf(hex, sizeof hex, "%zx\r\n", n);
        reply += hex;
        reply.append(payload.substr(off, n));
        reply += "\r\n";
        off += n;
      }
      reply += "0\r\n\r\n";
    } else {
      reply += "Content-Length: " + std::to_string(payload.size()) + "\r\n\r\n";
      reply.append(payload);
    }
    api.SetReply(reply);
    sl::runtime::RuntimeApiClient client(endpoint);
    auto r = client.Next();
    Check(r.ok(), "a well-formed reply refused", r.ok() ? reply : r.status().ToString());
    Check(r->request_id == id, "request id", r->request_id);
    Check(r->payload == payload, "payload", r->payload);
    Check(r->deadline_ms == std::atoll(std::string(deadline).c_str()), "deadline");
    return 0;
  }

  api.SetReply(std::string(rest));
  sl::runtime::RuntimeApiClient client(endpoint);
  sl::Status s;
  std::optional<sl::runtime::InvocationRequest> next;
  switch (flags & 3) {
    case 0: {
      auto r = client.Next();
      s = r.status();
      if (r.ok()) next = std::move(*r);
      break;
    }
    case 1: s = client.PostResponse("req-1", R"({"ok":true})", "application/json"); break;
    case 2: s = client.PostError("req-1", R"({"errorType":"E"})", "Runtime.E"); break;
    default: s = client.PostInitError(R"({"errorType":"E"})", "Runtime.E"); break;
  }
  if (!s.ok()) {
    Check(s.code() == sl::Code::kUnavailable || s.code() == sl::Code::kInternal, "error code",
          s.ToString());
    return 0;
  }
  if (!next) return 0;
  Check(!next->request_id.empty(), "Next OK without a request id");
  // A chunked reply the strict decoder understands must give the same payload.
  const size_t head_end = rest.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return 0;
  const std::string head = Lower(rest.substr(0, head_end));
  const size_t te = head.find("\r\ntransfer-encoding:");
  if (te == std::string::npos || head.find("\r\ntransfer-encoding:", te + 1) != std::string::npos ||
      head.substr(te, head.find("\r\n", te + 2) - te).find("chunked") == std::string::npos) {
    return 0;
  }
  bool oversized = false;
  auto body = DecodeChunked(rest.substr(head_end + 4), &oversized);
  Check(!oversized, "a chunk larger than the reply was accepted", rest);
  Check(body.has_value(), "a malformed chunked body was accepted", rest);
  Check(next->payload == *body, "chunked payload differs from a strict decoder's", rest);
  return 0;
}

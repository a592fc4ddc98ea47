// libFuzzer target for the HTTP/1.1 request side of common/http_server (Beast's request parser
// plus what the server makes of it: HttpRequest's method, target, percent-decoded path, query,
// headers and body; keep-alive, pipelining, chunked bodies, Expect: 100-continue, the body and
// head limits). Every server straightline runs (Runtime API, Invoke API, KServe gateway,
// /metrics) reads requests this way, so this is the first parser outside input reaches.
//
// The input is sent as raw bytes to a real HttpServer on loopback (one connection, then
// half-closed). The server's handler echoes each request it gets in a binary-safe encoding.
// Invariants checked:
//   * the server never keeps a half-closed client waiting and never writes anything but
//     well-formed responses framed by Content-Length, with a status from {100, 200, 204, 400,
//     413, 431, 503};
//   * in the handler: path == PercentDecode(target before '?'), query == target after '?',
//     a body no longer than max_body_bytes, PercentDecode never lengthens its input;
//   * round trip: the first request echoed is serialized again (method, target, headers, body
//     with a Content-Length) and sent on a fresh connection; the server must parse it to the
//     same request.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// http_request). Seeds: fuzz/corpus/http_request/, dictionary fuzz/http.dict.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_fuzz_util.h"
#include "common/http_server.h"
#include "common/log.h"

namespace {

constexpr const char* kTarget = "http_request_fuzz";
constexpr uint64_t kMaxBody = 1024;

using sl::fuzz::AppendField;
using sl::fuzz::Fail;

bool FramingHeader(std::string_view name) {
  auto ieq = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) !=
          std::tolower(static_cast<unsigned char>(b[i]))) {
        return false;
      }
    }
    return true;
  };
  return ieq(name, "Content-Length") || ieq(name, "Transfer-Encoding");
}

void Handle(sl::HttpRequest&& req, sl::HttpResponder respond) {
  const std::string_view target = req.target;
  const size_t q = target.find('?');
  if (req.path != sl::PercentDecode(target.substr(0, q))) Fail(kTarget, "path", req.target);
  if (req.query != (q == std::string_view::npos ? "" : target.substr(q + 1))) {
    Fail(kTarget, "query", req.target);
  }
  if (req.method.empty()) Fail(kTarget, "empty method", req.target);
  if (req.body.size() > kMaxBody) Fail(kTarget, "a body over max_body_bytes reached the handler");
  if (req.path.size() > target.substr(0, q).size()) Fail(kTarget, "PercentDecode lengthened");
  (void)sl::QueryParam(req.query, "a");
  if (req.method == "HEAD") {
    respond(sl::HttpResponse{204, {}, ""});
    return;
  }
  std::string echo;
  AppendField(&echo, req.method);
  AppendField(&echo, req.target);
  AppendField(&echo, req.path);
  AppendField(&echo, req.query);
  size_t n = 0;
  for (const auto& [name, value] : req.headers.items) n += FramingHeader(name) ? 0 : 1;
  AppendField(&echo, std::to_string(n));
  for (const auto& [name, value] : req.headers.items) {
    if (FramingHeader(name)) continue;
    AppendField(&echo, name);
    AppendField(&echo, value);
  }
  AppendField(&echo, req.body);
  respond(sl::HttpResponse{200, {}, std::move(echo)});
}

struct Echo {
  std::string method, target, path, query, body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool operator==(const Echo&) const = default;
};

bool TakeField(std::string_view* s, std::string* out) {
  const size_t colon = s->find(':');
  if (colon == std::string_view::npos) return false;
  const size_t n = std::strtoull(std::string(s->substr(0, colon)).c_str(), nullptr, 10);
  if (s->size() < colon + 1 + n) return false;
  *out = std::string(s->substr(colon + 1, n));
  s->remove_prefix(colon + 1 + n);
  return true;
}

Echo Decode(std::string_view s) {
  Echo e;
  std::string count;
  if (!TakeField(&s, &e.method) || !TakeField(&s, &e.target) || !TakeField(&s, &e.path) ||
      !TakeField(&s, &e.query) || !TakeField(&s, &count)) {
    Fail(kTarget, "echo", s);
  }
  for (size_t i = 0, n = std::strtoull(count.c_str(), nullptr, 10); i < n; ++i) {
    std::string name, value;
    if (!TakeField(&s, &name) || !TakeField(&s, &value)) Fail(kTarget, "echo header", s);
    e.headers.emplace_back(std::move(name), std::move(value));
  }
  if (!TakeField(&s, &e.body) || !s.empty()) Fail(kTarget, "echo body", s);
  return e;
}

int Port() {
  static std::unique_ptr<sl::HttpServer> server = [] {
    sl::HttpServer::Options o;
    o.threads = 1;
    o.max_body_bytes = kMaxBody;
    o.max_inflight_body_bytes = 2 * kMaxBody;
    auto s = sl::HttpServer::Start(o, Handle);
    if (!s.ok()) Fail(kTarget, "server start", s.status().ToString());
    return std::move(*s);
  }();
  return server->port();
}

void CheckStatuses(const std::vector<sl::fuzz::ParsedResponse>& rs, std::string_view raw) {
  for (const auto& r : rs) {
    switch (r.status) {
      case 100: case 200: case 204: case 400: case 413: case 431: case 503: break;
      default: Fail(kTarget, "unexpected status", raw);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sl::SetLogLevel(sl::LogLevel::kError);
  Port();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string raw = sl::fuzz::Exchange(kTarget, Port(), input);
  const auto responses = sl::fuzz::SplitResponses(kTarget, raw);
  CheckStatuses(responses, raw);
  for (const auto& r : responses) {
    if (r.status != 200) continue;
    const Echo first = Decode(r.body);
    // Serialize the request as the server understood it and have it parsed again.
    std::string again = first.method + " " + first.target + " HTTP/1.1\r\n";
    for (const auto& [name, value] : first.headers) again += name + ": " + value + "\r\n";
    again += "Content-Length: " + std::to_string(first.body.size()) + "\r\n\r\n" + first.body;
    const std::string raw2 = sl::fuzz::Exchange(kTarget, Port(), again);
    const auto responses2 = sl::fuzz::SplitResponses(kTarget, raw2);
    CheckStatuses(responses2, raw2);
    const sl::fuzz::ParsedResponse* final2 = nullptr;
    for (const auto& r2 : responses2) {
      if (r2.status >= 200) {
        final2 = &r2;
        break;
      }
    }
    if (final2 == nullptr || final2->status != 200) Fail(kTarget, "re-serialized request refused", again);
    if (!(Decode(final2->body) == first)) Fail(kTarget, "request changed in a round trip", again);
    break;  // one round trip per input
  }
  return 0;
}

// libFuzzer target for the platform side of the Lambda Runtime API (runtime_api_server.h): the
// requests a function instance (code the platform does not trust) sends to its own Runtime API
// endpoint. The input is "METHOD TARGET\n" + header lines + "\n" + body; the harness frames it as
// an HTTP/1.1 request with a Content-Length and sends it to a real RuntimeApiServer on loopback,
// whose delegate records what it is called with (OnResponse accepts only request id "req-1").
// Invariants checked, against a model of the documented routes computed by the harness from the
// percent-decoded path:
//   GET  /2018-06-01/runtime/invocation/next            → OnNext, 200 with the invocation
//   POST /2018-06-01/runtime/invocation/{id}/response   → OnResponse(id, body): 202, else 400
//   POST /2018-06-01/runtime/invocation/{id}/error      → OnError(id, body, error type header)
//   POST /2018-06-01/runtime/init/error                 → OnInitError(body, error type header)
//   anything else → 404 {"errorMessage", "errorType": "InvalidRequest"}, no delegate call;
// bodies over max_body_bytes → 413 without a delegate call; the delegate gets the body and id
// byte for byte; the server's answers are well-formed HTTP.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// runtime_api_server). Seeds: fuzz/corpus/runtime_api_server/, dictionary fuzz/http.dict.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http_fuzz_util.h"
#include "common/log.h"
#include "faas/runtime_api_server.h"

namespace {

constexpr const char* kTarget = "runtime_api_server_fuzz";
constexpr uint64_t kMaxBody = 2048;
using sl::fuzz::Fail;

struct Call {
  std::string route;  // "next" | "response" | "error" | "init_error"
  std::string id, body, error_type;
};

class RecordingDelegate : public sl::faas::RuntimeApiServer::Delegate {
 public:
  void OnNext(sl::HttpResponder respond) override {
    Record({"next", "", "", ""});
    sl::HttpResponse r = sl::HttpResponse::Json(200, R"({"k":1})");
    r.headers.Set("Lambda-Runtime-Aws-Request-Id", "req-1");
    r.headers.Set("Lambda-Runtime-Deadline-Ms", "1700000000000");
    respond(std::move(r));
  }
  void OnResponse(const std::string& id, std::string body, sl::HttpResponder respond) override {
    Record({"response", id, std::move(body), ""});
    respond(id == "req-1" ? sl::faas::RuntimeApiServer::Accepted()
                          : sl::faas::RuntimeApiServer::Error(400, "InvalidRequestID", "unknown"));
  }
  void OnError(const std::string& id, std::string body, std::string type,
               sl::HttpResponder respond) override {
    Record({"error", id, std::move(body), std::move(type)});
    respond(id == "req-1" ? sl::faas::RuntimeApiServer::Accepted()
                          : sl::faas::RuntimeApiServer::Error(400, "InvalidRequestID", "unknown"));
  }
  void OnInitError(std::string body, std::string type, sl::HttpResponder respond) override {
    Record({"init_error", "", std::move(body), std::move(type)});
    respond(sl::faas::RuntimeApiServer::Accepted());
  }
  std::vector<Call> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(calls_, {});
  }

 private:
  void Record(Call c) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(std::move(c));
  }
  std::mutex mu_;
  std::vector<Call> calls_;
};

struct Fixture {
  std::shared_ptr<RecordingDelegate> delegate = std::make_shared<RecordingDelegate>();
  std::unique_ptr<sl::faas::RuntimeApiServer> server;
};

Fixture& F() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    auto s = sl::faas::RuntimeApiServer::Start(fx->delegate, kMaxBody);
    if (!s.ok()) Fail(kTarget, "server start", s.status().ToString());
    fx->server = std::move(*s);
    return fx;
  }();
  return *f;
}

std::string Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return std::string(v);
}

bool IEq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sl::SetLogLevel(sl::LogLevel::kError);
  F();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // "METHOD TARGET\n" headers "\n\n" body
  const size_t eol = in.find('\n');
  if (eol == std::string_view::npos) return 0;
  const std::string_view request_line = in.substr(0, eol);
  const size_t sp = request_line.find(' ');
  if (sp == std::string_view::npos) return 0;
  const std::string method(request_line.substr(0, sp));
  const std::string target(request_line.substr(sp + 1));
  in.remove_prefix(eol + 1);
  const size_t blank = in.find("\n\n");
  const std::string_view header_text = blank == std::string_view::npos ? in : in.substr(0, blank);
  const std::string body(blank == std::string_view::npos ? "" : in.substr(blank + 2));
  std::string headers;
  std::string error_type;
  bool error_type_seen = false;
  size_t pos = 0;
  while (pos < header_text.size()) {
    size_t e = header_text.find('\n', pos);
    if (e == std::string_view::npos) e = header_text.size();
    std::string_view line = header_text.substr(pos, e - pos);
    pos = e + 1;
    const size_t colon = line.find(':');
    if (line.empty() || colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    if (IEq(name, "Content-Length") || IEq(name, "Transfer-Encoding")) continue;
    if (IEq(name, "Lambda-Runtime-Function-Error-Type") && !error_type_seen) {
      error_type = Trim(line.substr(colon + 1));
      error_type_seen = true;
    }
    headers.append(line);
    headers += "\r\n";
  }
  const std::string request = method + " " + target + " HTTP/1.1\r\n" + headers +
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  Fixture& f = F();
  f.delegate->Take();
  const std::string raw = sl::fuzz::Exchange(kTarget, f.server->port(), request);
  const auto responses = sl::fuzz::SplitResponses(kTarget, raw, {method == "HEAD"});
  const std::vector<Call> calls = f.delegate->Take();
  const sl::fuzz::ParsedResponse* final_response = nullptr;
  for (const auto& r : responses) {
    if (r.status >= 200) {
      if (final_response != nullptr) Fail(kTarget, "two answers to one request", raw);
      final_response = &r;
    }
  }
  if (final_response == nullptr) {
    // Closed without an answer: only when the request never reached a handler.
    if (!calls.empty()) Fail(kTarget, "delegate called but no answer", request);
    return 0;
  }
  const int status = final_response->status;
  if (status == 400 && calls.empty() &&
      final_response->body.rfind("malformed HTTP request", 0) == 0) {
    return 0;  // the framing the harness built is not valid HTTP (a space in the target, ...)
  }
  if (status == 431) return 0;  // head over 64 KiB cannot happen at max_len, but is legal
  if (status == 413) {
    if (body.size() <= kMaxBody || !calls.empty()) Fail(kTarget, "413", request);
    return 0;
  }
  if (body.size() > kMaxBody) Fail(kTarget, "a body over max_body_bytes was not refused", request);
  // The model of the routes.
  const size_t q = target.find('?');
  const std::string path = sl::PercentDecode(std::string_view(target).substr(0, q));
  constexpr std::string_view kInvocation = "/2018-06-01/runtime/invocation/";
  Call want;
  int want_status = 404;
  if (method == "GET" && path == "/2018-06-01/runtime/invocation/next") {
    want = {"next", "", "", ""};
    want_status = 200;
  } else if (method == "POST" && path == "/2018-06-01/runtime/init/error") {
    want = {"init_error", "", body, error_type};
    want_status = 202;
  } else if (method == "POST" && path.size() > kInvocation.size() &&
             path.compare(0, kInvocation.size(), kInvocation) == 0) {
    const std::string rest = path.substr(kInvocation.size());
    const size_t slash = rest.find('/');
    if (slash != std::string::npos) {
      const std::string id = rest.substr(0, slash), what = rest.substr(slash + 1);
      if (what == "response" || what == "error") {
        want = {what, id, body, what == "error" ? error_type : ""};
        want_status = id == "req-1" ? 202 : 400;
      }
    }
  }
  if (status != want_status) {
    Fail(kTarget, "status differs from the documented route", request + "\n=> " + raw);
  }
  if (want.route.empty()) {
    if (!calls.empty()) Fail(kTarget, "delegate called for an unknown route", request);
    if (method == "HEAD") return 0;  // no body
    auto j = nlohmann::json::parse(final_response->body, nullptr, false);
    if (j.is_discarded() || j.value("errorType", "") != "InvalidRequest" ||
        !j.contains("errorMessage")) {
      Fail(kTarget, "404 body is not Lambda's error shape", final_response->body);
    }
    return 0;
  }
  if (calls.size() != 1) Fail(kTarget, "delegate not called exactly once", request);
  const Call& got = calls[0];
  if (got.route != want.route || got.id != want.id || got.body != want.body ||
      got.error_type != want.error_type) {
    Fail(kTarget, "delegate called with other arguments than the request's",
         request + "\n=> route " + got.route + " id " + got.id + " type " + got.error_type);
  }
  return 0;
}

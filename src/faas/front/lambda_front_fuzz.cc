// libFuzzer target for the Lambda Invoke API front (lambda_front.h): what `platform serve` answers
// to anyone who can reach its port — Invoke (function names, qualifiers, ARNs, invocation and log
// types, JSON payloads), List/Get/Create/DeleteFunction (CreateFunction's JSON), /metrics,
// /healthz, and SigV4 verification of the Authorization header. The input is
// flags byte + "METHOD TARGET\n" + header lines + "\n\n" + body; the harness frames it as an
// HTTP/1.1 request with a Content-Length and sends it to one of two fronts on loopback (flags bit
// 0): an open one and one that requires SigV4 (one access key; the fuzzer cannot sign). Both serve
// a ScriptedInvoker with echo/noop/fail. Invariants checked:
//   * exactly one well-formed final response; never 500 (a handler that threw);
//   * every 4xx from the front is Lambda's error shape: x-amzn-ErrorType and a JSON body with
//     "Type" and "message" or "Message"; Invoke answers carry X-Amz-Request-Id;
//   * the authenticated front answers 403 to everything but /healthz (and malformed HTTP);
//   * model: POST /2015-03-31/functions/echo/invocations with a JSON body and no invocation or
//     log type header → 200 with exactly that body (the echo function).
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// lambda_invoke). Seeds: fuzz/corpus/lambda_invoke/, dictionary fuzz/lambda_invoke.dict.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/http_fuzz_util.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/sigv4_verifier.h"
#include "faas/front/lambda_front.h"
#include "faas/front/scripted_invoker.h"

namespace {

constexpr const char* kTarget = "lambda_front_fuzz";
using sl::fuzz::Fail;
using namespace sl::faas;

struct Fronts {
  std::unique_ptr<ScriptedInvoker> invoker = ScriptedInvoker::WithStandardFunctions();
  sl::MetricsRegistry metrics;
  std::unique_ptr<LambdaFront> open, authed;
};

FrontOptions Options(sl::MetricsRegistry* metrics) {
  FrontOptions o;
  o.http.threads = 2;
  o.http.max_body_bytes = 64 * 1024;
  o.metrics = metrics;
  o.async_payload_limit = [](const std::string&) -> sl::Result<int64_t> { return 1024; };
  o.list_functions = [] {
    return std::vector<FunctionSummary>{{"echo", "straightline-builtin", "echo", "", 128, 3},
                                        {"fail", "straightline-builtin", "fail", "", 128, 3}};
  };
  // Stateless, so that every input sees the same catalogue.
  o.create_function = [](const CreateFunctionRequest& r) -> sl::Result<FunctionSummary> {
    if (r.name == "echo" || r.name == "fail" || r.name == "noop") {
      return sl::AlreadyExists("Function already exist: {}", r.name);
    }
    return FunctionSummary{r.name, "straightline-builtin", "echo", "", 128, 3};
  };
  o.delete_function = [](const std::string& name) -> sl::Status {
    if (name == "gone") return sl::Status::Ok();
    return sl::NotFound("Function not found: {}", name);
  };
  return o;
}

Fronts& F() {
  static Fronts* f = [] {
    auto* fx = new Fronts;
    auto open = LambdaFront::Start(fx->invoker.get(), Options(&fx->metrics));
    if (!open.ok()) Fail(kTarget, "start", open.status().ToString());
    fx->open = std::move(*open);
    FrontOptions ao = Options(&fx->metrics);
    auto verifier = sl::SigV4Verifier::Create({{"AKIDFUZZ", "fuzz-secret", ""}});
    if (!verifier.ok()) Fail(kTarget, "verifier", verifier.status().ToString());
    ao.auth = std::move(*verifier);
    auto authed = LambdaFront::Start(fx->invoker.get(), std::move(ao));
    if (!authed.ok()) Fail(kTarget, "start", authed.status().ToString());
    fx->authed = std::move(*authed);
    return fx;
  }();
  return *f;
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
  if (size < 1) return 0;
  const bool authed = data[0] & 1;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
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
  bool typed = false;  // an X-Amz-Invocation-Type or X-Amz-Log-Type header
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
    if (IEq(name, "X-Amz-Invocation-Type") || IEq(name, "X-Amz-Log-Type")) typed = true;
    headers.append(line);
    headers += "\r\n";
  }
  const std::string request = method + " " + target + " HTTP/1.1\r\n" + headers +
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  Fronts& f = F();
  const int port = authed ? f.authed->port() : f.open->port();
  const std::string raw = sl::fuzz::Exchange(kTarget, port, request);
  const auto responses = sl::fuzz::SplitResponses(kTarget, raw, {method == "HEAD"});
  const sl::fuzz::ParsedResponse* r = nullptr;
  for (const auto& x : responses) {
    if (x.status < 200) continue;
    if (r != nullptr) Fail(kTarget, "two answers to one request", raw);
    r = &x;
  }
  if (r == nullptr) return 0;  // closed without an answer: unreadable HTTP
  if (r->status == 400 && r->body.rfind("malformed HTTP request", 0) == 0) return 0;
  if (r->status == 413 && body.size() > 64 * 1024) return 0;
  if (r->status >= 500 && r->status != 503) Fail(kTarget, "5xx", request + "\n=> " + raw);
  const size_t q = target.find('?');
  const std::string path = sl::PercentDecode(std::string_view(target).substr(0, q));
  const bool healthz = path == "/healthz" && (method == "GET" || method == "HEAD");
  if (authed && !healthz && r->status != 403) {
    Fail(kTarget, "the authenticated front answered an unsigned request", request + "\n=> " + raw);
  }
  if (r->status >= 400 && r->status < 500 && method != "HEAD") {
    if (r->headers.Get("x-amzn-ErrorType").empty()) Fail(kTarget, "4xx without x-amzn-ErrorType", raw);
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("Type") ||
        !(j.contains("message") || j.contains("Message"))) {
      Fail(kTarget, "4xx body is not Lambda's error shape", raw);
    }
  }
  const bool invoke = method == "POST" && path.size() > 12 &&
                      path.compare(path.size() - 12, 12, "/invocations") == 0;
  if (invoke && r->status != 404 && !authed && r->headers.Get("X-Amz-Request-Id").empty() &&
      r->headers.Get("x-amzn-RequestId").empty()) {
    Fail(kTarget, "an Invoke answer without a request id", raw);
  }
  if (!authed && method == "POST" && path == "/2015-03-31/functions/echo/invocations" &&
      q == std::string::npos && !typed && !body.empty() && nlohmann::json::accept(body)) {
    if (r->status != 200 || r->body != body) {
      Fail(kTarget, "echo did not answer 200 with its payload", request + "\n=> " + raw);
    }
  }
  return 0;
}

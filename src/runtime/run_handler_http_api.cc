#include "runtime/run_handler_http_api.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"

namespace sl::runtime {
namespace {

using nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "application/json; charset=utf-8" → "application/json".
std::string MediaType(std::string_view content_type) {
  std::string t = Lower(content_type.substr(0, content_type.find(';')));
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  size_t b = 0;
  while (b < t.size() && std::isspace(static_cast<unsigned char>(t[b]))) ++b;
  return t.substr(b);
}

bool IsJsonType(const std::string& media) {
  return media.empty() || media == "application/json" ||
         (media.size() > 5 && media.compare(media.size() - 5, 5, "+json") == 0);
}

bool IsTextType(const std::string& media) {
  return IsJsonType(media) || media.rfind("text/", 0) == 0 || media == "application/xml" ||
         media == "application/javascript";
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;  // continuation bytes
    if (c < 0x80) {
      n = 0;
    } else if ((c >> 5) == 0x6) {
      n = 1;
    } else if ((c >> 4) == 0xe) {
      n = 2;
    } else if ((c >> 3) == 0x1e) {
      n = 3;
    } else {
      return false;
    }
    if (i + n >= s.size() && n > 0) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n + 1;
  }
  return true;
}

// The 2.0 response (the format API Gateway reads when the function returns a statusCode).
InvocationResponse Answer(int status, std::string_view content_type, std::string_view body,
                          const std::string& request_id, const std::string& error_type = "") {
  json headers = {{"content-type", content_type.empty() ? "application/json" : std::string(content_type)}};
  if (!request_id.empty()) headers["x-request-id"] = request_id;
  if (!error_type.empty()) headers["x-straightline-error-type"] = error_type;
  const bool text = IsTextType(MediaType(content_type)) && IsValidUtf8(body);
  json out = {{"statusCode", status},
              {"headers", headers},
              {"body", text ? std::string(body) : Base64Encode(body)},
              {"isBase64Encoded", !text}};
  return InvocationResponse::Success(out.dump(-1, ' ', false, json::error_handler_t::replace));
}

InvocationResponse ErrorAnswer(int status, const std::string& message, const std::string& type,
                               const std::string& request_id) {
  json body = {{"error", message}, {"errorType", type}};
  return Answer(status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace),
                request_id, type);
}

}  // namespace

std::optional<Result<HttpApiEvent>> ParseHttpApiEvent(std::string_view payload) {
  // Cheap rejection first: most payloads (training blobs' JSON, v2 requests) never name it.
  if (payload.find("\"routeKey\"") == std::string_view::npos) return std::nullopt;
  json j = json::parse(payload, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto version = j.find("version");
  auto route = j.find("routeKey");
  auto ctx = j.find("requestContext");
  if (version == j.end() || !version->is_string() || version->get<std::string>() != "2.0") return std::nullopt;
  if (route == j.end() || !route->is_string()) return std::nullopt;
  if (ctx == j.end() || !ctx->is_object() || !ctx->contains("http") || !(*ctx)["http"].is_object()) {
    return std::nullopt;
  }
  const json& http = (*ctx)["http"];
  if (!http.contains("method") || !http["method"].is_string()) return std::nullopt;

  HttpApiEvent e;
  e.method = http["method"].get<std::string>();
  e.route_key = route->get<std::string>();
  if (j.contains("rawPath") && j["rawPath"].is_string()) {
    e.raw_path = j["rawPath"].get<std::string>();
  } else if (http.contains("path") && http["path"].is_string()) {
    e.raw_path = http["path"].get<std::string>();
  }
  if (ctx->contains("requestId") && (*ctx)["requestId"].is_string()) {
    e.request_id = (*ctx)["requestId"].get<std::string>();
  }
  if (j.contains("headers") && !j["headers"].is_null()) {
    if (!j["headers"].is_object()) {
      return Result<HttpApiEvent>(InvalidArgument("HTTP API event: headers is not an object"));
    }
    for (const auto& [k, v] : j["headers"].items()) {
      if (!v.is_string()) {
        return Result<HttpApiEvent>(InvalidArgument("HTTP API event: header '{}' is not a string", k));
      }
      e.headers[Lower(k)] = v.get<std::string>();
    }
  }
  bool base64 = false;
  if (j.contains("isBase64Encoded") && !j["isBase64Encoded"].is_null()) {
    if (!j["isBase64Encoded"].is_boolean()) {
      return Result<HttpApiEvent>(InvalidArgument("HTTP API event: isBase64Encoded is not a boolean"));
    }
    base64 = j["isBase64Encoded"].get<bool>();
  }
  if (j.contains("body") && !j["body"].is_null()) {
    if (!j["body"].is_string()) {
      return Result<HttpApiEvent>(InvalidArgument("HTTP API event: body is not a string"));
    }
    e.body = j["body"].get<std::string>();
    if (base64) {
      auto bytes = Base64Decode(e.body);
      if (!bytes.ok()) {
        return Result<HttpApiEvent>(InvalidArgument("HTTP API event: isBase64Encoded is true but the body is not "
                                                    "base64: {}",
                                                    bytes.status().message()));
      }
      e.body = std::move(*bytes);
    }
  }
  return Result<HttpApiEvent>(std::move(e));
}

std::string HandlerPayloadForHttpBody(std::string_view content_type, std::string_view body,
                                      std::string_view inference_header_content_length) {
  if (inference_header_content_length.empty() && IsJsonType(MediaType(content_type))) {
    return std::string(body);
  }
  json env = {{"content_type", content_type.empty() ? "application/octet-stream" : std::string(content_type)},
              {"body_base64", Base64Encode(body)}};
  if (!inference_header_content_length.empty()) {
    char* end = nullptr;
    const std::string h(inference_header_content_length);
    const unsigned long long n = std::strtoull(h.c_str(), &end, 10);
    if (end != h.c_str() && *end == '\0' && h[0] != '-') {
      env["inference_header_content_length"] = n;
    } else {
      env["inference_header_content_length"] = h;  // the handler rejects it, naming the field
    }
  }
  return env.dump();
}

int HttpStatusForErrorType(std::string_view type) {
  const std::pair<Code, int> table[] = {
      {Code::kInvalidArgument, 400}, {Code::kFailedPrecondition, 400}, {Code::kOutOfRange, 400},
      {Code::kNotFound, 404},        {Code::kResourceExhausted, 429},  {Code::kUnavailable, 503},
      {Code::kDeadlineExceeded, 504},
  };
  for (const auto& [code, status] : table) {
    if (type == CodeName(code)) return status;
  }
  return 500;
}

InvocationResponse DispatchInvocation(const Handler& handler, const InvocationRequest& request) {
  const char* mode = std::getenv("STRAIGHTLINE_HTTP_API_EVENTS");
  if (mode != nullptr && std::string_view(mode) == "raw") return handler(request);
  auto event = ParseHttpApiEvent(request.payload);
  if (!event) return handler(request);
  const std::string& id = request.request_id;
  if (!event->ok()) return ErrorAnswer(400, event->status().message(), "BadRequest", id);
  const HttpApiEvent& e = **event;
  if (e.method != "POST") {
    return ErrorAnswer(405, fmt::format("{} {}: POST the request body", e.method, e.raw_path), "MethodNotAllowed", id);
  }
  auto header = [&](const char* name) -> std::string_view {
    auto it = e.headers.find(name);
    return it == e.headers.end() ? std::string_view() : std::string_view(it->second);
  };
  InvocationRequest inner = request;
  inner.payload = HandlerPayloadForHttpBody(header("content-type"), e.body,
                                            header("inference-header-content-length"));
  InvocationResponse r;
  try {
    r = handler(inner);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "runtime: handler threw on %s %s: %s\n", e.method.c_str(), e.raw_path.c_str(), ex.what());
    return ErrorAnswer(500, ex.what(), "Runtime.UnhandledException", id);
  } catch (...) {
    std::fprintf(stderr, "runtime: handler threw on %s %s\n", e.method.c_str(), e.raw_path.c_str());
    return ErrorAnswer(500, "unknown exception", "Runtime.UnhandledException", id);
  }
  if (r.success) return Answer(200, r.content_type, r.payload, id);
  // The handler's error JSON {"errorMessage", "errorType"} → KServe's {"error"} plus the type.
  std::string message = r.payload, type = r.error_type;
  json err = json::parse(r.payload, nullptr, false);
  if (err.is_object()) {
    if (err.contains("errorMessage") && err["errorMessage"].is_string()) message = err["errorMessage"];
    if (type.empty() && err.contains("errorType") && err["errorType"].is_string()) type = err["errorType"];
  }
  const int status = HttpStatusForErrorType(type);
  if (status >= 500) {
    std::fprintf(stderr, "runtime: %s %s: %s: %s\n", e.method.c_str(), e.raw_path.c_str(), type.c_str(),
                 message.c_str());
  }
  return ErrorAnswer(status, message, type.empty() ? "Error" : type, id);
}

}  // namespace sl::runtime

#include "runtime/azure_custom_handler.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "common/base64.h"

namespace sl::runtime {
namespace {

// A handler's bytes need not be UTF-8 (binary responses): replace, never throw, when embedding.
constexpr auto kReplaceInvalidUtf8 = nlohmann::json::error_handler_t::replace;

bool IsHttpRequestValue(const nlohmann::json& v) {
  return v.is_object() && v.contains("Method") && v.contains("Url");
}

// The header value of an HTTP trigger's Headers object: {"Content-Type": ["a"]} or {"k": "a"}.
std::string HeaderOf(const nlohmann::json& headers, std::string_view name) {
  if (!headers.is_object()) return "";
  for (const auto& [k, v] : headers.items()) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < k.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (!same) continue;
    if (v.is_string()) return v.get<std::string>();
    if (v.is_array() && !v.empty() && v[0].is_string()) return v[0].get<std::string>();
  }
  return "";
}

}  // namespace

std::optional<AzureRoute> AzureRouteOf(std::string_view path, std::string_view route_prefix) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  if (!route_prefix.empty()) {
    if (rest == route_prefix) return AzureRoute{"", true};
    if (rest.size() > route_prefix.size() && rest.substr(0, route_prefix.size()) == route_prefix &&
        rest[route_prefix.size()] == '/') {
      std::string_view route = rest.substr(route_prefix.size() + 1);
      return AzureRoute{std::string(route.substr(0, route.find('/'))), true};
    }
  }
  if (rest.find('/') != std::string_view::npos) return std::nullopt;
  return AzureRoute{std::string(rest), false};
}

Result<AzureInvocation> ParseAzureInvocation(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return InvalidArgument("custom handler: the body is not a JSON object {{\"Data\": ..., \"Metadata\": ...}}");
  }
  auto data = j.find("Data");
  if (data == j.end() || !data->is_object() || data->empty()) {
    return InvalidArgument("custom handler: the invocation has no \"Data\" object with an input binding");
  }
  // The handler takes one input: the HTTP request if there is one, else the first binding.
  const nlohmann::json* input = nullptr;
  for (const auto& [name, v] : data->items()) {
    if (IsHttpRequestValue(v)) {
      input = &v;
      break;
    }
  }
  AzureInvocation out;
  if (input != nullptr) {
    out.http_trigger = true;
    auto b = input->find("Body");
    if (b == input->end() || b->is_null()) {
      out.payload = "";
    } else if (b->is_string()) {
      std::string ct = HeaderOf(input->value("Headers", nlohmann::json::object()), "Content-Type");
      bool base64 = ct.starts_with("application/octet-stream") || ct.starts_with("multipart/");
      if (base64) {
        auto decoded = Base64Decode(b->get<std::string>());
        if (!decoded.ok()) return InvalidArgument("custom handler: Data Body: {}", decoded.status().message());
        out.payload = std::move(decoded).value();
      } else {
        out.payload = b->get<std::string>();
      }
    } else {
      out.payload = b->dump();
    }
    return out;
  }
  const nlohmann::json& first = data->begin().value();
  out.payload = first.is_string() ? first.get<std::string>() : first.dump();
  return out;
}

HttpResponse AzureInvocationAnswer(const AzureInvocation& invocation, const HttpResponse& http,
                                   const std::string& log_line) {
  nlohmann::json logs = nlohmann::json::array();
  if (!log_line.empty()) logs.push_back(log_line);
  if (invocation.http_trigger) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [k, v] : http.headers.items) headers[k] = v;
    const std::string code = std::to_string(http.status);
    nlohmann::json res = {{"statusCode", code}, {"status", code}, {"body", http.body}, {"headers", headers}};
    nlohmann::json answer = {{"Outputs", {{"res", res}}}, {"Logs", logs}, {"ReturnValue", res}};
    return HttpResponse::Json(200, answer.dump(-1, ' ', false, kReplaceInvalidUtf8));
  }
  const bool failed = http.status >= 300 || !http.headers.Get("X-Amz-Function-Error").empty();
  if (failed) {
    // The host only reads Outputs from a 2xx; a 500 fails the invocation (queue retries, poison).
    HttpResponse r = HttpResponse::Json(500, http.body);
    r.headers.Set("X-Amz-Function-Error", std::string(http.headers.Get("X-Amz-Function-Error")));
    return r;
  }
  nlohmann::json answer = {{"Outputs", nlohmann::json::object()}, {"Logs", logs}, {"ReturnValue", http.body}};
  return HttpResponse::Json(200, answer.dump(-1, ' ', false, kReplaceInvalidUtf8));
}

}  // namespace sl::runtime

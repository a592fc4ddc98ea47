#include "serve/load/lean_http_client.h"

#include <iterator>

#include <fmt/format.h>

namespace sl::serve::load {
namespace {

HttpConnection::Options ConnectionOptions(std::string_view base, int64_t timeout_ms) {
  HttpConnection::Options o;
  o.name = "load client";
  SplitHostPort(base, &o.host, &o.port);
  o.timeout_ms = timeout_ms;
  return o;
}

}  // namespace

LeanHttpClient::LeanHttpClient(std::string_view base, int64_t timeout_ms, std::string keep_header)
    : LeanHttpClient(base, timeout_ms,
                     keep_header.empty() ? std::vector<std::string>{}
                                         : std::vector<std::string>{std::move(keep_header)}) {}

LeanHttpClient::LeanHttpClient(std::string_view base, int64_t timeout_ms, std::vector<std::string> keep_headers)
    : keep_headers_(std::move(keep_headers)), connection_(ConnectionOptions(base, timeout_ms)) {}

Result<LeanResponse> LeanHttpClient::Post(std::string_view path, std::string_view body,
                                          const std::vector<std::pair<std::string, std::string>>& headers) {
  const auto& o = connection_.options();
  head_.clear();
  fmt::format_to(std::back_inserter(head_), "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\n"
                 "Connection: keep-alive\r\n", path, o.host, o.port, body.size());
  for (const auto& [name, value] : headers) fmt::format_to(std::back_inserter(head_), "{}: {}\r\n", name, value);
  head_ += "\r\n";
  SL_RETURN_IF_ERROR(connection_.RoundTrip(head_, body, &response_, /*keep_body=*/false));
  LeanResponse r;
  r.status = response_.status;
  r.kept.reserve(keep_headers_.size());
  for (const std::string& name : keep_headers_) r.kept.emplace_back(response_.Header(name));
  if (!r.kept.empty()) r.kept_header = r.kept.front();
  return r;
}

}  // namespace sl::serve::load

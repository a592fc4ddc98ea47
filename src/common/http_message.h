// HTTP message types shared by HttpServer (common/http_server.h) and HttpClient
// (common/http_client.h). Plain values without Boost or curl types.
// Thread safety: plain values; copy or move freely, no internal synchronisation.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sl {

struct HttpHeaders {
  std::vector<std::pair<std::string, std::string>> items;
  // Case-insensitive lookup; empty string_view when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  void Set(std::string name, std::string value);  // replaces any existing value
};

struct HttpRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // path + "?" + query, as received
  std::string path;     // percent-decoded path, without the query
  std::string query;    // raw query string, without '?'
  HttpHeaders headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:54321"
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  static HttpResponse Text(int status, std::string body);         // text/plain; charset=utf-8
  static HttpResponse Json(int status, std::string json_body);    // application/json
};

// Percent-decodes a URL path ("%3A" → ":"); '+' stays '+'. Malformed escapes are kept verbatim.
std::string PercentDecode(std::string_view s);

// The value of `key` in a raw query string ("a=1&b=x%20y"), percent-decoded ('+' → ' ');
// empty when absent.
std::string QueryParam(std::string_view query, std::string_view key);

}  // namespace sl

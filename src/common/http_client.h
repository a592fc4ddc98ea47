// HttpClient: a small synchronous HTTP/1.1 client (libcurl underneath; this header does not
// include curl) for the function runtime inside workers, tools and tests.
//
//   HttpClient client;                                   // one per thread
//   SL_ASSIGN_OR_RETURN(HttpResponse r, client.Post("http://127.0.0.1:9000/x", body));
//   if (r.status != 200) ...                             // any HTTP status is a response
//
// Connections are kept alive and reused for later requests to the same host:port.
// Failure contract: a Status only when no HTTP response arrived; its message names the method
// and URL and curl's reason. Codes: UNAVAILABLE (refused, reset, DNS: retryable),
// DEADLINE_EXCEEDED (connect or total timeout), INVALID_ARGUMENT (malformed URL), INTERNAL.
// HTTP error statuses (4xx/5xx) are returned as responses, not errors.
// Thread safety: an HttpClient is used by one thread at a time; create one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/http_message.h"
#include "common/status.h"

namespace sl {

class HttpClient {
 public:
  struct Options {
    int64_t connect_timeout_ms = 5000;
    int64_t timeout_ms = 30000;  // whole exchange; 0: no limit (long polls)
  };

  HttpClient();
  explicit HttpClient(Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request. `timeout_ms` overrides Options::timeout_ms for this call (0: no limit).
  // Response headers keep their received spelling; later duplicates are kept in order.
  Result<HttpResponse> Send(std::string_view method, const std::string& url,
                            std::string_view body = {}, const HttpHeaders& headers = {},
                            std::optional<int64_t> timeout_ms = std::nullopt);

  Result<HttpResponse> Get(const std::string& url, const HttpHeaders& headers = {}) {
    return Send("GET", url, {}, headers);
  }
  Result<HttpResponse> Post(const std::string& url, std::string_view body,
                            const HttpHeaders& headers = {}) {
    return Send("POST", url, body, headers);
  }

 private:
  Options options_;
  void* curl_;  // CURL*, owned
};

}  // namespace sl

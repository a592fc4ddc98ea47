// A minimal HTTP client on libcurl for the S3 backend: one request per call on a pooled easy
// handle (keep-alive connections are reused), request bodies from memory or from a file range
// (streamed, never loaded whole), response bodies to memory or to a sink callback (streamed).
//
// Every attempt is counted in ProcessTransferCounts (transfer_counts.h).
// Transport failures (refused, reset, timed out, truncated) are UNAVAILABLE so the caller's
// retry loop handles them; HTTP error statuses are returned as replies, not errors, because
// only the caller can name what they mean.
// Thread safety: HttpClient is safe to share; each Perform uses its own pooled handle.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sl::store {

struct HttpReply {
  long status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;                            // when no sink took it (always for non-2xx)
  std::string Header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpCall {
  std::string method;                 // GET, PUT, POST, HEAD, DELETE
  std::string url;
  std::vector<std::string> headers;   // "Name: value"
  // Request body: either `body`, or `body_fd` bytes [body_offset, body_offset + body_length).
  std::string_view body;
  int body_fd = -1;
  uint64_t body_offset = 0;
  uint64_t body_length = 0;
  // Called with each chunk of a 2xx response body (the reply's headers are complete by then).
  // A non-OK status aborts the transfer and is returned by Perform.
  std::function<Status(const HttpReply& reply, std::string_view chunk)> sink;
  // A listing: counted as a list request (transfer_counts.h), whatever its method.
  bool is_list = false;
};

class HttpClient {
 public:
  HttpClient(double connect_timeout_seconds, double low_speed_timeout_seconds);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `what` prefixes transport errors ("s3://bkt/key").
  Result<HttpReply> Perform(const HttpCall& call, std::string_view what);

 private:
  void* Acquire();
  void Release(void* handle);

  double connect_timeout_;
  double low_speed_timeout_;
  std::mutex mu_;
  std::vector<void*> idle_;  // GUARDED_BY(mu_): CURL* handles with warm connections
};

}  // namespace sl::store

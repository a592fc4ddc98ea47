// LeanHttpClient: the load generator's HTTP/1.1 client — POSTs on one keep-alive connection
// (common/http_connection.h: one sendmsg per request, the response read into a reused buffer), the
// response body discarded and only the status and the headers named in the constructor kept.
//
// Why not common/http_client.h (libcurl): the load generator shares this machine's 2 cores with
// the server it measures, so whatever it spends per request is taken from the server (see
// common/http_connection.h and docs/benchmarks.md, "Serving: local tier vs Flask").
// Failure contract: as HttpConnection's, messages starting "load client HOST:PORT".
// Thread safety: one thread at a time per client; create one per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http_connection.h"
#include "common/status.h"

namespace sl::serve::load {

struct LeanResponse {
  int status = 0;
  std::string kept_header;  // the value of the (first) header named in the constructor ("" if absent)
  std::vector<std::string> kept;  // every named header's value, in the constructor's order
};

class LeanHttpClient {
 public:
  // `base`: "http://host:port" (no path); `keep_header`: a response header to return (any case).
  LeanHttpClient(std::string_view base, int64_t timeout_ms, std::string keep_header);
  // The same, keeping several headers (LeanResponse::kept).
  LeanHttpClient(std::string_view base, int64_t timeout_ms, std::vector<std::string> keep_headers);
  LeanHttpClient(const LeanHttpClient&) = delete;
  LeanHttpClient& operator=(const LeanHttpClient&) = delete;

  // POST `body` to `path` with the given extra headers (name, value); Host, Content-Length and
  // Connection: keep-alive are added.
  Result<LeanResponse> Post(std::string_view path, std::string_view body,
                            const std::vector<std::pair<std::string, std::string>>& headers);

 private:
  std::vector<std::string> keep_headers_;
  HttpConnection connection_;
  HttpConnection::Response response_;  // reused: its strings keep their capacity
  std::string head_;                   // request head, rebuilt per request in the same storage
};

}  // namespace sl::serve::load

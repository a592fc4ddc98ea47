// HttpClient: the one libcurl HTTP/1.1 client (this header does not include curl) of every layer:
// the remote function hosts, the object-store backends (s3://, gs://, az://), the container
// tier's replicas, the load generator's control calls, tools and tests.
//
//   HttpClient client;                                   // shareable between threads
//   SL_ASSIGN_OR_RETURN(HttpResponse r, client.Post("http://127.0.0.1:9000/x", body));
//   if (r.status != 200) ...                             // any HTTP status is a response
//
// Two ways to call it. Send() (and Get/Post) for a request and response in memory. Perform() for
// streaming: the request body from memory or from a byte range of a file (read with pread, never
// loaded whole, rewound when libcurl resends), the 2xx response body to a sink callback chunk by
// chunk (non-2xx bodies are always kept, since only the caller can read what they mean), and a
// low-speed limit instead of a total deadline for transfers of any size.
// Connections are kept alive: each call borrows a pooled easy handle with its warm connections.
// Options::on_attempt sees every attempt's method and body bytes (the store counts them to price
// transfer between clouds: store/transfer_counts.h).
// Failure contract: a Status only when no complete HTTP response arrived; its message names
// `what` (Perform) or the method and URL, and curl's reason. Codes: UNAVAILABLE (refused, reset,
// DNS, truncated: retryable), DEADLINE_EXCEEDED (connect timeout, total timeout or the low-speed
// limit), INVALID_ARGUMENT (malformed URL), a sink's own Status, an errno Status when the body
// file could not be read, INTERNAL otherwise. HTTP error statuses are returned as responses.
// Thread safety: safe to share; concurrent calls use their own handles.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_message.h"
#include "common/status.h"

namespace sl {

// A response as Perform() returns it: header names lowercased (later duplicates replace earlier
// ones); `body` holds what no sink took (always for non-2xx).
struct HttpReply {
  long status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  std::string Header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpCall {
  std::string method;                 // GET, PUT, POST, HEAD, DELETE, ...
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
  // The caller's own mark, passed to Options::on_attempt (the store marks listings).
  bool is_list = false;
  // 0: the client's Options::timeout_ms.
  int64_t timeout_ms = 0;
};

class HttpClient {
 public:
  struct Options {
    int64_t connect_timeout_ms = 5000;
    int64_t timeout_ms = 30000;  // whole exchange; 0: no limit (long polls, large transfers)
    // Fails a transfer that moves less than 1 byte/s for this long; 0: no such limit.
    double low_speed_timeout_s = 0;
    // Called after every attempt, failed ones included, from the calling thread.
    std::function<void(const HttpCall& call, int64_t bytes_sent, int64_t bytes_received)> on_attempt;

    // The defaults with these two timeouts (milliseconds).
    static Options Timeouts(int64_t connect_ms, int64_t total_ms) {
      Options o;
      o.connect_timeout_ms = connect_ms;
      o.timeout_ms = total_ms;
      return o;
    }
  };

  HttpClient();
  explicit HttpClient(Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Streaming call (see above). `what` prefixes transport errors (e.g. "s3://bkt/key"); empty:
  // the method and URL.
  Result<HttpReply> Perform(const HttpCall& call, std::string_view what = {});

  // One request in memory. `timeout_ms` overrides Options::timeout_ms for this call (0: no
  // limit). Response headers keep their received spelling; later duplicates are kept in order.
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
  struct Exchange;
  Result<HttpReply> Run(const HttpCall& call, std::string_view what, std::optional<int64_t> timeout_ms,
                        bool keep_default_content_type, HttpHeaders* raw_headers);
  void* Acquire();
  void Release(void* handle);

  Options options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // GUARDED_BY(mu_): CURL* handles with warm connections
};

}  // namespace sl

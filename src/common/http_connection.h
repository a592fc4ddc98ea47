// HttpConnection: one keep-alive HTTP/1.1 connection on a blocking socket, with the one response
// parser of the project's lean clients: the load generator (serve/load/lean_http_client.h) and
// the Lambda Runtime API client inside every function instance (runtime/runtime_api_client.h).
//
// Why not common/http_client.h (libcurl): both sit on paths where per-request client work is
// measured. The load generator shares the machine's cores with the server it measures (with
// libcurl it took 11 % of both cores in a 32-image run; this design let the same server answer
// 22-34 % more requests: docs/benchmarks.md, "Serving: local tier vs Flask"), and the runtime
// client runs on the warm path of every invocation in every forked instance. Here a request is
// one sendmsg of head and body, and a response as few reads as it needs into a reused buffer.
//
//   HttpConnection c({"runtime API", "127.0.0.1", "9001"});
//   HttpConnection::Response r;                       // reuse it: its strings keep their capacity
//   SL_RETURN_IF_ERROR(c.RoundTrip("GET /x HTTP/1.1\r\nHost: ...\r\n\r\n", {}, &r));
//   r.status; r.Header("content-type"); r.body;
//
// Responses: Content-Length, chunked (sizes checked: 1-15 hex digits, each chunk followed by
// CRLF; extensions ignored; no trailer fields), or, without either, delimited by the server closing (HTTP/1.0, Connection: close). A
// connection the server closed is reopened for the next request. A request whose REUSED
// connection turns out closed before any response byte arrived (the server dropped an idle
// keep-alive connection) is sent once more on a new one: the server never saw it, so this is
// safe for any method.
// Failure contract: a Status only when no complete response arrived, its message starting with
// "<name> <host>:<port>": UNAVAILABLE (resolve, connect refused, reset, closed mid-response),
// DEADLINE_EXCEEDED (timeout_ms passed on one send or receive), INTERNAL (malformed response:
// its status line, head size or framing, named). HTTP error statuses are responses.
// Thread safety: one thread at a time per connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sl {

class HttpConnection {
 public:
  struct Options {
    std::string name;  // prefixes errors: "load client", "runtime API"
    std::string host;  // a name or an IPv4/IPv6 address
    std::string port;
    int64_t timeout_ms = 0;  // per send/receive call, and connect; 0: none (long polls)
  };
  struct Response {
    int status = 0;
    std::string head;  // the header lines after the status line, as received
    std::string body;  // empty when RoundTrip was told to discard it
    // The value of a header (case-insensitive name; the first one), "" when absent.
    std::string_view Header(std::string_view name) const;
  };

  explicit HttpConnection(Options options);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `head` (a complete request head, ending in an empty line) and `body` in one sendmsg,
  // then reads one response into `*out` (its body only when keep_body).
  Status RoundTrip(std::string_view head, std::string_view body, Response* out, bool keep_body = true);

  const Options& options() const { return options_; }
  void Close();

 private:
  Status Connect();
  Status SendAll(std::string_view head, std::string_view body);
  // Reads one response; `*nothing` is set when the connection closed before its first byte.
  Status Receive(Response* out, bool keep_body, bool* nothing);
  Status Fill();  // appends what the socket has to buf_; UNAVAILABLE at end of stream
  Status Errno(std::string_view step) const;

  Options options_;
  int fd_ = -1;
  bool eof_ = false;
  std::string buf_;  // received, not yet consumed
};

// "http://host:port" (or "host:port", "[::1]:port"; no path) split into host and port ("80"
// when absent).
void SplitHostPort(std::string_view base, std::string* host, std::string* port);

}  // namespace sl

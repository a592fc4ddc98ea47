// LeanHttpClient: the load generator's HTTP/1.1 client — one keep-alive connection on a blocking
// socket, the request head and body sent with one sendmsg, the response read into a reused
// buffer and its body discarded (only the status and one header are kept).
//
// Why not common/http_client.h (libcurl): the load generator shares this machine's 2 cores with
// the server it measures, so whatever it spends per request is taken from the server. With
// libcurl the load generator had 11 % of both cores in a 32-image run, poll and socket calls a
// third of that; this client makes one sendmsg and as few recv calls as the response needs, and
// the same server answered 22–34 % more single-image requests (docs/benchmarks.md, "Serving:
// local tier vs Flask").
//
// Responses: Content-Length, chunked, or (HTTP/1.0 / Connection: close) delimited by the server
// closing. A connection the server closed is reopened for the next request; a request whose
// reused connection turns out closed before any response byte is sent once more on a new one.
// Failure contract: a Status only when no complete response arrived — UNAVAILABLE (connect
// refused, reset, closed mid-response), DEADLINE_EXCEEDED (timeout), INTERNAL (malformed
// response: its status line or framing, named). HTTP error statuses are responses.
// Thread safety: one thread at a time per client; create one per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sl::serve::load {

struct LeanResponse {
  int status = 0;
  std::string kept_header;  // the value of the header named in the constructor ("" if absent)
};

class LeanHttpClient {
 public:
  // `base`: "http://host:port" (no path); `keep_header`: a response header to return (any case).
  LeanHttpClient(std::string_view base, int64_t timeout_ms, std::string keep_header);
  ~LeanHttpClient();
  LeanHttpClient(const LeanHttpClient&) = delete;
  LeanHttpClient& operator=(const LeanHttpClient&) = delete;

  // POST `body` to `path` with the given extra headers (name, value); Host, Content-Length and
  // Connection: keep-alive are added.
  Result<LeanResponse> Post(std::string_view path, std::string_view body,
                            const std::vector<std::pair<std::string, std::string>>& headers);

 private:
  Status Connect();
  void Close();
  Status SendAll(const std::string& head, std::string_view body);
  // Reads one response; `*nothing` is set when the connection closed before its first byte.
  Result<LeanResponse> Receive(bool* nothing);
  Status Fill();  // appends what the socket has to buf_; UNAVAILABLE at end of stream

  std::string host_, port_;
  int64_t timeout_ms_;
  std::string keep_header_;
  int fd_ = -1;
  bool eof_ = false;
  std::string buf_;  // received, not yet consumed
  std::string head_;  // request head, rebuilt per request in the same storage
};

}  // namespace sl::serve::load

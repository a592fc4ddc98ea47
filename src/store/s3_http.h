// The remote backends' (s3://, gs://, az://) HTTP client: the shared libcurl client
// (common/http_client.h) with the store's options (store_http.h: no total deadline, a low-speed
// limit, every attempt counted for transfer pricing) and its transport failures as the retry
// loop must see them (a timeout is retryable). HttpCall and HttpReply are common's.
// Thread safety: as sl::HttpClient: safe to share.
#pragma once

#include <string_view>

#include "common/http_client.h"
#include "store/store_http.h"

namespace sl::store {

using sl::HttpCall;
using sl::HttpReply;

class HttpClient {
 public:
  HttpClient(double connect_timeout_seconds, double low_speed_timeout_seconds)
      : client_(StoreHttpOptions(connect_timeout_seconds, low_speed_timeout_seconds)) {}

  // `what` prefixes transport errors ("s3://bkt/key"); those are UNAVAILABLE or the caller's
  // sink/file errors; HTTP error statuses are replies.
  Result<HttpReply> Perform(const HttpCall& call, std::string_view what) {
    Result<HttpReply> r = client_.Perform(call, what);
    if (!r.ok()) return RetryableTransport(r.status());
    return r;
  }

 private:
  sl::HttpClient client_;
};

}  // namespace sl::store

#include "store/store_http.h"

#include "store/transfer_counts.h"

namespace sl::store {

HttpClient::Options StoreHttpOptions(double connect_timeout_seconds, double low_speed_timeout_seconds) {
  HttpClient::Options o;
  o.connect_timeout_ms = static_cast<int64_t>(connect_timeout_seconds * 1000);
  o.timeout_ms = 0;
  o.low_speed_timeout_s = low_speed_timeout_seconds;
  o.on_attempt = [](const HttpCall& call, int64_t sent, int64_t received) {
    CountTransfer(call.method, call.is_list, sent, received);
  };
  return o;
}

Status RetryableTransport(const Status& s) {
  if (s.code() == Code::kDeadlineExceeded) return Status(Code::kUnavailable, std::string(s.message()));
  return s;
}

}  // namespace sl::store

// How the remote backends (s3://, gs://, az://) use the shared HTTP client (common/http_client.h):
// the same options for all three, and their transport failures fed to the retry loop (retry.h).
// Thread safety: plain functions.
#pragma once

#include "common/http_client.h"
#include "common/status.h"

namespace sl::store {

// No total deadline (objects of any size stream through), a connect timeout and a low-speed
// limit instead, and every attempt counted in ProcessTransferCounts (transfer_counts.h).
HttpClient::Options StoreHttpOptions(double connect_timeout_seconds, double low_speed_timeout_seconds);

// A transport failure as the retry loop must see it: a connect timeout or the low-speed limit
// (DEADLINE_EXCEEDED from the client) is as retryable as a reset (UNAVAILABLE); other codes
// are returned unchanged.
Status RetryableTransport(const Status& s);

}  // namespace sl::store

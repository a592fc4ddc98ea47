// Process-wide counts of what the remote object stores (s3://, gs://, az://) moved over the
// network and how many requests they made, for pricing cross-cloud transfer
// (faas/economics/transfer_pricing.h): a function reads the counts before and after its work and
// reports the difference, as it does with ProcessRetryCounts (retry.h).
//
// Counted in the HTTP client every remote backend shares (s3_http.h), per attempt — a retried
// request is billed again by every provider, and the bytes of a failed attempt did cross the
// network. Bytes are request and response bodies as libcurl sent and received them (headers are
// not counted: a few hundred bytes per request, against payloads of KiB to MiB). file:// stores
// move nothing over the network and count nothing.
// Request classes follow how the providers bill (docs/providers.md, "Object storage and
// transfer"): writes are PUT and POST (S3 PUT/POST, GCS Class A, Azure write operations), lists
// are listings (S3 LIST and GCS Class A are priced as writes, Azure's list operations likewise),
// reads are GET and HEAD (S3 GET, GCS Class B, Azure read operations), and DELETE is free on all
// three (counted as "other").
// Thread safety: atomics; any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace sl::store {

struct TransferCounts {
  int64_t bytes_sent = 0;       // request bodies (uploads)
  int64_t bytes_received = 0;   // response bodies (downloads, listings, error bodies)
  int64_t write_requests = 0;   // PUT, POST (not listings)
  int64_t read_requests = 0;    // GET, HEAD (not listings)
  int64_t list_requests = 0;
  int64_t other_requests = 0;   // DELETE and anything else

  TransferCounts operator-(const TransferCounts& o) const {
    return {bytes_sent - o.bytes_sent,         bytes_received - o.bytes_received,
            write_requests - o.write_requests, read_requests - o.read_requests,
            list_requests - o.list_requests,   other_requests - o.other_requests};
  }
};

TransferCounts ProcessTransferCounts();

// Adds one request attempt (called by the shared HTTP client).
void CountTransfer(std::string_view method, bool is_list, int64_t bytes_sent, int64_t bytes_received);

}  // namespace sl::store

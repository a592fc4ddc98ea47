// The store-I/O report: how a function tells the platform what its object-store client moved
// during one invocation, so the invocation ledger can count the bytes and requests and price the
// transfer (issue 20). A function whose JSON response is an object may carry, at its top level,
//
//   "store_io": {"store": "gs://bucket/prefix", "bytes_read": 1048576, "bytes_written": 4096,
//                "read_requests": 2, "write_requests": 1, "list_requests": 0}
//
// (the train handlers do, from store/transfer_counts.h). Every host copies it into the ledger
// record — the embedded platform and the remote ones alike, as REPORT lines carry durations —
// and prices it under the function's profile and the store cloud's (transfer_pricing.h).
// A report on a store in no cloud (file://, which moves nothing over the network) is ignored.
// A response without one, not JSON, or with a malformed one leaves the record as it was: the
// response is the handler's, and a bad report never fails or changes the invocation.
// Thread safety: safe from any thread (the store clouds' profiles are loaded once, under a lock).
#pragma once

#include <string_view>

#include "faas/economics/invocation_record.h"
#include "faas/economics/provider_profile.h"

namespace sl::faas {

// Fills record->store* and transfer_usd / store_request_usd from `response_payload`.
void RecordStoreIo(const ProviderProfile& function_profile, std::string_view response_payload,
                   InvocationRecord* record);

}  // namespace sl::faas

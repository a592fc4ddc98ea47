// Transfer pricing: what moving a job's state between its functions and its object store costs
// when the two are in different clouds, and what the store's requests cost (issue 20).
//
// The cloud of a store is its URI scheme (s3 = aws, gs = gcp, az = azure; file:// and anything
// else = none, no network); the cloud of the functions is their profile's `network.cloud`.
// Rules (prices from the profiles' `network:` sections, sourced in docs/providers.md):
//   * same cloud, or a store in no cloud: no egress (the store and the functions are taken to be
//     in one region, where AWS, GCP and Azure do not charge transfer between their own services);
//   * different clouds: bytes the functions READ leave the store's cloud — priced at the store
//     cloud's egress_per_gb; bytes they WRITE leave the functions' cloud — priced at the
//     functions' egress_per_gb. Inbound transfer is free on all three. GiB = 2^30 bytes.
//     Volume tiers and monthly free allowances (AWS 100 GB, Azure 100 GB) are not modelled.
//   * request fees of a cloud store, whoever calls it: writes and listings at
//     store_write_per_1k, reads at store_read_per_1k (deletes are free everywhere).
// A price a profile does not state leaves that part unpriced and says so in `unpriced` —
// never silently zero.
// Thread safety: pure functions, except LoadStoreCloudProfile (reads profiles/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "faas/economics/provider_profile.h"

namespace sl::faas {

// "aws" for s3://, "gcp" for gs://, "azure" for az://, "" for file:// or anything else.
std::string CloudOfStoreUri(std::string_view store_uri);

// What functions moved to and from a store (counted by store/transfer_counts.h in the functions).
struct StoreTransfer {
  int64_t bytes_read = 0;      // store → functions
  int64_t bytes_written = 0;   // functions → store
  int64_t read_requests = 0;   // GET, HEAD
  int64_t write_requests = 0;  // PUT, POST
  int64_t list_requests = 0;
  StoreTransfer& operator+=(const StoreTransfer& o);
};

struct TransferPrice {
  std::string function_cloud;  // "" when the profile states none
  std::string store_cloud;     // "" for a store in no cloud
  bool cross_cloud = false;
  double egress_gib = 0;       // GiB that crossed between the clouds (both directions)
  double transfer_usd = 0;     // the egress they cost (0 within one cloud)
  double request_usd = 0;      // the store's request fees
  std::vector<std::string> unpriced;  // what could not be priced, and why
};

// `store_cloud_profile`: a profile of the store's cloud (LoadStoreCloudProfile), for its egress
// and request prices; may be null when the store is in the functions' cloud or in none.
TransferPrice PriceTransfer(const ProviderProfile& functions, const ProviderProfile* store_cloud_profile,
                            std::string_view store_uri, const StoreTransfer& transfer);

// The first profile (by name) whose network.cloud is `cloud` and which states store prices;
// nullopt when `cloud` is empty. NOT_FOUND naming the cloud when no profile has one.
Result<std::optional<ProviderProfile>> LoadStoreCloudProfile(std::string_view cloud);

}  // namespace sl::faas

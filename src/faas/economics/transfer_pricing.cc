#include "faas/economics/transfer_pricing.h"

#include <fmt/format.h>

namespace sl::faas {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

}  // namespace

std::string CloudOfStoreUri(std::string_view uri) {
  if (uri.starts_with("s3://")) return "aws";
  if (uri.starts_with("gs://")) return "gcp";
  if (uri.starts_with("az://")) return "azure";
  return "";
}

StoreTransfer& StoreTransfer::operator+=(const StoreTransfer& o) {
  bytes_read += o.bytes_read;
  bytes_written += o.bytes_written;
  read_requests += o.read_requests;
  write_requests += o.write_requests;
  list_requests += o.list_requests;
  return *this;
}

TransferPrice PriceTransfer(const ProviderProfile& functions, const ProviderProfile* store_profile,
                            std::string_view store_uri, const StoreTransfer& t) {
  TransferPrice out;
  out.function_cloud = functions.network.cloud;
  out.store_cloud = CloudOfStoreUri(store_uri);
  if (out.store_cloud.empty()) return out;  // a local store: no network, no fees
  // The store's prices: its cloud's profile, or the functions' own when they share the cloud.
  const ProviderProfile* store_prices = store_profile;
  if (store_prices == nullptr && out.function_cloud == out.store_cloud) store_prices = &functions;
  if (store_prices != nullptr && store_prices->network.cloud != out.store_cloud) store_prices = nullptr;

  const int64_t writes = t.write_requests + t.list_requests;
  if (writes + t.read_requests > 0) {
    if (store_prices == nullptr || !store_prices->network.store_write_per_1k || !store_prices->network.store_read_per_1k) {
      out.unpriced.push_back(fmt::format("{} store requests ({} reads, {} writes and listings): no {} store "
                                         "request prices in the profiles",
                                         out.store_cloud, t.read_requests, writes, out.store_cloud));
    } else {
      out.request_usd = static_cast<double>(writes) / 1000 * *store_prices->network.store_write_per_1k +
                        static_cast<double>(t.read_requests) / 1000 * *store_prices->network.store_read_per_1k;
    }
  }

  out.cross_cloud = out.function_cloud != out.store_cloud;
  if (!out.cross_cloud) return out;
  if (out.function_cloud.empty()) {
    out.unpriced.push_back(fmt::format("transfer to and from the {} store: profile {} states no cloud (network.cloud)",
                                       out.store_cloud, functions.name));
    return out;
  }
  out.egress_gib = static_cast<double>(t.bytes_read + t.bytes_written) / kGiB;
  if (t.bytes_read > 0) {
    if (store_prices == nullptr || !store_prices->network.egress_per_gb) {
      out.unpriced.push_back(fmt::format("{} bytes read out of {}: no {} egress price in the profiles", t.bytes_read,
                                         out.store_cloud, out.store_cloud));
    } else {
      out.transfer_usd += static_cast<double>(t.bytes_read) / kGiB * *store_prices->network.egress_per_gb;
    }
  }
  if (t.bytes_written > 0) {
    if (!functions.network.egress_per_gb) {
      out.unpriced.push_back(fmt::format("{} bytes written out of {}: profile {} states no egress price",
                                         t.bytes_written, out.function_cloud, functions.name));
    } else {
      out.transfer_usd += static_cast<double>(t.bytes_written) / kGiB * *functions.network.egress_per_gb;
    }
  }
  return out;
}

Result<std::optional<ProviderProfile>> LoadStoreCloudProfile(std::string_view cloud) {
  if (cloud.empty()) return std::optional<ProviderProfile>();
  SL_ASSIGN_OR_RETURN(std::vector<std::string> names, ListProviderProfiles());
  for (const auto& name : names) {
    auto p = LoadProviderProfile(name);
    if (!p.ok()) continue;  // a broken profile is reported where it is used, not here
    if (p->network.cloud == cloud && p->network.store_write_per_1k && p->network.store_read_per_1k) {
      return std::optional<ProviderProfile>(std::move(*p));
    }
  }
  return NotFound("no provider profile in {} states the {} object store's prices (network.cloud: {})",
                  ProviderProfilesDir(), cloud, cloud);
}

}  // namespace sl::faas

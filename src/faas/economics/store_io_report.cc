#include "faas/economics/store_io_report.h"

#include <map>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "faas/economics/transfer_pricing.h"

namespace sl::faas {
namespace {

// The store clouds' price profiles, loaded once per process (profiles do not change while a
// platform runs; a cloud without one stays nullopt and its transfer unpriced).
const ProviderProfile* StoreCloudProfile(const std::string& cloud) {
  static std::mutex mu;
  static auto* cache = new std::map<std::string, std::optional<ProviderProfile>>();  // GUARDED_BY(mu)
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(cloud);
  if (it == cache->end()) {
    auto p = LoadStoreCloudProfile(cloud);
    it = cache->emplace(cloud, p.ok() ? *p : std::nullopt).first;
  }
  return it->second ? &*it->second : nullptr;
}

int64_t Count(const nlohmann::json& io, const char* key) {
  auto it = io.find(key);
  if (it == io.end() || !it->is_number_integer()) return 0;
  int64_t v = it->get<int64_t>();
  return v > 0 ? v : 0;
}

}  // namespace

void RecordStoreIo(const ProviderProfile& profile, std::string_view payload, InvocationRecord* record) {
  if (payload.find("\"store_io\"") == std::string_view::npos) return;  // most responses: no parse
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object()) return;
  auto io = j.find("store_io");
  if (io == j.end() || !io->is_object()) return;
  auto store = io->find("store");
  if (store == io->end() || !store->is_string()) return;
  // A store in no cloud (file://) moves nothing over the network: nothing to count or price.
  const std::string cloud = CloudOfStoreUri(store->get<std::string>());
  if (cloud.empty()) return;
  record->store = store->get<std::string>();
  StoreTransfer t{.bytes_read = Count(*io, "bytes_read"),
                  .bytes_written = Count(*io, "bytes_written"),
                  .read_requests = Count(*io, "read_requests"),
                  .write_requests = Count(*io, "write_requests"),
                  .list_requests = Count(*io, "list_requests")};
  record->store_bytes_read = t.bytes_read;
  record->store_bytes_written = t.bytes_written;
  record->store_read_requests = t.read_requests;
  record->store_write_requests = t.write_requests;
  record->store_list_requests = t.list_requests;
  TransferPrice price = PriceTransfer(profile, StoreCloudProfile(cloud), record->store, t);
  record->transfer_usd = price.transfer_usd;
  record->store_request_usd = price.request_usd;
}

}  // namespace sl::faas

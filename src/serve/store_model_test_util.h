// Test helpers (tests only) for models served from a store: publishing a model folder into a
// store the way a user does with `straightline store put` (weights first, then the manifest),
// and a store wrapper that counts the requests reaching the real store.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "ml/artifact.h"
#include "serve/store_model_source.h"
#include "store/object_store.h"

namespace sl::serve::testing {

// Uploads the artifact in `dir` into `store` under `prefix` ("" or "name/"): the weights object,
// then manifest.json, so the manifest never names weights that are not there yet.
inline Status PublishModel(const std::string& dir, store::ObjectStore& store, const std::string& prefix) {
  SL_ASSIGN_OR_RETURN(std::string manifest, ReadFileToString(dir + "/" + ml::kManifestFile));
  auto j = nlohmann::json::parse(manifest, nullptr, false);
  if (!j.is_object() || !j.contains("weights") || !j["weights"].contains("file")) {
    return InvalidArgument("{}: not a manifest", dir);
  }
  const std::string weights = j["weights"]["file"].get<std::string>();
  SL_RETURN_IF_ERROR(store.PutFile(prefix + weights, dir + "/" + weights));
  return store.Put(prefix + ml::kManifestFile, manifest);
}

// Requests by method and key, shared by every store a CountingOpener opened.
struct StoreCounts {
  std::mutex mu;
  std::map<std::string, int> by_call;  // "Get manifest.json", "GetToFile weights.pt", ...
  int Of(const std::string& call) {
    std::lock_guard<std::mutex> l(mu);
    auto it = by_call.find(call);
    return it == by_call.end() ? 0 : it->second;
  }
  void Add(std::string call) {
    std::lock_guard<std::mutex> l(mu);
    ++by_call[std::move(call)];
  }
};

class CountingStore final : public store::ObjectStore {
 public:
  CountingStore(std::unique_ptr<store::ObjectStore> inner, std::shared_ptr<StoreCounts> counts)
      : inner_(std::move(inner)), counts_(std::move(counts)) {}
  const std::string& uri() const override { return inner_->uri(); }
  store::Capabilities capabilities() const override { return inner_->capabilities(); }
  Status Put(std::string_view key, std::string_view data, const store::PutOptions& o = {}) override {
    counts_->Add("Put " + std::string(key));
    return inner_->Put(key, data, o);
  }
  Status PutFile(std::string_view key, const std::string& path, const store::PutOptions& o = {}) override {
    counts_->Add("PutFile " + std::string(key));
    return inner_->PutFile(key, path, o);
  }
  Result<std::string> Get(std::string_view key) override {
    counts_->Add("Get " + std::string(key));
    return inner_->Get(key);
  }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    counts_->Add("GetRange " + std::string(key));
    return inner_->GetRange(key, offset, length);
  }
  Status GetToFile(std::string_view key, const std::string& path) override {
    counts_->Add("GetToFile " + std::string(key));
    return inner_->GetToFile(key, path);
  }
  Result<store::ObjectInfo> Head(std::string_view key) override {
    counts_->Add("Head " + std::string(key));
    return inner_->Head(key);
  }
  Result<store::ListResult> ListPage(const store::ListOptions& o) override {
    counts_->Add("ListPage " + o.prefix);
    return inner_->ListPage(o);
  }
  Status Delete(std::string_view key) override {
    counts_->Add("Delete " + std::string(key));
    return inner_->Delete(key);
  }

 private:
  std::unique_ptr<store::ObjectStore> inner_;
  std::shared_ptr<StoreCounts> counts_;
};

// StoreModelOptions whose stores are opened with `store_options` and counted into `counts`.
inline StoreModelOptions CountingOptions(const std::string& cache_dir, store::StoreOptions store_options,
                                         std::shared_ptr<StoreCounts> counts) {
  StoreModelOptions o;
  o.cache_dir = cache_dir;
  o.store = store_options;
  o.open = [store_options, counts](std::string_view uri) -> Result<std::unique_ptr<store::ObjectStore>> {
    SL_ASSIGN_OR_RETURN(auto inner, store::OpenObjectStore(uri, store_options));
    return std::unique_ptr<store::ObjectStore>(std::make_unique<CountingStore>(std::move(inner), counts));
  };
  return o;
}

}  // namespace sl::serve::testing

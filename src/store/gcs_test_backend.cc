// The "gs" conformance backend: stores under fresh prefixes of one bucket on a shared
// GcsTestServer (the documented Cloud Storage XML API subset, in this process, on loopback).
#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

#include "store/gcs_test_server.h"
#include "store/store_test_util.h"

namespace sl::store::testing {

GcsTestServer* SharedGcsTestServer() {
  static GcsTestServer* server = [] {
    auto s = GcsTestServer::Start("sl-conformance");
    if (!s.ok()) {
      ADD_FAILURE() << "GcsTestServer: " << s.status().ToString();
      std::abort();
    }
    return s->release();  // lives until the test binary exits
  }();
  return server;
}

StoreOptions GcsTestStoreOptions(const StoreOptions& base) {
  StoreOptions o = base;
  o.gcs_endpoint = SharedGcsTestServer()->endpoint();
  o.gcs_access_key_id = GcsTestServer::kAccessId;
  o.gcs_secret = GcsTestServer::kSecret;
  return o;
}

namespace {

class GsBackend final : public TestBackend {
 public:
  std::string name() const override { return "gs"; }
  std::unique_ptr<ObjectStore> NewStore(const StoreOptions& base) override {
    static std::atomic<int> counter{0};
    std::string prefix = fmt::format("t{}-{}", ::getpid(), counter.fetch_add(1));
    auto store = OpenObjectStore(fmt::format("gs://{}/{}", SharedGcsTestServer()->bucket(), prefix),
                                 GcsTestStoreOptions(base));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }
  void Corrupt(ObjectStore& store, const std::string& key) override {
    std::string prefix = store.uri().substr(std::string("gs://").size() + SharedGcsTestServer()->bucket().size() + 1);
    ASSERT_TRUE(SharedGcsTestServer()->Corrupt(prefix + "/" + key)) << key;
  }
  ChecksumAlgorithm checksum_algorithm() const override { return ChecksumAlgorithm::kSha256; }
  bool server_publishes_atomically() const override { return true; }
};

}  // namespace

std::unique_ptr<TestBackend> MakeGsBackend() { return std::make_unique<GsBackend>(); }

}  // namespace sl::store::testing

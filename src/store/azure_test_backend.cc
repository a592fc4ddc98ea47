// The "az" conformance backend: stores under fresh prefixes of one container on a shared
// Azurite (blob service on 127.0.0.1 and a free port).
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include <gtest/gtest.h>

#include "store/azure_test_server.h"
#include "store/store_test_util.h"

namespace sl::store::testing {
namespace {

class AzBackend final : public TestBackend {
 public:
  std::string name() const override { return "az"; }
  std::string unavailable() const override {
    return SharedAzurite() == nullptr ? "azurite is not installed (.deps/node_modules/.bin/azurite-blob; "
                                        "scripts/install-deps.sh installs it)"
                                      : "";
  }
  std::unique_ptr<ObjectStore> NewStore(const StoreOptions& base) override {
    static std::atomic<int> counter{0};
    AzuriteProcess* server = SharedAzurite();
    if (server == nullptr) {
      ADD_FAILURE() << unavailable();
      return nullptr;
    }
    StoreOptions o = base;
    o.azure_connection_string = server->connection_string();
    std::string prefix = fmt::format("t{}-{}", ::getpid(), counter.fetch_add(1));
    auto store = OpenObjectStore(fmt::format("az://{}/{}/{}", kAzuriteAccount, server->container(), prefix), o);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }
  // Azurite keeps blob bytes in extent files under <location>/__blobstorage__: find the
  // object's bytes there and flip one, leaving its metadata (and recorded checksum) alone.
  void Corrupt(ObjectStore& store, const std::string& key) override {
    auto data = store.Get(key);
    ASSERT_TRUE(data.ok()) << data.status().ToString();
    ASSERT_GE(data->size(), 64u) << "too small to find in the extents";
    std::string needle = data->substr(0, 64);
    int flipped = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(SharedAzurite()->data_dir())) {
      if (!e.is_regular_file() || e.path().string().find("__blobstorage__") == std::string::npos) continue;
      auto text = ReadFileToString(e.path().string());
      ASSERT_TRUE(text.ok());
      for (size_t at = text->find(needle); at != std::string::npos; at = text->find(needle, at + 1)) {
        int fd = ::open(e.path().c_str(), O_RDWR);
        ASSERT_GE(fd, 0) << e.path();
        char c = static_cast<char>((*text)[at + 10] ^ 0x01);
        ASSERT_EQ(::pwrite(fd, &c, 1, static_cast<off_t>(at + 10)), 1);
        ::close(fd);
        ++flipped;
      }
    }
    ASSERT_GT(flipped, 0) << "the bytes of " << key << " were not found in Azurite's extents";
  }
  ChecksumAlgorithm checksum_algorithm() const override { return ChecksumAlgorithm::kSha256; }
  bool server_publishes_atomically() const override { return true; }
};

}  // namespace

std::unique_ptr<TestBackend> MakeAzBackend() { return std::make_unique<AzBackend>(); }

}  // namespace sl::store::testing

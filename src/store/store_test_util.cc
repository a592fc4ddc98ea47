#include "store/store_test_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace sl::store::testing {

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<char>(rng());
  return out;
}

namespace {

class FileBackend final : public TestBackend {
 public:
  std::string name() const override { return "file"; }
  std::unique_ptr<ObjectStore> NewStore(const StoreOptions& options) override {
    dirs_.push_back(std::make_unique<TempDir>("sl-store-test"));
    auto store = OpenObjectStore("file://" + dirs_.back()->path() + "/root", options);
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(store).value();
  }
  void Corrupt(ObjectStore& store, const std::string& key) override {
    std::string path = store.uri().substr(std::string("file://").size()) + "/" + key;
    int fd = ::open(path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0) << path;
    char c = 0;
    ASSERT_EQ(::pread(fd, &c, 1, 0), 1);
    c = static_cast<char>(c ^ 0x01);
    ASSERT_EQ(::pwrite(fd, &c, 1, 0), 1);
    ::close(fd);
  }
  ChecksumAlgorithm checksum_algorithm() const override { return ChecksumAlgorithm::kCrc32c; }
  bool server_publishes_atomically() const override { return true; }

 private:
  std::vector<std::unique_ptr<TempDir>> dirs_;
};

}  // namespace

std::unique_ptr<TestBackend> MakeFileBackend() { return std::make_unique<FileBackend>(); }

std::unique_ptr<TestBackend> MakeBackend(const std::string& name) {
  if (name == "file") return MakeFileBackend();
  if (name == "s3") return MakeS3Backend();
  if (name == "az") return MakeAzBackend();
  if (name == "gs") return MakeGsBackend();
  ADD_FAILURE() << "unknown test backend " << name;
  return nullptr;
}

}  // namespace sl::store::testing

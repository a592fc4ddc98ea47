// The "s3" conformance backend: stores under fresh prefixes of one bucket on a shared s3rver.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

#include "store/s3_test_server.h"
#include "store/store_test_util.h"

namespace sl::store::testing {
namespace {

class S3Backend final : public TestBackend {
 public:
  std::string name() const override { return "s3"; }
  std::unique_ptr<ObjectStore> NewStore(const StoreOptions& base) override {
    static std::atomic<int> counter{0};
    S3rverProcess* server = SharedS3rver();
    StoreOptions o = base;
    o.endpoint = server->endpoint();
    o.access_key_id = S3rverProcess::kAccessKey;
    o.secret_access_key = S3rverProcess::kSecretKey;
    o.region = "us-east-1";
    prefix_ = fmt::format("t{}-{}", ::getpid(), counter.fetch_add(1));
    auto store = OpenObjectStore(fmt::format("s3://{}/{}", server->bucket(), prefix_), o);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }
  void Corrupt(ObjectStore& store, const std::string& key) override {
    S3rverProcess* server = SharedS3rver();
    std::string prefix = store.uri().substr(std::string("s3://").size() + server->bucket().size() + 1);
    // s3rver keeps object bytes in <dir>/<bucket>/<key>._S3rver_object.
    std::string path = fmt::format("{}/{}/{}/{}._S3rver_object", server->data_dir(), server->bucket(), prefix, key);
    int fd = ::open(path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0) << path;
    char c = 0;
    ASSERT_EQ(::pread(fd, &c, 1, 0), 1);
    c = static_cast<char>(c ^ 0x01);
    ASSERT_EQ(::pwrite(fd, &c, 1, 0), 1);
    ::close(fd);
  }
  ChecksumAlgorithm checksum_algorithm() const override { return ChecksumAlgorithm::kSha256; }
  bool server_publishes_atomically() const override { return false; }

 private:
  std::string prefix_;
};

}  // namespace

std::unique_ptr<TestBackend> MakeS3Backend() { return std::make_unique<S3Backend>(); }

}  // namespace sl::store::testing

// Interoperability with the real AWS CLI (Debian awscli, /usr/bin/aws) on the same s3rver:
// objects written by straightline are read back by `aws s3 cp` byte for byte and vice versa,
// including multipart objects in both directions.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "common/sha256.h"
#include "store/object_store.h"
#include "store/s3_test_server.h"
#include "store/store_test_util.h"

namespace sl::store {
namespace {

using testing::RandomBytes;
using testing::S3rverProcess;

constexpr const char* kAws = "/usr/bin/aws";  // the Debian awscli; a different `aws` may be first on PATH

class AwsCliInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Tests never install anything themselves; `make test` runs scripts/install-deps.sh first.
    ASSERT_TRUE(PathExists(kAws)) << kAws << " (Debian awscli) is missing: run scripts/install-deps.sh";
    server_ = testing::SharedS3rver();
    prefix_ = fmt::format("interop-{}", ::getpid());
    // A private AWS config: small multipart threshold/chunk so a 12 MiB upload is multipart.
    ASSERT_TRUE(WriteFileAtomic(tmp_.Join("config"), "[default]\nregion = us-east-1\n").ok());
    ASSERT_TRUE(WriteFileAtomic(tmp_.Join("credentials"), "").ok());
    ASSERT_EQ(Aws("configure set default.s3.multipart_threshold 5MB"), 0);
    ASSERT_EQ(Aws("configure set default.s3.multipart_chunksize 5MB"), 0);
    StoreOptions o;
    o.endpoint = server_->endpoint();
    o.access_key_id = S3rverProcess::kAccessKey;
    o.secret_access_key = S3rverProcess::kSecretKey;
    o.multipart_threshold = 5 << 20;
    o.part_size = 5 << 20;
    auto s = OpenObjectStore(fmt::format("s3://{}/{}", server_->bucket(), prefix_), o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(s).value();
  }

  // Runs /usr/bin/aws with a private config and s3rver's credentials; returns the exit code.
  int Aws(const std::string& args) {
    std::string cmd = fmt::format(
        "env -u AWS_PROFILE -u AWS_ENDPOINT_URL AWS_CONFIG_FILE={} AWS_SHARED_CREDENTIALS_FILE={} "
        "AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} AWS_DEFAULT_REGION=us-east-1 AWS_PAGER= "
        "{} --endpoint-url {} {} >{} 2>&1",
        tmp_.Join("config"), tmp_.Join("credentials"), S3rverProcess::kAccessKey, S3rverProcess::kSecretKey, kAws,
        server_->endpoint(), args, tmp_.Join("aws.log"));
    int rc = std::system(cmd.c_str());
    int code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (code != 0) ADD_FAILURE() << cmd << "\n" << ReadFileToString(tmp_.Join("aws.log")).value_or("");
    return code;
  }

  std::string S3Url(const std::string& key) const {
    return fmt::format("s3://{}/{}/{}", server_->bucket(), prefix_, key);
  }

  TempDir tmp_{"sl-interop"};
  S3rverProcess* server_ = nullptr;
  std::string prefix_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(AwsCliInteropTest, AwsCliReadsObjectsWrittenByStraightline) {
  std::string small = RandomBytes(70'001, 21);
  std::string big = RandomBytes((12 << 20) + 5, 22);  // multipart: 3 parts of 5 MiB
  ASSERT_TRUE(store_->Put("ours/small.bin", small).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp_.Join("big.src"), big).ok());
  ASSERT_TRUE(store_->PutFile("ours/dir with space/big.bin", tmp_.Join("big.src")).ok());

  ASSERT_EQ(Aws(fmt::format("s3 cp {} {}", S3Url("ours/small.bin"), tmp_.Join("small.out"))), 0);
  ASSERT_EQ(Aws(fmt::format("s3 cp '{}' {}", S3Url("ours/dir with space/big.bin"), tmp_.Join("big.out"))), 0);
  EXPECT_TRUE(ReadFileToString(tmp_.Join("small.out")).value() == small);
  EXPECT_TRUE(ReadFileToString(tmp_.Join("big.out")).value() == big);
}

TEST_F(AwsCliInteropTest, StraightlineReadsObjectsWrittenByAwsCli) {
  std::string small = RandomBytes(33'333, 23);
  std::string big = RandomBytes((12 << 20) + 3, 24);  // above the CLI's 5 MB threshold: multipart
  ASSERT_TRUE(WriteFileAtomic(tmp_.Join("small.src"), small).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp_.Join("big.src"), big).ok());
  ASSERT_EQ(Aws(fmt::format("s3 cp {} {}", tmp_.Join("small.src"), S3Url("theirs/small.bin"))), 0);
  ASSERT_EQ(Aws(fmt::format("s3 cp --debug {} {}", tmp_.Join("big.src"), S3Url("theirs/big.bin"))), 0);
  std::string log = ReadFileToString(tmp_.Join("aws.log")).value_or("");
  EXPECT_NE(log.find("CreateMultipartUpload"), std::string::npos) << "the CLI did not upload in parts";
  EXPECT_NE(log.find("CompleteMultipartUpload"), std::string::npos);

  auto got_small = store_->Get("theirs/small.bin");
  ASSERT_TRUE(got_small.ok()) << got_small.status();
  EXPECT_TRUE(*got_small == small);
  ASSERT_TRUE(store_->GetToFile("theirs/big.bin", tmp_.Join("big.out")).ok());
  EXPECT_TRUE(ReadFileToString(tmp_.Join("big.out")).value() == big);

  // No sha256 metadata from the CLI: Head says so with an empty sha256 and checksum. (s3rver gives even
  // multipart objects a whole-object MD5 ETag, where AWS would give "md5-N".)
  auto small_info = store_->Head("theirs/small.bin");
  ASSERT_TRUE(small_info.ok());
  EXPECT_EQ(small_info->sha256, "");
  EXPECT_EQ(small_info->checksum, "");
  EXPECT_EQ(small_info->size, small.size());
  auto big_info = store_->Head("theirs/big.bin");
  ASSERT_TRUE(big_info.ok());
  EXPECT_EQ(big_info->sha256, "");
  EXPECT_EQ(big_info->checksum, "");
  EXPECT_EQ(big_info->size, big.size());

  auto listed = store_->List("theirs/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "theirs/big.bin");
}

TEST_F(AwsCliInteropTest, ForeignSinglePartObjectIsVerifiedByItsMd5Etag) {
  std::string data = RandomBytes(10'000, 25);
  ASSERT_TRUE(WriteFileAtomic(tmp_.Join("f"), data).ok());
  ASSERT_EQ(Aws(fmt::format("s3 cp {} {}", tmp_.Join("f"), S3Url("theirs/md5.bin"))), 0);
  std::string path = fmt::format("{}/{}/{}/theirs/md5.bin._S3rver_object", server_->data_dir(), server_->bucket(), prefix_);
  std::string damaged = data;
  damaged[5000] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomic(path, damaged).ok());
  auto got = store_->Get("theirs/md5.bin");
  EXPECT_EQ(got.status().code(), Code::kDataLoss) << got.status();
}

}  // namespace
}  // namespace sl::store

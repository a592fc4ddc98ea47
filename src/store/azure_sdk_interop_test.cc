// Interoperability with the official Azure Storage SDK for JavaScript (@azure/storage-blob, in
// .deps) on the same Azurite: blobs written by straightline are read back byte for byte by the
// SDK and vice versa, single-shot and in blocks both ways; an SDK-made account SAS works as
// AZURE_STORAGE_SAS_TOKEN; a foreign blob is verified by its Content-MD5. Skipped without azurite.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "common/sha256.h"
#include "store/azure_rest.h"
#include "store/azure_test_server.h"
#include "store/object_store.h"
#include "store/s3_test_server.h"
#include "store/store_test_util.h"

namespace sl::store {
namespace {

using testing::RandomBytes;

class AzureSdkInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::SharedAzurite();
    if (server_ == nullptr) GTEST_SKIP() << "azurite is not installed (scripts/install-deps.sh)";
    modules_ = testing::SourceDir() + "/.deps/node_modules";
    if (!PathExists(modules_ + "/@azure/storage-blob/package.json")) {
      GTEST_SKIP() << "@azure/storage-blob is not installed (scripts/install-deps.sh)";
    }
    prefix_ = fmt::format("interop-{}", ::getpid());
    StoreOptions o;
    o.azure_connection_string = server_->connection_string();
    o.multipart_threshold = 1 << 20;
    o.part_size = 1 << 20;
    auto s = OpenObjectStore(fmt::format("az://{}/{}/{}", kAzuriteAccount, server_->container(), prefix_), o);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(s).value();
  }

  // Runs the SDK script; returns its exit code (stdout in tmp_/sdk.out, stderr in sdk.log).
  int Sdk(const std::string& args) {
    std::string cmd = fmt::format("AZURE_STORAGE_CONNECTION_STRING='{}' node {}/src/store/testing/azure_sdk_interop.js {} {} >{} 2>{}",
                                  server_->connection_string(), testing::SourceDir(), modules_, args,
                                  tmp_.Join("sdk.out"), tmp_.Join("sdk.log"));
    int rc = std::system(cmd.c_str());
    int code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (code != 0) ADD_FAILURE() << cmd << "\n" << ReadFileToString(tmp_.Join("sdk.log")).value_or("");
    return code;
  }
  std::string SdkOut() { return ReadFileToString(tmp_.Join("sdk.out")).value_or(""); }
  std::string Blob(const std::string& key) const { return fmt::format("'{}' '{}/{}'", server_->container(), prefix_, key); }

  TempDir tmp_{"sl-az-interop"};
  testing::AzuriteProcess* server_ = nullptr;
  std::string modules_, prefix_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(AzureSdkInteropTest, SdkReadsBlobsWrittenByStraightline) {
  std::string small = RandomBytes(70'001, 21);
  std::string big = RandomBytes((5 << 20) + 5, 22);  // Put Block × 6 + Put Block List
  ASSERT_TRUE(store_->Put("ours/small.bin", small).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp_.Join("big.src"), big).ok());
  ASSERT_TRUE(store_->PutFile("ours/dir with space/big ü.bin", tmp_.Join("big.src")).ok());

  ASSERT_EQ(Sdk("download " + Blob("ours/small.bin") + " " + tmp_.Join("small.out")), 0);
  ASSERT_EQ(Sdk("download " + Blob("ours/dir with space/big ü.bin") + " " + tmp_.Join("big.out")), 0);
  EXPECT_TRUE(ReadFileToString(tmp_.Join("small.out")).value() == small);
  EXPECT_TRUE(ReadFileToString(tmp_.Join("big.out")).value() == big);
  ASSERT_EQ(Sdk("props " + Blob("ours/dir with space/big ü.bin")), 0);
  std::string props = SdkOut();
  EXPECT_NE(props.find("\"blockCount\":6"), std::string::npos) << props;
  EXPECT_NE(props.find("\"sha256\":\"" + Sha256Hex(big) + "\""), std::string::npos) << props;
}

TEST_F(AzureSdkInteropTest, StraightlineReadsBlobsWrittenBySdk) {
  std::string small = RandomBytes(33'333, 23);
  std::string big = RandomBytes((5 << 20) + 3, 24);
  ASSERT_TRUE(WriteFileAtomic(tmp_.Join("small.src"), small).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp_.Join("big.src"), big).ok());
  ASSERT_EQ(Sdk("upload " + tmp_.Join("small.src") + " " + Blob("theirs/small.bin") + " 4194304"), 0);
  ASSERT_EQ(Sdk("upload " + tmp_.Join("big.src") + " " + Blob("theirs/big.bin") + " 1048576"), 0);
  ASSERT_EQ(Sdk("props " + Blob("theirs/big.bin")), 0);
  EXPECT_NE(SdkOut().find("\"blockCount\":6"), std::string::npos) << "the SDK did not upload in blocks: " << SdkOut();

  auto got_small = store_->Get("theirs/small.bin");
  ASSERT_TRUE(got_small.ok()) << got_small.status();
  EXPECT_TRUE(*got_small == small);
  ASSERT_TRUE(store_->GetToFile("theirs/big.bin", tmp_.Join("big.out")).ok());
  EXPECT_TRUE(ReadFileToString(tmp_.Join("big.out")).value() == big);
  auto info = store_->Head("theirs/small.bin");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->sha256, "");  // no metadata from the SDK
  EXPECT_EQ(info->checksum, "");
  EXPECT_EQ(info->size, small.size());
  auto listed = store_->List("theirs/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "theirs/big.bin");
}

TEST_F(AzureSdkInteropTest, ForeignSingleShotBlobIsVerifiedByItsContentMd5) {
  std::string data = RandomBytes(10'000, 25);
  ASSERT_TRUE(WriteFileAtomic(tmp_.Join("f"), data).ok());
  ASSERT_EQ(Sdk("upload " + tmp_.Join("f") + " " + Blob("theirs/md5.bin") + " 4194304"), 0);
  auto backend = testing::MakeAzBackend();
  backend->Corrupt(*store_, "theirs/md5.bin");
  auto got = store_->Get("theirs/md5.bin");
  EXPECT_EQ(got.status().code(), Code::kDataLoss) << got.status();
  EXPECT_NE(got.status().message().find("Content-MD5"), std::string::npos) << got.status();
}

TEST_F(AzureSdkInteropTest, AnSdkAccountSasWorksAsTheSasToken) {
  ASSERT_EQ(Sdk("sas"), 0);
  std::string sas = SdkOut();
  while (!sas.empty() && (sas.back() == '\n' || sas.back() == '\r')) sas.pop_back();
  ASSERT_NE(sas.find("sig="), std::string::npos) << sas;
  StoreOptions o;
  o.azure_connection_string = fmt::format("BlobEndpoint={};SharedAccessSignature={}", server_->endpoint(), sas);
  o.conditional_put = StoreOptions::ConditionalPut::kHeader;
  auto s = OpenObjectStore(fmt::format("az://{}/{}/{}/sas", kAzuriteAccount, server_->container(), prefix_), o);
  ASSERT_TRUE(s.ok()) << s.status();
  auto& store = *s;
  std::string data = RandomBytes((2 << 20) + 1, 26);
  ASSERT_TRUE(store->Put("a", data).ok());
  EXPECT_TRUE(store->Get("a").value() == data);
  EXPECT_EQ(store->List("").value().size(), 1u);
  EXPECT_EQ(store->PutIfAbsent("a", "x").code(), Code::kAlreadyExists);
  ASSERT_TRUE(store->Delete("a").ok());

  std::string forged = sas.substr(0, sas.find("sig=") + 4) + "AAAA" + sas.substr(sas.find("sig=") + 8);
  o.azure_connection_string = fmt::format("BlobEndpoint={};SharedAccessSignature={}", server_->endpoint(), forged);
  auto f = OpenObjectStore(fmt::format("az://{}/{}/{}/sas", kAzuriteAccount, server_->container(), prefix_), o);
  Status denied = (*f)->Put("b", "x");
  EXPECT_EQ(denied.code(), Code::kPermissionDenied) << denied;
  EXPECT_NE(denied.message().find("HTTP 403"), std::string::npos) << denied;
}

}  // namespace
}  // namespace sl::store

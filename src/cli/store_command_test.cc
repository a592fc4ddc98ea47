// `straightline store ...` (src/cli/store_command.cc), driven through its entry point RunStore
// with stdout captured: exit codes, human and JSON output, both backends.
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/scoped_env.h"
#include "common/sha256.h"
#include "store/checksum.h"
#include "store/azure_test_server.h"
#include "store/s3_test_server.h"
#include "store/gcs_test_server.h"
#include "store/store_test_util.h"

namespace sl::cli {
int RunStore(const Args& args);
}

namespace sl::store {
namespace {

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

CliResult RunCli(const cli::Args& args) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  int code = cli::RunStore(args);
  std::string out = ::testing::internal::GetCapturedStdout();
  return {code, out, ::testing::internal::GetCapturedStderr()};
}

// After `put` of `data` to BASE/w.bin: cat, stat --json (checksum), ls --json, rm, and a stat of
// the removed object that fails naming `missing` (the backend's own word for it).
void ExpectCatStatLsRm(const std::function<cli::Args(cli::Args)>& with, const std::string& base,
                       const std::string& data, const std::string& missing) {
  auto cat = RunCli(with({"cat", base + "/w.bin"}));
  ASSERT_EQ(cat.code, 0) << cat.err;
  EXPECT_TRUE(cat.out == data);
  auto stat = RunCli(with({"stat", "--json", base + "/w.bin"}));
  ASSERT_EQ(stat.code, 0) << stat.err;
  EXPECT_EQ(nlohmann::json::parse(stat.out)["checksum"], "sha256:" + Sha256Hex(data));
  auto ls = RunCli(with({"ls", "--json", base + "/"}));
  ASSERT_EQ(ls.code, 0) << ls.err;
  auto arr = nlohmann::json::parse(ls.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["uri"], base + "/w.bin");
  ASSERT_EQ(RunCli(with({"rm", base + "/w.bin"})).code, 0);
  auto gone = RunCli(with({"stat", base + "/w.bin"}));
  EXPECT_EQ(gone.code, 1);
  EXPECT_NE(gone.err.find(missing), std::string::npos) << gone.err;
}

TEST(StoreCliTest, FileStoreRoundTripWithHumanAndJsonOutput) {
  TempDir tmp;
  std::string root = tmp.Join("st");
  std::string data = testing::RandomBytes(3 << 20, 31);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("w.bin"), data).ok());
  std::string uri = "file://" + root + "/models/v1/w.bin";

  // The first put into a new path creates the store (the tree it creates); afterwards the
  // root is found from any URI inside it.
  auto put = RunCli({"put", tmp.Join("w.bin"), uri});
  ASSERT_EQ(put.code, 0) << put.out << put.err;
  EXPECT_NE(put.out.find("3.0 MiB"), std::string::npos) << put.out;
  EXPECT_NE(put.out.find("created the object store file://" + root + " "), std::string::npos) << put.out;
  auto again = RunCli({"put", tmp.Join("w.bin"), uri});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out.find("created"), std::string::npos) << again.out;
  EXPECT_EQ(RunCli({"put", "--if-absent", tmp.Join("w.bin"), uri}).code, 1);

  auto ls = RunCli({"ls", "file://" + root});
  ASSERT_EQ(ls.code, 0);
  EXPECT_NE(ls.out.find("3.0 MiB"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("models/v1/w.bin"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("1 object, 3.0 MiB"), std::string::npos) << ls.out;

  auto ls_json = RunCli({"ls", "--json", "file://" + root + "/models/"});
  ASSERT_EQ(ls_json.code, 0);
  auto arr = nlohmann::json::parse(ls_json.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["key"], "models/v1/w.bin");
  EXPECT_EQ(arr[0]["size"], data.size());

  auto stat = RunCli({"stat", "--json", uri});
  ASSERT_EQ(stat.code, 0);
  auto obj = nlohmann::json::parse(stat.out);
  EXPECT_EQ(obj["checksum"], ComputeChecksum(ChecksumAlgorithm::kCrc32c, data));
  EXPECT_FALSE(obj.contains("sha256"));  // the file backend records crc32c by default
  auto stat_human = RunCli({"stat", uri});
  ASSERT_EQ(stat_human.code, 0);
  EXPECT_NE(stat_human.out.find("checksum: " + ComputeChecksum(ChecksumAlgorithm::kCrc32c, data)), std::string::npos)
      << stat_human.out;
  EXPECT_EQ(obj["uri"], uri);

  auto cat = RunCli({"cat", uri});
  ASSERT_EQ(cat.code, 0);
  EXPECT_TRUE(cat.out == data);
  ASSERT_EQ(RunCli({"get", uri, tmp.Join("back.bin")}).code, 0);
  EXPECT_TRUE(ReadFileToString(tmp.Join("back.bin")).value() == data);

  ASSERT_EQ(RunCli({"rm", uri}).code, 0);
  EXPECT_EQ(RunCli({"stat", uri}).code, 1);
  EXPECT_EQ(RunCli({"cat", uri}).code, 1);
}

TEST(StoreCliTest, ReadingAPathOutsideAnyStoreSaysHowToCreateOne) {
  TempDir tmp;
  for (const char* sub : {"ls", "stat", "cat", "rm"}) {
    auto r = RunCli({sub, "file://" + tmp.path() + "/run1/job.json"});
    EXPECT_EQ(r.code, 1) << sub;
    EXPECT_NE(r.err.find("no object store here or in a parent directory"), std::string::npos) << sub << ": " << r.err;
    EXPECT_NE(r.err.find("straightline store put FILE file://" + tmp.path() + "/run1/KEY"), std::string::npos)
        << sub << ": " << r.err;
    EXPECT_EQ(r.err.find(".sl-tmp"), std::string::npos) << r.err;  // no internal names
  }
  // A plain directory that exists is not a store either; nothing was created by the reads.
  auto ls = RunCli({"ls", "file://" + tmp.path() + "/"});
  EXPECT_EQ(ls.code, 1);
  EXPECT_NE(ls.err.find("store put FILE file://" + tmp.path() + "/KEY"), std::string::npos) << ls.err;
  EXPECT_FALSE(PathExists(tmp.Join("run1")));
}

TEST(StoreCliTest, PutUnderAnExistingPlainDirectoryCreatesTheStoreThere) {
  TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("model.pt"), "weights").ok());
  const std::string uri = "file://" + tmp.path() + "/model-copy.pt";
  auto put = RunCli({"put", tmp.Join("model.pt"), uri});
  ASSERT_EQ(put.code, 0) << put.err;
  EXPECT_NE(put.out.find("created the object store file://" + tmp.path()), std::string::npos) << put.out;
  auto cat = RunCli({"cat", uri});
  ASSERT_EQ(cat.code, 0) << cat.err;
  EXPECT_EQ(cat.out, "weights");
  EXPECT_EQ(RunCli({"put", tmp.Join("model.pt"), "file://" + tmp.path() + "/"}).code, 1);  // no key
}

TEST(StoreCliTest, UsageErrorsExitTwoAndBadUrisOne) {
  EXPECT_EQ(RunCli({}).code, 2);
  EXPECT_EQ(RunCli({"frobnicate"}).code, 2);
  EXPECT_EQ(RunCli({"ls"}).code, 2);                           // missing URI
  EXPECT_EQ(RunCli({"ls", "--no-such-flag", "s3://b"}).code, 2);
  EXPECT_EQ(RunCli({"ls", "gs://bucket/x"}).code, 1);          // unsupported scheme
  EXPECT_EQ(RunCli({"--help"}).code, 0);
  EXPECT_EQ(RunCli({"ls", "--help"}).code, 0);
}

TEST(StoreCliTest, S3EndpointAndCredentialsFromFlags) {
  auto* server = testing::SharedS3rver();
  TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("f"), "hello s3").ok());
  std::string uri = fmt::format("s3://{}/cli-{}/greeting.txt", server->bucket(), ::getpid());
  cli::Args creds = {"--endpoint", server->endpoint(), "--access-key-id", testing::S3rverProcess::kAccessKey,
                     "--secret-access-key", testing::S3rverProcess::kSecretKey};
  auto with = [&](cli::Args a) {
    a.insert(a.end(), creds.begin(), creds.end());
    return a;
  };
  ASSERT_EQ(RunCli(with({"put", tmp.Join("f"), uri})).code, 0);
  auto cat = RunCli(with({"cat", uri}));
  ASSERT_EQ(cat.code, 0);
  EXPECT_EQ(cat.out, "hello s3");
  auto ls = RunCli(with({"ls", "--json", fmt::format("s3://{}/cli-{}/", server->bucket(), ::getpid())}));
  ASSERT_EQ(ls.code, 0);
  auto arr = nlohmann::json::parse(ls.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["size"], 8);
  ASSERT_EQ(RunCli(with({"rm", uri})).code, 0);
  EXPECT_EQ(RunCli(with({"stat", uri})).code, 1);
}

TEST(StoreCliTest, AzureCredentialsFromTheConnectionStringAndEndpointFromTheFlag) {
  auto* server = testing::SharedAzurite();
  if (server == nullptr) GTEST_SKIP() << "azurite is not installed (scripts/install-deps.sh)";
  TempDir tmp;
  std::string data = testing::RandomBytes(100'000, 32);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("f"), data).ok());
  std::string base = fmt::format("az://{}/{}/cli-{}", kAzuriteAccount, server->container(), ::getpid());
  std::string conn = fmt::format("AccountName={};AccountKey={}", kAzuriteAccount, kAzuriteKey);
  ScopedEnv env("AZURE_STORAGE_CONNECTION_STRING", conn);
  cli::Args ep = {"--endpoint", server->endpoint()};
  auto with = [&](cli::Args a) {
    a.insert(a.end(), ep.begin(), ep.end());
    return a;
  };
  EXPECT_EQ(RunCli(with({"put", tmp.Join("f"), base + "/w.bin"})).code, 0);
  EXPECT_EQ(RunCli(with({"put", "--if-absent", tmp.Join("f"), base + "/w.bin"})).code, 1);
  ExpectCatStatLsRm(with, base, data, "BlobNotFound");
}

TEST(StoreCliTest, GcsThroughTheFlagsWithAnHmacKey) {
  auto* server = testing::SharedGcsTestServer();
  TempDir tmp;
  std::string data = testing::RandomBytes(70'000, 33);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("f"), data).ok());
  std::string base = fmt::format("gs://{}/cli-{}", server->bucket(), ::getpid());
  cli::Args creds = {"--endpoint", server->endpoint(), "--access-key-id", testing::GcsTestServer::kAccessId,
                     "--secret-access-key", testing::GcsTestServer::kSecret};
  auto with = [&](cli::Args a) {
    a.insert(a.end(), creds.begin(), creds.end());
    return a;
  };
  EXPECT_EQ(RunCli(with({"put", tmp.Join("f"), base + "/w.bin"})).code, 0);
  auto again = RunCli(with({"put", "--if-absent", tmp.Join("f"), base + "/w.bin"}));
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("PreconditionFailed"), std::string::npos) << again.err;
  ExpectCatStatLsRm(with, base, data, "no such key");
}

}  // namespace
}  // namespace sl::store

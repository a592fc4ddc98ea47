// The az:// backend against Azurite (127.0.0.1, a free port, its own temp dir): URI and
// credential resolution, error messages (key, HTTP status, Azure's error code), large objects
// really going through Put Block / Put Block List with bounded concurrency, killed writers, and
// every fault kind of the fault proxy (testing/fault_proxy.h) in front of Azurite: retried,
// bytes exact, put-if-absent exactly once through lost replies. Skipped without azurite.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "common/scoped_env.h"
#include "store/azure_rest.h"
#include "store/azure_test_server.h"
#include "store/function_env.h"
#include "store/object_store.h"
#include "store/s3_http.h"
#include "store/s3_test_server.h"
#include "store/s3_xml.h"
#include "store/store_test_util.h"
#include "store/testing/fault_proxy.h"

namespace sl::store {
namespace {

using testing::AzuriteProcess;
using testing::RandomBytes;

// A clean Azure environment for tests of the resolution order.
struct NoAzureEnv {
  ScopedEnv a{"AZURE_STORAGE_CONNECTION_STRING", nullptr}, b{"AZURE_STORAGE_ACCOUNT", nullptr},
      c{"AZURE_STORAGE_KEY", nullptr}, d{"AZURE_STORAGE_SAS_TOKEN", nullptr}, e{"AZURE_STORAGE_BLOB_ENDPOINT", nullptr};
};

TEST(AzureOpenTest, UriAndConfigurationErrorsAreClear) {
  NoAzureEnv clean;
  StoreOptions o;
  o.azure_account_key = kAzuriteKey;
  EXPECT_EQ(OpenObjectStore("az://acct", o).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("az://Acct/cont", o).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("az://acct/ab", o).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("az://acct/Cont", o).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("az://acct/a--b", o).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("az://acct/cont/../x", o).status().code(), Code::kInvalidArgument);
  auto ok = OpenObjectStore("az://acct/cont/runs/7/", o);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->uri(), "az://acct/cont/runs/7");

  auto none = OpenObjectStore("az://acct/cont");
  ASSERT_EQ(none.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("AZURE_STORAGE_CONNECTION_STRING"), std::string::npos) << none.status();

  StoreOptions other;
  other.azure_connection_string = "AccountName=someoneelse;AccountKey=a2V5";
  auto mismatch = OpenObjectStore("az://acct/cont", other);
  ASSERT_EQ(mismatch.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(mismatch.status().message().find("someoneelse"), std::string::npos) << mismatch.status();

  StoreOptions bad;
  bad.azure_connection_string = "AccountName=acct;AccountKey=c2VjcmV0;Oops";
  auto b = OpenObjectStore("az://acct/cont", bad);
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(b.status().message().find("c2VjcmV0"), std::string::npos) << "echoes the key: " << b.status();
}

TEST(AzureOpenTest, CredentialsComeFromTheConventionalEnvironment) {
  NoAzureEnv clean;
  {
    ScopedEnv key("AZURE_STORAGE_KEY", kAzuriteKey);
    EXPECT_TRUE(OpenObjectStore("az://acct/cont").ok());
    ScopedEnv account("AZURE_STORAGE_ACCOUNT", "other");
    EXPECT_EQ(OpenObjectStore("az://acct/cont").status().code(), Code::kFailedPrecondition);
  }
  {
    ScopedEnv sas("AZURE_STORAGE_SAS_TOKEN", "?sv=2021-08-06&sig=abc");
    EXPECT_TRUE(OpenObjectStore("az://acct/cont").ok());
  }
  {
    ScopedEnv conn("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true");
    EXPECT_TRUE(OpenObjectStore("az://devstoreaccount1/cont").ok());
    EXPECT_EQ(OpenObjectStore("az://acct/cont").status().code(), Code::kFailedPrecondition);
  }
  EXPECT_NE(std::find(SupportedSchemes().begin(), SupportedSchemes().end(), "az"), SupportedSchemes().end());
}

class AzureStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::SharedAzurite();
    if (server_ == nullptr) GTEST_SKIP() << "azurite is not installed (scripts/install-deps.sh)";
  }

  std::string Uri(const std::string& prefix) const {
    return fmt::format("az://{}/{}/{}", kAzuriteAccount, server_->container(), prefix);
  }

  std::unique_ptr<ObjectStore> Open(const std::string& prefix, StoreOptions o = {}) {
    if (o.azure_connection_string.empty()) o.azure_connection_string = server_->connection_string();
    auto s = OpenObjectStore(Uri(prefix), o);
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(s).value();
  }

  // A signed request straight to Azurite (to look at what the store did).
  HttpReply Raw(const std::string& method, const std::string& path,
                std::vector<std::pair<std::string, std::string>> query) {
    AzureSignRequest sig;
    sig.method = method;
    sig.path = fmt::format("/{}/{}", kAzuriteAccount, path);
    sig.query = query;
    sig.headers["x-ms-date"] = FormatRfc1123(Clock::Real()->WallNow());
    sig.headers["x-ms-version"] = kAzureApiVersion;
    HttpCall call;
    call.method = method;
    call.url = fmt::format("http://127.0.0.1:{}{}", server_->port(), sig.path);
    for (size_t i = 0; i < query.size(); ++i) {
      call.url += (i ? "&" : "?") + query[i].first + "=" + AzureEncodeQueryValue(query[i].second);
    }
    for (const auto& [k, v] : sig.headers) call.headers.push_back(k + ": " + v);
    call.headers.push_back("authorization: " + AzureSharedKeyAuthorization(kAzuriteAccount, kAzuriteKey, sig).value());
    HttpClient http(5, 30);
    auto r = http.Perform(call, "raw");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpReply{};
  }

  AzuriteProcess* server_ = nullptr;
  std::string prefix_ = fmt::format("unit-{}", ::getpid());
};

TEST_F(AzureStoreTest, ErrorsNameTheKeyTheStatusAndAzuresCode) {
  auto store = Open(prefix_ + "/errors");
  auto missing = store->Get("no/such/key");
  ASSERT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("no/such/key"), std::string::npos) << missing.status();
  EXPECT_NE(missing.status().message().find("HTTP 404 BlobNotFound"), std::string::npos) << missing.status();
  auto head = store->Head("no/such/key");  // no body: the code comes from x-ms-error-code
  EXPECT_NE(head.status().message().find("HTTP 404 BlobNotFound"), std::string::npos) << head.status();

  StoreOptions o;
  o.azure_connection_string = server_->connection_string();
  auto nocont = OpenObjectStore(fmt::format("az://{}/no-such-container/x", kAzuriteAccount), o);
  ASSERT_TRUE(nocont.ok());
  auto got = (*nocont)->Put("k", "v");
  ASSERT_EQ(got.code(), Code::kNotFound) << got;
  EXPECT_NE(got.message().find("ContainerNotFound"), std::string::npos) << got;
  EXPECT_NE(got.message().find("no-such-container"), std::string::npos) << got;
  EXPECT_EQ((*nocont)->Delete("k").code(), Code::kNotFound);  // unlike a missing blob

  StoreOptions wrong;
  wrong.azure_connection_string = fmt::format("AccountName={};AccountKey={};BlobEndpoint={}", kAzuriteAccount,
                                              "d3Jvbmcga2V5IGZvciB0aGUgdGVzdA==", server_->endpoint());
  auto denied = OpenObjectStore(Uri(prefix_ + "/denied"), wrong).value()->Put("k", "v");
  ASSERT_EQ(denied.code(), Code::kPermissionDenied) << denied;
  EXPECT_NE(denied.message().find("HTTP 403 AuthorizationFailure"), std::string::npos) << denied;

  StoreOptions closed;
  closed.azure_connection_string = fmt::format("AccountName={};AccountKey={};BlobEndpoint=http://127.0.0.1:{}/{}",
                                               kAzuriteAccount, kAzuriteKey, testing::FreeLoopbackPort(), kAzuriteAccount);
  closed.retry.max_attempts = 2;
  closed.retry.initial_backoff = std::chrono::milliseconds(1);
  auto refused = OpenObjectStore(Uri("x"), closed).value()->Get("k");
  EXPECT_EQ(refused.status().code(), Code::kUnavailable) << refused.status();
  EXPECT_NE(refused.status().message().find("gave up after 2 attempts"), std::string::npos) << refused.status();
}

TEST_F(AzureStoreTest, LargeObjectsArePutAsBlocksPublishedByOneBlockList) {
  StoreOptions o;
  o.multipart_threshold = 1 << 20;
  o.part_size = 1 << 20;
  o.upload_concurrency = 3;
  auto store = Open(prefix_ + "/blocks", o);
  TempDir tmp;
  std::string data = RandomBytes((5 << 20) + 123, 31);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("src"), data).ok());
  ASSERT_TRUE(store->PutFile("file.bin", tmp.Join("src")).ok());
  ASSERT_TRUE(store->Put("mem.bin", data).ok());
  for (const char* key : {"file.bin", "mem.bin"}) {
    HttpReply r = Raw("GET", fmt::format("{}/{}/blocks/{}", server_->container(), prefix_, key),
                      {{"comp", "blocklist"}, {"blocklisttype", "all"}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto committed = XmlBlocks(r.body, "CommittedBlocks");
    ASSERT_EQ(committed.size(), 1u) << r.body;
    EXPECT_EQ(XmlBlocks(committed[0], "Block").size(), 6u) << r.body;  // 5 MiB + 123 B in 1 MiB blocks
    EXPECT_EQ(store->Get(key).value().size(), data.size());
  }
  EXPECT_TRUE(store->Get("file.bin").value() == data);
  // Put-if-absent holds on the block path too.
  EXPECT_EQ(store->PutFile("file.bin", tmp.Join("src"), {.if_absent = true}).code(), Code::kAlreadyExists);
  EXPECT_EQ(store->Put("mem.bin", data, {.if_absent = true}).code(), Code::kAlreadyExists);
}

// A writer killed at a random moment of a block upload leaves the old blob whole (or none): the
// blob changes only when Put Block List commits.
TEST_F(AzureStoreTest, KilledWriterLeavesOldObjectOrNothing) {
  StoreOptions o;
  o.multipart_threshold = 1 << 20;
  o.part_size = 1 << 20;
  const std::string prefix = prefix_ + "/killed";
  auto store = Open(prefix, o);
  const std::string a = RandomBytes(6 << 20, 41), b = RandomBytes(6 << 20, 42);
  TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("a"), a).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("b"), b).ok());
  std::mt19937 rng(7);
  int saw_old = 0, saw_new = 0, saw_none = 0;
  for (int round = 0; round < 8; ++round) {
    std::string key = fmt::format("victim/{}", round % 2);
    auto before = store->Get(key);
    std::string conn = server_->connection_string();
    std::string uri = Uri(prefix);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      StoreOptions co = o;
      co.azure_connection_string = conn;
      auto child = OpenObjectStore(uri, co);
      if (!child.ok()) ::_exit(3);
      for (int i = 0;; ++i) {
        if (!(*child)->PutFile(key, i % 2 ? tmp.Join("a") : tmp.Join("b")).ok()) ::_exit(4);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20000 + rng() % 200000));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "writer exited with " << WEXITSTATUS(wstatus);
    auto after = store->Get(key);
    if (after.ok()) {
      ASSERT_TRUE(*after == a || *after == b) << "torn object after kill in round " << round;
      if (before.ok() && *before == *after) {
        ++saw_old;
      } else {
        ++saw_new;
      }
    } else {
      ASSERT_EQ(after.status().code(), Code::kNotFound) << after.status();
      ASSERT_FALSE(before.ok());
      ++saw_none;
    }
  }
  EXPECT_EQ(saw_old + saw_new + saw_none, 8);
  std::printf("killed writers: %d old, %d new, %d none\n", saw_old, saw_new, saw_none);
  auto all = store->List("");
  ASSERT_TRUE(all.ok());
  EXPECT_LE(all->size(), 2u);  // uncommitted blocks are never listed
}

// The fault proxy's schedule (500/503 before or after the server, resets, truncated bodies, slow
// answers) in front of Azurite: every operation succeeds through retries with exact bytes, and
// put-if-absent has exactly one winner even when the winner's reply is lost.
TEST_F(AzureStoreTest, FaultsAreRetriedAndPutIfAbsentStaysExactlyOnce) {
  testing::FaultProxyOptions po;
  po.upstream_port = server_->port();
  po.seed = 20;
  po.rates = {{testing::FaultKind::kServerError, 0.08}, {testing::FaultKind::kSlowDown, 0.08},
              {testing::FaultKind::kReset, 0.08},       {testing::FaultKind::kTruncate, 0.08},
              {testing::FaultKind::kSlow, 0.04}};
  po.slow_min_ms = 5;
  po.slow_max_ms = 30;
  auto proxy = testing::FaultProxy::Start(po);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  StoreOptions o;
  o.azure_connection_string = fmt::format("AccountName={};AccountKey={};BlobEndpoint={}/{}", kAzuriteAccount,
                                          kAzuriteKey, (*proxy)->endpoint(), kAzuriteAccount);
  o.conditional_put = StoreOptions::ConditionalPut::kHeader;  // Azurite honours If-None-Match (the conformance suite's probe says so)
  o.retry.max_attempts = 6;
  o.retry.initial_backoff = std::chrono::milliseconds(5);
  o.multipart_threshold = 1 << 20;
  o.part_size = 1 << 20;
  auto store = Open(prefix_ + "/faults", o);
  std::string big = RandomBytes((3 << 20) + 7, 51);
  for (int i = 0; i < 20; ++i) {
    std::string key = fmt::format("obj/{}", i);
    std::string data = i % 5 == 0 ? big : RandomBytes(1000 + i * 997, 60 + i);
    Status put = store->Put(key, data);
    ASSERT_TRUE(put.ok()) << key << ": " << put;
    auto got = store->Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status();
    EXPECT_TRUE(*got == data) << key;
    Status once = store->PutIfAbsent(fmt::format("once/{}", i), data);
    EXPECT_TRUE(once.ok()) << "the first put-if-absent must win even if its reply was lost: " << once;
    Status again = store->PutIfAbsent(fmt::format("once/{}", i), "other");
    EXPECT_EQ(again.code(), Code::kAlreadyExists) << again;
  }
  auto listed = store->List("obj/");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), 20u);
  auto stats = (*proxy)->stats();
  std::printf("fault proxy: %llu requests, %llu faults injected\n", static_cast<unsigned long long>(stats.requests),
              static_cast<unsigned long long>(stats.faults()));
  EXPECT_GT(stats.faults(), 10u);
}

// How an az:// store reaches a function: the caller's AZURE_* become STRAIGHTLINE_STORE_AZURE_*
// (with the blob endpoint spelled out for the sandbox's egress), and a function whose
// environment has only those opens the same store.
TEST_F(AzureStoreTest, CredentialsReachFunctionsThroughTheStoreEnvironment) {
  NoAzureEnv clean;
  std::map<std::string, std::string> env;
  {
    ScopedEnv conn("AZURE_STORAGE_CONNECTION_STRING", server_->connection_string().c_str());
    env = StoreEnvironmentForFunctions();
  }
  EXPECT_EQ(env["STRAIGHTLINE_STORE_AZURE_CONNECTION_STRING"], server_->connection_string());
  EXPECT_EQ(env["STRAIGHTLINE_STORE_AZURE_ENDPOINT"], server_->endpoint());
  EXPECT_EQ(env.count("STRAIGHTLINE_STORE_AZURE_KEY"), 0u);
  std::vector<std::unique_ptr<ScopedEnv>> function_side;
  for (const auto& [k, v] : env) function_side.push_back(std::make_unique<ScopedEnv>(k.c_str(), v.c_str()));
  auto store = OpenObjectStore(Uri(prefix_ + "/fn"), StoreOptionsFromFunctionEnvironment());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Put("from-function", "ok").ok());
  EXPECT_EQ(Open(prefix_ + "/fn")->Get("from-function").value(), "ok");
}

}  // namespace
}  // namespace sl::store

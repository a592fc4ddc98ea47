// The gs:// backend against GcsTestServer (gcs_test_server.h: the documented Cloud Storage XML
// API subset on 127.0.0.1): URI and credential resolution from boto's environment names, the
// dialect on the wire (x-goog-meta-*, x-goog-if-generation-match: 0 on a single PUT even above
// the multipart threshold, marker listing), GCS's error bodies in messages, objects written by
// other tools verified by x-goog-hash, retries and exactly-once put-if-absent through the fault
// proxy, and what the transfer counters count.
#include <cstdlib>

#include <gtest/gtest.h>

#include "common/scoped_env.h"
#include "common/sha256.h"
#include "store/function_env.h"
#include "store/gcs_test_server.h"
#include "store/object_store.h"
#include "store/store_test_util.h"
#include "store/testing/fault_proxy.h"
#include "store/transfer_counts.h"

namespace sl::store {
namespace {

using testing::GcsTestServer;
using testing::RandomBytes;

struct NoGcsEnv {
  ScopedEnv a{"GS_ACCESS_KEY_ID", nullptr}, b{"GS_SECRET_ACCESS_KEY", nullptr},
      c{"GOOGLE_CLOUD_STORAGE_ENDPOINT", nullptr};
};

class GcsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = GcsTestServer::Start("gs-unit");
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  }
  StoreOptions Options() const {
    StoreOptions o;
    o.gcs_endpoint = server_->endpoint();
    o.gcs_access_key_id = GcsTestServer::kAccessId;
    o.gcs_secret = GcsTestServer::kSecret;
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    return o;
  }
  std::unique_ptr<ObjectStore> Open(const std::string& prefix, const StoreOptions& o) {
    auto st = OpenObjectStore("gs://gs-unit/" + prefix, o);
    EXPECT_TRUE(st.ok()) << st.status();
    return st.ok() ? std::move(*st) : nullptr;
  }
  std::unique_ptr<GcsTestServer> server_;
};

TEST(GcsOpenTest, UriAndConfigurationErrorsAreClear) {
  NoGcsEnv clean;
  auto none = OpenObjectStore("gs://my-bucket/p");
  ASSERT_EQ(none.status().code(), Code::kFailedPrecondition) << none.status();
  EXPECT_NE(none.status().message().find("GS_ACCESS_KEY_ID"), std::string::npos) << none.status();
  StoreOptions o;
  o.gcs_access_key_id = "id";
  o.gcs_secret = "secret";
  for (const char* bad : {"gs://ab/p", "gs://Upper/p", "gs://-dash/p", "gs://a*b/p", "gs://ok-bucket/../x"}) {
    EXPECT_EQ(OpenObjectStore(bad, o).status().code(), Code::kInvalidArgument) << bad;
  }
  o.gcs_endpoint = "ftp://x";
  auto ep = OpenObjectStore("gs://ok-bucket", o);
  EXPECT_EQ(ep.status().code(), Code::kInvalidArgument);
  EXPECT_NE(ep.status().message().find("Cloud Storage endpoint"), std::string::npos) << ep.status();
  o.gcs_endpoint = "";
  auto fine = OpenObjectStore("gs://ok_bucket.example/some/prefix/", o);
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ((*fine)->uri(), "gs://ok_bucket.example/some/prefix");
  // Every scheme is listed in the unsupported-scheme error.
  auto unknown = OpenObjectStore("gcs://x/y");
  EXPECT_NE(unknown.status().message().find("gs://"), std::string::npos) << unknown.status();
}

TEST_F(GcsStoreTest, CredentialsAndEndpointComeFromBotosEnvironmentNames) {
  NoGcsEnv clean;
  ScopedEnv id("GS_ACCESS_KEY_ID", GcsTestServer::kAccessId);
  ScopedEnv secret("GS_SECRET_ACCESS_KEY", GcsTestServer::kSecret);
  ScopedEnv ep("GOOGLE_CLOUD_STORAGE_ENDPOINT", server_->endpoint().c_str());
  auto st = OpenObjectStore("gs://gs-unit/env");
  ASSERT_TRUE(st.ok()) << st.status();
  ASSERT_TRUE((*st)->Put("k", "v").ok());
  EXPECT_EQ((*st)->Get("k").value(), "v");
  // ... and they reach a function as STRAIGHTLINE_STORE_GS_* / _GCS_ENDPOINT.
  auto env = StoreEnvironmentForFunctions();
  EXPECT_EQ(env["STRAIGHTLINE_STORE_GS_ACCESS_KEY_ID"], GcsTestServer::kAccessId);
  EXPECT_EQ(env["STRAIGHTLINE_STORE_GCS_ENDPOINT"], server_->endpoint());
  NoGcsEnv function_side;
  std::vector<std::unique_ptr<ScopedEnv>> set;
  for (const auto& [k, v] : env) set.push_back(std::make_unique<ScopedEnv>(k.c_str(), v.c_str()));
  auto fn = OpenObjectStore("gs://gs-unit/env", StoreOptionsFromFunctionEnvironment());
  ASSERT_TRUE(fn.ok()) << fn.status();
  EXPECT_EQ((*fn)->Get("k").value(), "v");
}

TEST_F(GcsStoreTest, WrongSecretIsPermissionDeniedNamingGcsCode) {
  StoreOptions o = Options();
  o.gcs_secret = "not-the-secret";
  auto st = Open("auth", o);
  Status s = st->Put("k", "v");
  ASSERT_EQ(s.code(), Code::kPermissionDenied) << s;
  EXPECT_NE(s.message().find("SignatureDoesNotMatch"), std::string::npos) << s;
}

TEST_F(GcsStoreTest, SpeaksTheCloudStorageDialectOnTheWire) {
  StoreOptions o = Options();
  o.conditional_put = StoreOptions::ConditionalPut::kHeader;
  o.multipart_threshold = 5 << 20;
  o.part_size = 5 << 20;
  auto st = Open("dialect", o);
  std::string big = RandomBytes((11 << 20) + 3, 7);
  ASSERT_TRUE(st->Put("plain", big).ok());  // above the threshold: XML API multipart upload
  auto after_plain = server_->RequestCounts();
  EXPECT_EQ(after_plain["POST?uploads"], 1);
  EXPECT_EQ(after_plain["PUT?uploadId?partNumber"], 3);
  EXPECT_EQ(server_->Metadata("dialect/plain")["sha256"], Sha256Hex(big));  // x-goog-meta-sha256
  // Put-if-absent of the same size: one PUT with x-goog-if-generation-match: 0, because GCS's
  // multipart uploads take no preconditions.
  ASSERT_TRUE(st->PutIfAbsent("once", big).ok());
  auto after_once = server_->RequestCounts();
  EXPECT_EQ(after_once["POST?uploads"], 1) << "no multipart upload for a put-if-absent";
  Status again = st->PutIfAbsent("once", "other");
  ASSERT_EQ(again.code(), Code::kAlreadyExists) << again;
  EXPECT_NE(again.message().find("PreconditionFailed"), std::string::npos) << again;
  EXPECT_TRUE(st->Get("once").value() == big);
  EXPECT_TRUE(st->capabilities().atomic_put_if_absent);
}

TEST_F(GcsStoreTest, ErrorsNameTheKeyStatusCodeAndGcsDetails) {
  auto st = Open("errors", Options());
  auto missing = st->Get("no/such");
  ASSERT_EQ(missing.status().code(), Code::kNotFound);
  const std::string m = missing.status().message();
  for (const char* want : {"gs://gs-unit/errors", "no/such", "HTTP 404", "NoSuchKey", "No such object: gs-unit/errors/no/such"}) {
    EXPECT_NE(m.find(want), std::string::npos) << want << " in " << m;
  }
  EXPECT_TRUE(st->Delete("no/such").ok()) << "GCS answers 404 for a missing object; deleting one is still OK";
  auto other = OpenObjectStore("gs://not-served/x", Options());
  ASSERT_TRUE(other.ok());
  auto nb = (*other)->Get("k");
  ASSERT_EQ(nb.status().code(), Code::kNotFound);
  EXPECT_NE(nb.status().message().find("bucket 'not-served' does not exist"), std::string::npos) << nb.status();
  EXPECT_EQ((*other)->Delete("k").code(), Code::kNotFound) << "a missing bucket is not a missing object";
}

TEST_F(GcsStoreTest, ObjectsOfOtherToolsAreVerifiedByXGoogHash) {
  // Written without our x-goog-meta-sha256 (as gsutil would): x-goog-hash's MD5 is checked.
  auto st = Open("foreign", Options());
  std::string data = RandomBytes(5000, 3);
  server_->PutRaw("foreign/obj", data);
  EXPECT_TRUE(st->Get("obj").value() == data);
  auto info = st->Head("obj");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->sha256, "");
  ASSERT_TRUE(server_->Corrupt("foreign/obj"));
  auto bad = st->Get("obj");
  ASSERT_EQ(bad.status().code(), Code::kDataLoss) << bad.status();
  EXPECT_NE(bad.status().message().find("md5"), std::string::npos) << bad.status();
}

TEST_F(GcsStoreTest, FaultsAreRetriedAndPutIfAbsentStaysExactlyOnce) {
  testing::FaultProxyOptions po;
  po.upstream_port = std::stoi(server_->endpoint().substr(server_->endpoint().rfind(':') + 1));
  po.seed = 21;
  po.rates = {{testing::FaultKind::kServerError, 0.08}, {testing::FaultKind::kSlowDown, 0.08},
              {testing::FaultKind::kReset, 0.08},       {testing::FaultKind::kTruncate, 0.08}};
  auto proxy = testing::FaultProxy::Start(po);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  StoreOptions o = Options();
  o.gcs_endpoint = (*proxy)->endpoint();
  o.conditional_put = StoreOptions::ConditionalPut::kHeader;
  o.retry.max_attempts = 6;
  o.multipart_threshold = 5 << 20;
  o.part_size = 5 << 20;
  auto st = Open("faults", o);
  std::string big = RandomBytes((6 << 20) + 1, 9);
  for (int i = 0; i < 16; ++i) {
    std::string key = fmt::format("obj/{}", i);
    std::string data = i % 8 == 0 ? big : RandomBytes(500 + i * 313, 40 + i);
    ASSERT_TRUE(st->Put(key, data).ok()) << key;
    auto got = st->Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status();
    EXPECT_TRUE(*got == data) << key;
    Status once = st->PutIfAbsent(fmt::format("once/{}", i), data);
    EXPECT_TRUE(once.ok()) << "the first put-if-absent must win even if its reply was lost: " << once;
    EXPECT_EQ(st->PutIfAbsent(fmt::format("once/{}", i), "x").code(), Code::kAlreadyExists);
  }
  EXPECT_EQ(st->List("obj/").value().size(), 16u);
  EXPECT_GT((*proxy)->stats().faults(), 5u);
  // A lost reply of the server itself (the write done, its answer a 503).
  server_->FailNext(1, /*after_write=*/true);
  EXPECT_TRUE(st->PutIfAbsent("lost", "mine").ok());
  EXPECT_EQ(st->Get("lost").value(), "mine");
}

TEST_F(GcsStoreTest, TransferCountsCountBodiesAndRequestsByClass) {
  auto st = Open("counts", Options());
  ASSERT_TRUE(st->Put("warm", "x").ok());  // the conditional-put probe happens on first if_absent only
  TransferCounts before = ProcessTransferCounts();
  std::string data = RandomBytes(100'000, 11);
  ASSERT_TRUE(st->Put("a", data).ok());
  ASSERT_TRUE(st->Get("a").ok());
  ASSERT_TRUE(st->Head("a").ok());
  ASSERT_TRUE(st->ListPage({.prefix = "", .page_token = "", .max_keys = 10}).ok());
  ASSERT_TRUE(st->Delete("a").ok());
  TransferCounts d = ProcessTransferCounts() - before;
  EXPECT_EQ(d.bytes_sent, 100'000);
  EXPECT_GE(d.bytes_received, 100'000);       // the GET body, plus the listing's XML
  EXPECT_LT(d.bytes_received, 100'000 + 4096);
  EXPECT_EQ(d.write_requests, 1);
  EXPECT_EQ(d.read_requests, 2);
  EXPECT_EQ(d.list_requests, 1);
  EXPECT_EQ(d.other_requests, 1);
}

}  // namespace
}  // namespace sl::store

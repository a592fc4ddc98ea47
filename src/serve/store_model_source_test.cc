// StoreModelSource and LoadModels on a file:// store (no server needed), plus the errors a user
// meets with a remote one: no credentials, an endpoint nobody answers on.
#include "serve/store_model_source.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "common/scoped_env.h"
#include "common/sha256.h"
#include "serve/model_sources.h"
#include "serve/serve_test_util.h"
#include "serve/store_model_test_util.h"
#include "store/s3_test_server.h"

namespace sl::serve {
namespace {
namespace fs = std::filesystem;

class StoreModelSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::OpenObjectStore("file://" + tmp_.Join("store")).value();
    counts_ = std::make_shared<testing::StoreCounts>();
    options_ = testing::CountingOptions(tmp_.Join("cache"), {}, counts_);
  }
  std::string Uri(const std::string& name) { return store_->uri() + "/" + name; }

  TempDir tmp_{"serve-store-model"};
  std::unique_ptr<store::ObjectStore> store_;
  std::shared_ptr<testing::StoreCounts> counts_;
  StoreModelOptions options_;
};

TEST_F(StoreModelSourceTest, DownloadsOnceVerifiesAndServesFromTheCache) {
  testing::WriteTinyModel(tmp_.Join("v1"), 7);
  ASSERT_TRUE(testing::PublishModel(tmp_.Join("v1"), *store_, "models/tiny/").ok());

  auto src = StoreModelSource::Open("", Uri("models/tiny"), options_);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_EQ((*src)->name(), "tiny");
  auto latest = (*src)->Latest();
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  // The version is the manifest's own SHA-256 (16 hex digits).
  EXPECT_EQ(latest->version, Sha256Hex(ReadFileToString(tmp_.Join("v1/manifest.json")).value()).substr(0, 16));

  bool downloaded = false;
  auto dir = (*src)->Fetch(*latest, &downloaded);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_TRUE(downloaded);
  EXPECT_EQ(*dir, (*src)->CacheDirFor(latest->version));
  EXPECT_TRUE(dir->starts_with(tmp_.Join("cache/tiny-"))) << *dir;
  EXPECT_EQ(ReadFileToString(*dir + "/weights.pt").value(), ReadFileToString(tmp_.Join("v1/weights.pt")).value());
  EXPECT_TRUE(ml::ReadArtifact(*dir).ok());

  auto again = (*src)->Fetch(*latest, &downloaded);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(downloaded);
  EXPECT_EQ(counts_->Of("GetToFile weights.pt"), 1);
  // No temporary folder is left next to the version.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(fs::path(*dir).parent_path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(StoreModelSourceTest, LoadModelsMixesStoreAndLocalModelsAndARepositoryInAStore) {
  testing::WriteTinyModel(tmp_.Join("a"), 7);
  testing::WriteTinyModel(tmp_.Join("b"), 8);
  testing::WriteTinyModel(tmp_.Join("local"), 9);
  ASSERT_TRUE(testing::PublishModel(tmp_.Join("a"), *store_, "repo/a/").ok());
  ASSERT_TRUE(testing::PublishModel(tmp_.Join("b"), *store_, "repo/b/").ok());
  ASSERT_TRUE(store_->Put("repo/b/nested/manifest.json", "{}").ok());  // one level only, as locally

  auto loaded = LoadModels({"a=" + Uri("repo/b")}, Uri("repo"), options_);
  ASSERT_FALSE(loaded.ok());  // "a" twice: given, and from the repository
  EXPECT_NE(loaded.status().message().find("two models are named"), std::string::npos) << loaded.status().ToString();

  loaded = LoadModels({"renamed=" + Uri("repo/a"), tmp_.Join("local")}, "", options_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->repository->Names(), (std::vector<std::string>{"local", "renamed"}));
  EXPECT_EQ(loaded->sources.size(), 1u);
  auto renamed = loaded->repository->Find("renamed");
  EXPECT_EQ(renamed->source, Uri("repo/a"));
  EXPECT_EQ(renamed->metadata["versions"][0], renamed->version);
  EXPECT_EQ(renamed->metadata["parameters"]["source"], Uri("repo/a"));
  EXPECT_EQ(loaded->repository->Find("local")->version, "1");
  EXPECT_FALSE(loaded->repository->Find("local")->metadata["parameters"].contains("source"));

  auto repo = LoadModels({}, Uri("repo"), options_);
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  EXPECT_EQ(repo->repository->Names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(repo->sources.size(), 2u);

  auto empty = LoadModels({}, Uri("nothing-here"), options_);
  ASSERT_EQ(empty.status().code(), Code::kNotFound);
  EXPECT_NE(empty.status().message().find(Uri("nothing-here")), std::string::npos) << empty.status().ToString();
}

TEST_F(StoreModelSourceTest, MissingManifestAndMissingWeightsNameTheObject) {
  auto src = StoreModelSource::Open("", Uri("models/none"), options_).value();
  auto latest = src->Latest();
  ASSERT_EQ(latest.status().code(), Code::kNotFound);
  EXPECT_NE(latest.status().message().find(Uri("models/none") + "/manifest.json"), std::string::npos)
      << latest.status().ToString();

  testing::WriteTinyModel(tmp_.Join("v1"), 7);
  ASSERT_TRUE(store_->Put("models/noweights/manifest.json",
                          ReadFileToString(tmp_.Join("v1/manifest.json")).value()).ok());
  auto half = StoreModelSource::Open("", Uri("models/noweights"), options_).value();
  auto p = half->Latest();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto fetched = half->Fetch(*p);
  ASSERT_EQ(fetched.status().code(), Code::kNotFound);
  EXPECT_NE(fetched.status().message().find(Uri("models/noweights") + "/weights.pt"), std::string::npos)
      << fetched.status().ToString();
}

TEST_F(StoreModelSourceTest, AWrongChecksumIsRefusedNamingTheKeyAndBothSumsAndNothingIsCached) {
  testing::WriteTinyModel(tmp_.Join("v1"), 7);
  testing::WriteTinyModel(tmp_.Join("v2"), 8);
  // v2's manifest over v1's weights: same size, other bytes.
  ASSERT_TRUE(store_->PutFile("models/bad/weights.pt", tmp_.Join("v1/weights.pt")).ok());
  ASSERT_TRUE(store_->Put("models/bad/manifest.json", ReadFileToString(tmp_.Join("v2/manifest.json")).value()).ok());
  auto src = StoreModelSource::Open("", Uri("models/bad"), options_).value();
  auto p = src->Latest().value();
  auto fetched = src->Fetch(p);
  ASSERT_EQ(fetched.status().code(), Code::kDataLoss);
  const std::string& msg = fetched.status().message();
  EXPECT_NE(msg.find(Uri("models/bad") + "/weights.pt"), std::string::npos) << msg;
  EXPECT_NE(msg.find(Sha256File(tmp_.Join("v1/weights.pt")).value()), std::string::npos) << msg;
  EXPECT_NE(msg.find(p.manifest.weights_sha256), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(src->CacheDirFor(p.version)));
  int leftovers = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp_.Join("cache"))) {
    for ([[maybe_unused]] const auto& f : fs::directory_iterator(e.path())) ++leftovers;
  }
  EXPECT_EQ(leftovers, 0);

  // A manifest that is not JSON, and one whose weights file leaves the folder.
  ASSERT_TRUE(store_->Put("models/bad/manifest.json", "{not json").ok());
  EXPECT_EQ(src->Latest().status().code(), Code::kDataLoss);
  auto j = nlohmann::json::parse(ReadFileToString(tmp_.Join("v2/manifest.json")).value());
  j["weights"]["file"] = "../escape.pt";
  ASSERT_TRUE(store_->Put("models/bad/manifest.json", j.dump()).ok());
  EXPECT_EQ(src->Latest().status().code(), Code::kInvalidArgument);
}

TEST_F(StoreModelSourceTest, ACachedVersionDamagedOnDiskIsDownloadedAgain) {
  testing::WriteTinyModel(tmp_.Join("v1"), 7);
  ASSERT_TRUE(testing::PublishModel(tmp_.Join("v1"), *store_, "m/").ok());
  auto src = StoreModelSource::Open("m", Uri("m"), options_).value();
  auto p = src->Latest().value();
  std::string dir = src->Fetch(p).value();
  std::string w = ReadFileToString(dir + "/weights.pt").value();
  w[w.size() / 2] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomic(dir + "/weights.pt", w).ok());
  bool downloaded = false;
  auto model = LoadFromStore(*src, p, &downloaded);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_TRUE(downloaded);
  EXPECT_EQ(counts_->Of("GetToFile weights.pt"), 2);
}

TEST(StoreModelErrorsTest, NoCredentialsAndAnUnreachableEndpointNameTheUri) {
  TempDir tmp("serve-store-errors");
  ScopedEnv k("AWS_ACCESS_KEY_ID", nullptr), s("AWS_SECRET_ACCESS_KEY", nullptr),
      t("AWS_SESSION_TOKEN", nullptr), p("AWS_PROFILE", nullptr),
      f("AWS_SHARED_CREDENTIALS_FILE", tmp.Join("none").c_str()),
      c("AWS_CONFIG_FILE", tmp.Join("none").c_str());
  StoreModelOptions o;
  o.cache_dir = tmp.Join("cache");
  o.store.endpoint = "http://127.0.0.1:" + std::to_string(store::testing::FreeLoopbackPort());
  auto none = LoadModels({"s3://bucket/models/tiny"}, "", o);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kFailedPrecondition) << none.status().ToString();
  EXPECT_NE(none.status().message().find("s3://bucket/models/tiny"), std::string::npos) << none.status().ToString();
  EXPECT_NE(none.status().message().find("credentials"), std::string::npos) << none.status().ToString();

  o.store.access_key_id = "AKIDEXAMPLE";
  o.store.secret_access_key = "secret";
  o.store.retry.max_attempts = 1;
  auto down = LoadModels({"s3://bucket/models/tiny"}, "", o);
  ASSERT_EQ(down.status().code(), Code::kUnavailable) << down.status().ToString();
  EXPECT_NE(down.status().message().find("s3://bucket/models/tiny"), std::string::npos) << down.status().ToString();
}

}  // namespace
}  // namespace sl::serve

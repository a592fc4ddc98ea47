// Serving models from a real store (s3rver and Azurite on loopback; gs:// on the in-process
// Cloud Storage XML API server): the answers equal the local
// predictor's, a new version swaps in under load without a failed request and the version header
// switches, a corrupted version is refused while the old one keeps serving, and a restart takes
// the version from the cache without downloading it. Polling is driven by PollNow and, for the
// thread, by a FakeClock.
#include "serve/model_poller.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/http_client.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "common/sha256.h"
#include "common/wait_until.h"
#include "serve/gateway.h"
#include "serve/local_tier.h"
#include "serve/model_sources.h"
#include "serve/placement/placement_policies.h"
#include "serve/serve_test_util.h"
#include "serve/store_model_test_util.h"
#include "store/azure_test_server.h"
#include "store/gcs_test_server.h"
#include "store/s3_test_server.h"

namespace sl::serve {
namespace {
using namespace std::chrono_literals;


std::vector<float> ProbabilitiesOf(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return {};
  for (const auto& o : j["outputs"]) {
    if (o["name"] == v2::kOutputProbabilities) return o["data"].get<std::vector<float>>();
  }
  return {};
}

std::vector<float> LocalProbabilities(const std::string& dir, const ml::Dataset& raw, int64_t n) {
  auto predictor = ml::Predictor::Load(dir).value();
  auto preds = predictor->PredictDense(std::span<const float>(raw.features.data(),
                                                              static_cast<size_t>(n * raw.SampleNumel())), n).value();
  std::vector<float> out;
  for (const auto& p : preds) out.insert(out.end(), p.probabilities.begin(), p.probabilities.end());
  return out;
}

void ExpectNear(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << i;
}

std::string VersionOf(const std::string& dir) {
  return Sha256Hex(ReadFileToString(dir + "/manifest.json").value()).substr(0, 16);
}

class StoreServingTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    const std::string prefix = fmt::format("serve-{}-{}", ::getpid(), counter.fetch_add(1));
    if (GetParam() == "s3") {
      store::testing::S3rverProcess* s3 = store::testing::SharedS3rver();
      opts_.endpoint = s3->endpoint();
      opts_.access_key_id = store::testing::S3rverProcess::kAccessKey;
      opts_.secret_access_key = store::testing::S3rverProcess::kSecretKey;
      opts_.region = "us-east-1";
      base_ = fmt::format("s3://{}/{}", s3->bucket(), prefix);
    } else if (GetParam() == "gs") {
      // The documented Cloud Storage XML API subset, in process (store/gcs_test_server.h).
      static store::testing::GcsTestServer* gcs =
          store::testing::GcsTestServer::Start("sl-serve").value().release();
      opts_.gcs_endpoint = gcs->endpoint();
      opts_.gcs_access_key_id = store::testing::GcsTestServer::kAccessId;
      opts_.gcs_secret = store::testing::GcsTestServer::kSecret;
      base_ = fmt::format("gs://{}/{}", gcs->bucket(), prefix);
    } else {
      store::testing::AzuriteProcess* az = store::testing::SharedAzurite();
      if (az == nullptr) GTEST_SKIP() << "azurite is not installed (scripts/install-deps.sh installs it)";
      opts_.azure_connection_string = az->connection_string();
      base_ = fmt::format("az://{}/{}/{}", store::kAzuriteAccount, az->container(), prefix);
    }
    store_ = store::OpenObjectStore(base_, opts_).value();
    counts_ = std::make_shared<testing::StoreCounts>();
    raw_ = testing::WriteTinyModel(tmp_.Join("v1"), 7);
    testing::WriteTinyModel(tmp_.Join("v2"), 8);
    testing::WriteTinyModel(tmp_.Join("v3"), 9);
  }
  void TearDown() override {
    if (poller_) poller_->Stop();
    if (server_) server_->Stop();
    if (local_) local_->Shutdown();
  }

  void Serve(ModelRepository* repo) {
    LocalTierOptions lo;
    lo.threads = 2;
    local_ = LocalTier::Create(repo, lo).value();
    PlacerOptions po;
    po.policy = "local";
    placer_ = MakePlacer(po).value();
    GatewayOptions go;
    go.metrics = &metrics_;
    gateway_ = Gateway::Create(repo, {local_.get()}, placer_.get(), go).value();
    HttpServer::Options so;
    so.threads = 4;
    so.error_response = JsonErrorResponse;
    server_ = HttpServer::Start(so, gateway_->Handler()).value();
    url_ = fmt::format("http://127.0.0.1:{}/v2/models/tiny/infer", server_->port());
  }

  TempDir tmp_{"serve-poller"};
  store::StoreOptions opts_;
  std::string base_;
  std::unique_ptr<store::ObjectStore> store_;
  std::shared_ptr<testing::StoreCounts> counts_;
  ml::Dataset raw_;
  MetricsRegistry metrics_;
  std::unique_ptr<LocalTier> local_;
  std::unique_ptr<Placer> placer_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<ModelPoller> poller_;
  std::string url_;
};

TEST_P(StoreServingTest, SwapsUnderLoadRefusesACorruptVersionAndRestartsFromTheCache) {
  const std::string v1 = VersionOf(tmp_.Join("v1")), v2 = VersionOf(tmp_.Join("v2"));
  ASSERT_TRUE(testing::PublishModel(tmp_.Join("v1"), *store_, "tiny/").ok());
  const std::string cache = tmp_.Join("state/model-cache");
  auto loaded = LoadModels({base_ + "/tiny"}, "", testing::CountingOptions(cache, opts_, counts_));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->repository->Find("tiny")->version, v1);
  EXPECT_EQ(counts_->Of("GetToFile weights.pt"), 1);
  Serve(loaded->repository.get());
  poller_ = ModelPoller::Start(loaded->repository.get(), std::move(loaded->sources), {}).value();

  // The store model answers as the local predictor of the same artifact.
  const std::string body = testing::JsonBody(raw_, 0, 2);
  const std::vector<float> p1 = LocalProbabilities(tmp_.Join("v1"), raw_, 2);
  const std::vector<float> p2 = LocalProbabilities(tmp_.Join("v2"), raw_, 2);
  HttpHeaders json;
  json.Set("Content-Type", "application/json");
  {
    HttpClient c;
    auto r = c.Post(url_, body, json).value();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.Get(kModelVersionHeader), v1);
    EXPECT_EQ(nlohmann::json::parse(r.body)["model_version"], v1);
    ExpectNear(ProbabilitiesOf(r.body), p1);
  }

  // Clients send requests while v2 is published and swapped in.
  std::atomic<bool> stop{false}, swapped{false};
  std::atomic<int> failed{0}, on_v1{0}, on_v2{0}, wrong{0}, v1_after_swap{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&] {
      HttpClient c;
      while (!stop.load()) {
        const bool after_swap = swapped.load();
        auto r = c.Post(url_, body, json);
        if (!r.ok() || r->status != 200) {
          failed.fetch_add(1);
          continue;
        }
        const std::string v(r->headers.Get(kModelVersionHeader));
        const std::vector<float> p = ProbabilitiesOf(r->body);
        const auto& want = v == v1 ? p1 : p2;
        bool same = p.size() == want.size() && nlohmann::json::parse(r->body)["model_version"] == v;
        for (size_t i = 0; same && i < p.size(); ++i) same = std::abs(p[i] - want[i]) < 1e-5;
        if (!same || (v != v1 && v != v2)) wrong.fetch_add(1);
        (v == v1 ? on_v1 : on_v2).fetch_add(1);
        if (after_swap && v == v1) v1_after_swap.fetch_add(1);
      }
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return on_v1.load() >= 30; }));
  ASSERT_TRUE(testing::PublishModel(tmp_.Join("v2"), *store_, "tiny/").ok());
  auto outcomes = poller_->PollNow();
  swapped = true;
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].change, ModelPoller::Change::kSwapped) << outcomes[0].status.ToString();
  EXPECT_TRUE(outcomes[0].downloaded);
  EXPECT_EQ(outcomes[0].version, v2);
  ASSERT_TRUE(WaitUntil([&] { return on_v2.load() >= 30; }));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(v1_after_swap.load(), 0);  // sent after the swap: never on the old version
  EXPECT_EQ(gateway_->counts().failed, 0);
  HttpClient c;
  auto meta = nlohmann::json::parse(c.Get(fmt::format("http://127.0.0.1:{}/v2/models/tiny", server_->port())).value().body);
  EXPECT_EQ(meta["versions"], nlohmann::json({v2}));
  EXPECT_EQ(meta["parameters"]["source"], store_->uri() + "/tiny");

  // v3 with a wrong checksum: refused, v2 keeps serving, and it is not downloaded again.
  auto bad = nlohmann::json::parse(ReadFileToString(tmp_.Join("v3/manifest.json")).value());
  const std::string claimed = bad["weights"]["sha256"];
  const std::string actual = Sha256File(tmp_.Join("v2/weights.pt")).value();
  ASSERT_TRUE(store_->PutFile("tiny/weights.pt", tmp_.Join("v2/weights.pt")).ok());
  ASSERT_TRUE(store_->Put("tiny/manifest.json", bad.dump(2)).ok());
  const int downloads = counts_->Of("GetToFile weights.pt");
  outcomes = poller_->PollNow();
  EXPECT_EQ(outcomes[0].change, ModelPoller::Change::kRefused);
  EXPECT_EQ(outcomes[0].status.code(), Code::kDataLoss) << outcomes[0].status.ToString();
  EXPECT_NE(outcomes[0].status.message().find(store_->uri() + "/tiny/weights.pt"), std::string::npos)
      << outcomes[0].status.ToString();
  EXPECT_NE(outcomes[0].status.message().find(claimed), std::string::npos) << outcomes[0].status.ToString();
  EXPECT_NE(outcomes[0].status.message().find(actual), std::string::npos) << outcomes[0].status.ToString();
  auto r = c.Post(url_, body, json).value();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get(kModelVersionHeader), v2);
  EXPECT_EQ(poller_->PollNow()[0].change, ModelPoller::Change::kSkipped);
  EXPECT_EQ(counts_->Of("GetToFile weights.pt"), downloads + 1);
  EXPECT_EQ(poller_->refusals(), 1);

  // v2 published again (the same manifest bytes: the same version); a restart finds it cached.
  ASSERT_TRUE(testing::PublishModel(tmp_.Join("v2"), *store_, "tiny/").ok());
  EXPECT_EQ(poller_->PollNow()[0].change, ModelPoller::Change::kUnchanged);
  auto restart_counts = std::make_shared<testing::StoreCounts>();
  auto restarted = LoadModels({base_ + "/tiny"}, "", testing::CountingOptions(cache, opts_, restart_counts));
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  EXPECT_EQ(restarted->repository->Find("tiny")->version, v2);
  EXPECT_EQ(restart_counts->Of("Get manifest.json"), 1);
  EXPECT_EQ(restart_counts->Of("GetToFile weights.pt"), 0);  // no download
  int cached = 0;  // v1 was kept beside v2 after the swap; the restart keeps only v2
  for (const auto& e : std::filesystem::directory_iterator(
           std::filesystem::path(restarted->repository->Find("tiny")->dir).parent_path())) {
    EXPECT_EQ(e.path().filename().string(), v2);
    ++cached;
  }
  EXPECT_EQ(cached, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreServingTest, ::testing::Values("s3", "az", "gs"),
                         [](const auto& info) { return info.param; });

TEST(ModelPollerClockTest, PollsEveryPeriodOfTheInjectedClock) {
  TempDir tmp("serve-poller-clock");
  auto store = store::OpenObjectStore("file://" + tmp.Join("store")).value();
  testing::WriteTinyModel(tmp.Join("v1"), 7);
  testing::WriteTinyModel(tmp.Join("v2"), 8);
  ASSERT_TRUE(testing::PublishModel(tmp.Join("v1"), *store, "m/").ok());
  StoreModelOptions o;
  o.cache_dir = tmp.Join("cache");
  auto loaded = LoadModels({store->uri() + "/m"}, "", o).value();
  FakeClock clock;
  ModelPollerOptions po;
  po.period = 30s;
  po.clock = &clock;
  MetricsRegistry metrics;
  po.metrics = &metrics;
  auto poller = ModelPoller::Start(loaded.repository.get(), std::move(loaded.sources), po).value();
  clock.Advance(29s);
  ASSERT_TRUE(poller->WaitForLooks(3, 10s));  // the thread saw 29 s: not a period
  EXPECT_EQ(poller->polls(), 0);
  clock.Advance(1s);
  ASSERT_TRUE(WaitUntil([&] { return poller->polls() == 1; }));
  ASSERT_TRUE(testing::PublishModel(tmp.Join("v2"), *store, "m/").ok());
  EXPECT_EQ(loaded.repository->Find("m")->version, VersionOf(tmp.Join("v1")));
  clock.Advance(30s);
  ASSERT_TRUE(WaitUntil([&] { return poller->swaps() == 1; }));
  EXPECT_EQ(loaded.repository->Find("m")->version, VersionOf(tmp.Join("v2")));
  const std::string text = metrics.Render();
  EXPECT_NE(text.find(R"(sl_serve_model_polls_total{model="m",result="unchanged"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(sl_serve_model_polls_total{model="m",result="swapped"} 1)"), std::string::npos) << text;
  poller->Stop();
  const int64_t polls = poller->polls();
  clock.Advance(300s);
  EXPECT_FALSE(poller->WaitForLooks(1, 50ms));  // the thread is gone
  EXPECT_EQ(poller->polls(), polls);  // stopped
}

}  // namespace
}  // namespace sl::serve

// The gateway over real HTTP (HttpServer + the libcurl HttpClient) with the real local tier and
// a tiny real model; a second in-test tier stands in where a test needs a tier that refuses.
#include "serve/gateway.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/http_client.h"
#include "common/metrics.h"
#include "serve/local_tier.h"
#include "serve/placement/placement_policies.h"
#include "serve/serve_test_util.h"
#include "serve/v2/v2_codec.h"

namespace sl::serve {
namespace {

using std::chrono::milliseconds;

// A tier that refuses every request as full (the race where a tier fills between placement and
// submission) and counts what it saw.
class FullTier final : public Tier {
 public:
  explicit FullTier(TierKind kind) : kind_(kind) {}
  TierKind kind() const override { return kind_; }
  std::vector<std::string> Models() const override { return {"tiny"}; }
  void Submit(InferenceRequest, InferenceCallback done) override {
    submitted_.fetch_add(1);
    InferenceResponse r;
    r.status = ResourceExhausted("{} tier: queue full", TierName(kind_));
    done(std::move(r));
  }
  TierState State() const override {
    TierState s;
    s.kind = kind_;
    s.available = true;
    s.capacity = 100;
    s.replicas = 1;
    s.max_replicas = 1;
    s.service_ms_ewma = 0.001;  // looks fastest to the adaptive placer
    return s;
  }
  void Shutdown() override {}
  int64_t submitted() const { return submitted_.load(); }

 private:
  TierKind kind_;
  std::atomic<int64_t> submitted_{0};
};

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::make_unique<TempDir>("serve-gateway");
    raw_ = testing::WriteTinyModel(tmp_->Join("tiny"));
    repo_ = ModelRepository::Load({tmp_->Join("tiny")}, "").value();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (local_) local_->Shutdown();
  }

  void Start(const std::string& policy, LocalTierOptions lo = {}, std::vector<Tier*> extra = {},
             milliseconds timeout = milliseconds(50000), uint64_t max_body = 1 << 20) {
    lo.metrics = &metrics_;
    local_ = LocalTier::Create(repo_.get(), lo).value();
    PlacerOptions po;
    po.policy = policy;
    placer_ = MakePlacer(po).value();
    std::vector<Tier*> tiers = {local_.get()};
    for (Tier* t : extra) tiers.push_back(t);
    GatewayOptions go;
    go.metrics = &metrics_;
    go.request_timeout = timeout;
    go.max_inflight_bytes = max_inflight_bytes_;
    go.max_inflight_samples = max_inflight_samples_;
    go.auth = auth_;
    if (open_paths_) go.open_paths = *open_paths_;
    go.frequency_threshold = frequency_threshold_;
    go.clock = clock_;
    gateway_ = Gateway::Create(repo_.get(), tiers, placer_.get(), go).value();
    HttpServer::Options so;
    so.threads = 4;
    so.max_body_bytes = max_body;
    so.error_response = JsonErrorResponse;
    server_ = HttpServer::Start(so, gateway_->Handler()).value();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  HttpResponse Post(const std::string& path, const std::string& body,
                    const std::string& content_type = "application/json",
                    const std::string& inference_header_length = "") {
    HttpHeaders h;
    h.Set("Content-Type", content_type);
    if (!inference_header_length.empty()) h.Set("Inference-Header-Content-Length", inference_header_length);
    auto r = client_.Post(base_ + path, body, h);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  }
  HttpResponse Get(const std::string& path, const HttpHeaders& headers = {}) {
    auto r = client_.Get(base_ + path, headers);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  }
  static std::string ErrorOf(const HttpResponse& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>()
                                                                         : "<not a v2 error: " + r.body + ">";
  }

  std::shared_ptr<const TokenAuthenticator> auth_;          // set before Start
  int64_t max_inflight_bytes_ = GatewayOptions{}.max_inflight_bytes;      // set before Start
  int64_t max_inflight_samples_ = GatewayOptions{}.max_inflight_samples;  // set before Start
  std::optional<std::vector<std::string>> open_paths_;      // set before Start
  double frequency_threshold_ = -1;                         // set before Start
  Clock* clock_ = nullptr;                                  // set before Start (gateway only)
  std::unique_ptr<TempDir> tmp_;
  ml::Dataset raw_;
  std::unique_ptr<ModelRepository> repo_;
  MetricsRegistry metrics_;
  std::unique_ptr<LocalTier> local_;
  std::unique_ptr<Placer> placer_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<HttpServer> server_;
  std::string base_;
  HttpClient client_;
};

TEST_F(GatewayTest, HealthServerAndModelMetadataEndpoints) {
  Start("straightline");
  EXPECT_EQ(Get("/v2/health/live").status, 200);
  HttpResponse ready = Get("/v2/health/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(nlohmann::json::parse(ready.body)["ready"], true);
  auto server = nlohmann::json::parse(Get("/v2").body);
  EXPECT_EQ(server["name"], "straightline");
  EXPECT_TRUE(server["extensions"].is_array());
  HttpResponse meta = Get("/v2/models/tiny");
  ASSERT_EQ(meta.status, 200);
  auto m = nlohmann::json::parse(meta.body);
  EXPECT_EQ(m["name"], "tiny");
  EXPECT_EQ(m["versions"], nlohmann::json({"1"}));
  EXPECT_EQ(m["inputs"][0]["name"], "input__0");
  EXPECT_EQ(m["inputs"][0]["shape"], nlohmann::json({-1, 1, 4, 4}));
  EXPECT_EQ(m["outputs"][1]["name"], "label");
  EXPECT_EQ(Get("/v2/models/tiny/versions/1").status, 200);
  EXPECT_EQ(Get("/v2/models/tiny/versions/7").status, 404);
  HttpResponse mready = Get("/v2/models/tiny/ready");
  EXPECT_EQ(mready.status, 200);
  EXPECT_EQ(nlohmann::json::parse(mready.body)["ready"], true);
  EXPECT_EQ(Get("/v2/models/nope/ready").status, 404);
  EXPECT_EQ(Get("/v2/nothing/here").status, 404);
}

TEST_F(GatewayTest, InferJsonAndBinaryBodiesSayWhereTheyRan) {
  Start("straightline");
  HttpResponse r = Post("/v2/models/tiny/infer", testing::JsonBody(raw_, 0, 2, "req-7"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto parsed = v2::ParseResponse(r.body).value();
  EXPECT_EQ(parsed.id, "req-7");
  EXPECT_EQ(parsed.model_name, "tiny");
  ASSERT_EQ(parsed.labels.size(), 2u);
  auto expected = repo_->Find("tiny")->predictor->PredictDense(
      std::span<const float>(raw_.features.data(), 32), 2).value();
  EXPECT_EQ(parsed.labels[0], expected[0].label);
  EXPECT_EQ(parsed.labels[1], expected[1].label);
  std::string tier(r.headers.Get("X-Straightline-Tier"));
  EXPECT_EQ(tier.rfind("local; reason=", 0), 0u) << tier;
  EXPECT_NE(tier.find("local has capacity"), std::string::npos) << tier;
  EXPECT_FALSE(r.headers.Get("X-Straightline-Service-Ms").empty());

  // One sample as raw little-endian FP32 bytes, same answer as the JSON form.
  std::string bytes(reinterpret_cast<const char*>(raw_.features.data()), 16 * sizeof(float));
  HttpResponse b = Post("/v2/models/tiny/versions/1/infer", bytes, "application/octet-stream");
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(v2::ParseResponse(b.body).value().labels[0], expected[0].label);

  // Two samples through the binary tensor data extension (a JSON header, then the raw tensor),
  // as tritonclient sends them; the server metadata lists the extension.
  std::string tensor(reinterpret_cast<const char*>(raw_.features.data()), 32 * sizeof(float));
  nlohmann::json header = {{"id", "bin-1"},
                           {"inputs", {{{"name", "input__0"}, {"shape", {2, 16}}, {"datatype", "FP32"},
                                        {"parameters", {{"binary_data_size", tensor.size()}}}}}}};
  const std::string h = header.dump();
  HttpResponse e = Post("/v2/models/tiny/infer", h + tensor, "application/octet-stream", std::to_string(h.size()));
  ASSERT_EQ(e.status, 200) << e.body;
  auto ext = v2::ParseResponse(e.body).value();
  EXPECT_EQ(ext.id, "bin-1");
  EXPECT_EQ(ext.labels, parsed.labels);
  HttpResponse bad = Post("/v2/models/tiny/infer", h + tensor, "application/octet-stream", "12abc");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(ErrorOf(bad).find("Inference-Header-Content-Length"), std::string::npos) << ErrorOf(bad);
  auto meta = nlohmann::json::parse(Get("/v2").body);
  EXPECT_EQ(meta["extensions"], nlohmann::json({"binary_tensor_data"}));
}

TEST_F(GatewayTest, BadInputGetsANamed4xxAndTheServerKeepsServing) {
  Start("straightline", {}, {}, milliseconds(50000), /*max_body=*/4096);
  HttpResponse bad_json = Post("/v2/models/tiny/infer", "{\"inputs\": [");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_FALSE(ErrorOf(bad_json).empty());

  nlohmann::json wrong_shape = {{"inputs", {{{"name", "input__0"}, {"shape", {1, 5}},
                                             {"datatype", "FP32"}, {"data", {1, 2, 3, 4, 5}}}}}};
  HttpResponse shape = Post("/v2/models/tiny/infer", wrong_shape.dump());
  EXPECT_EQ(shape.status, 400);
  EXPECT_NE(ErrorOf(shape).find("inputs[0]"), std::string::npos) << ErrorOf(shape);

  nlohmann::json wrong_type = {{"inputs", {{{"name", "input__0"}, {"shape", {1, 16}},
                                            {"datatype", "FP32"},
                                            {"data", std::vector<std::string>(16, "x")}}}}};
  EXPECT_EQ(Post("/v2/models/tiny/infer", wrong_type.dump()).status, 400);

  HttpResponse unknown = Post("/v2/models/nope/infer", testing::JsonBody(raw_, 0, 1));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(ErrorOf(unknown).find("unknown model 'nope'"), std::string::npos);

  HttpResponse ctype = Post("/v2/models/tiny/infer", "a,b", "text/csv");
  EXPECT_EQ(ctype.status, 415);
  EXPECT_NE(ErrorOf(ctype).find("text/csv"), std::string::npos);

  HttpResponse too_big = Post("/v2/models/tiny/infer", std::string(8192, ' '));
  EXPECT_EQ(too_big.status, 413);
  EXPECT_NE(ErrorOf(too_big).find("exceeds 4096 bytes"), std::string::npos) << too_big.body;

  HttpResponse method = Get("/v2/models/tiny/infer");
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.headers.Get("Allow"), "POST");

  EXPECT_EQ(Post("/v2/models/tiny/infer", testing::JsonBody(raw_, 0, 1)).status, 200);
  Gateway::Counts c = gateway_->counts();
  EXPECT_EQ(c.ok, 1);
  EXPECT_GE(c.client_error, 5);
}

// Holds the local tier's only worker until released.
struct Hold {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int started = 0;
  void Wait() {
    std::unique_lock<std::mutex> l(mu);
    ++started;
    cv.notify_all();
    cv.wait(l, [&] { return open; });
  }
  void WaitStarted() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return started > 0; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

TEST_F(GatewayTest, EveryTierFullGives429WithRetryAfterAndTimeoutGives504) {
  Hold hold;
  LocalTierOptions lo;
  lo.threads = 1;
  lo.max_batch = 1;
  lo.queue_limit = 1;
  lo.on_batch_start = [&](int64_t) { hold.Wait(); };
  lo.run_lone_requests_inline = false;  // hold the worker, not the server's HTTP thread
  Start("local", lo, {}, milliseconds(300));
  const std::string body = testing::JsonBody(raw_, 0, 1);
  auto running = std::async(std::launch::async, [&] {
    HttpClient c;
    HttpHeaders h;
    h.Set("Content-Type", "application/json");
    return c.Post(base_ + "/v2/models/tiny/infer", body, h);
  });
  hold.WaitStarted();
  auto queued = std::async(std::launch::async, [&] {
    HttpClient c;
    HttpHeaders h;
    h.Set("Content-Type", "application/json");
    return c.Post(base_ + "/v2/models/tiny/infer", body, h);
  });
  while (local_->State().queued < 1) std::this_thread::yield();
  // Capacity = queue 1 + 1 worker x batch 1 = 2, both used: the fixed policy refuses.
  HttpResponse refused = Post("/v2/models/tiny/infer", body);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.headers.Get("Retry-After"), "1");
  EXPECT_EQ(std::string(refused.headers.Get("X-Straightline-Tier")).rfind("none; reason=fixed", 0), 0u)
      << refused.headers.Get("X-Straightline-Tier");
  // The held request and the queued one pass the 300 ms deadline: 504 from the gateway's timer.
  auto r1 = running.get();
  auto r2 = queued.get();
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->status, 504);
  EXPECT_EQ(r2->status, 504);
  EXPECT_NE(ErrorOf(*r1).find("timeout"), std::string::npos) << r1->body;
  EXPECT_EQ(refused.headers.Get(kRuleHeader), "fixed");
  EXPECT_EQ(r1->headers.Get(kRuleHeader), "timeout");
  hold.Release();
  while (local_->State().inflight + local_->State().queued > 0) std::this_thread::yield();
  // The server still serves.
  HttpResponse after = Post("/v2/models/tiny/infer", body);
  EXPECT_EQ(after.status, 200);
  Gateway::Counts c = gateway_->counts();
  EXPECT_EQ(c.refused, 1);
  EXPECT_EQ(c.timed_out, 2);
}

// X-Straightline-Frequency counts the requests that reached placement over the window, on the
// gateway's clock (a FakeClock here: 3 requests at one instant, then 1.5 s later), and names F;
// X-Straightline-Rule is the placer's rule.
TEST_F(GatewayTest, AnswersNameFrequencyAgainstThresholdAndTheRule) {
  FakeClock clock;
  clock_ = &clock;
  frequency_threshold_ = 2;
  LocalTierOptions lo;
  lo.clock = &clock;  // request deadlines are on the gateway's clock
  Start("straightline", lo);
  const std::string body = testing::JsonBody(raw_, 0, 1);
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = Post("/v2/models/tiny/infer", body);
    ASSERT_EQ(r.status, 200) << r.body;
    seen.emplace_back(r.headers.Get(kFrequencyHeader));
    EXPECT_EQ(r.headers.Get(kRuleHeader), "local_capacity");
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"f_t=1.000; F=2.000", "f_t=2.000; F=2.000",
                                            "f_t=3.000; F=2.000"}));
  EXPECT_DOUBLE_EQ(gateway_->FrequencyNow(), 3);  // the dashboard's f_t: the same window
  clock.Advance(std::chrono::milliseconds(1500));  // the three fall out of the 1 s window
  EXPECT_DOUBLE_EQ(gateway_->FrequencyNow(), 0);
  HttpResponse later = Post("/v2/models/tiny/infer", body);
  EXPECT_EQ(later.headers.Get(kFrequencyHeader), "f_t=1.000; F=2.000");
  // A request refused before placement (bad input) names no f_t.
  HttpResponse bad = Post("/v2/models/tiny/infer", "{\"inputs\": 7}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.headers.Get(kFrequencyHeader).empty());
}

TEST_F(GatewayTest, ARefusingTierIsRetriedOnceElsewhereUnderAdaptivePlacement) {
  FullTier container(TierKind::kContainer);
  Start("adaptive", {}, {&container});
  HttpResponse r = Post("/v2/models/tiny/infer", testing::JsonBody(raw_, 0, 1));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(container.submitted(), 1);  // chosen first (fastest on paper), refused
  EXPECT_EQ(std::string(r.headers.Get("X-Straightline-Tier")).rfind("local;", 0), 0u);
}

TEST_F(GatewayTest, FixedPolicyToATierThatRefusesIsNotRetried) {
  FullTier function(TierKind::kFunction);
  Start("function", {}, {&function});
  HttpResponse r = Post("/v2/models/tiny/infer", testing::JsonBody(raw_, 0, 1));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(function.submitted(), 1);
}

TEST_F(GatewayTest, MetricsCountRequestsPlacementsAndBatches) {
  Start("straightline");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Post("/v2/models/tiny/infer", testing::JsonBody(raw_, i, 1)).status, 200);
  }
  EXPECT_EQ(Post("/v2/models/tiny/infer", "{").status, 400);
  HttpResponse m = Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find(R"(sl_serve_requests_total{model="tiny",tier="local",outcome="ok"} 3)"),
            std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(sl_serve_requests_total{model="tiny",tier="none",outcome="client_error"} 1)"),
            std::string::npos);
  EXPECT_NE(m.body.find(R"(sl_serve_placements_total{policy="straightline",tier="local",rule="local_capacity"} 3)"),
            std::string::npos);
  EXPECT_NE(m.body.find(R"(sl_serve_request_duration_seconds_count{tier="local"} 3)"),
            std::string::npos);
  EXPECT_NE(m.body.find("sl_serve_local_batch_size_count 3"), std::string::npos);
  EXPECT_NE(m.body.find(R"(sl_serve_tier_replicas{tier="local"})"), std::string::npos);
}

// A binary-extension request of `n` samples of the tiny model (16 FP32 each): a JSON header,
// then n * 64 bytes of tensor, as tritonclient sends a large batch.
struct BinaryBatch {
  std::string body;
  std::string header_length;
};
BinaryBatch MakeBinaryBatch(int64_t n) {
  std::string tensor(static_cast<size_t>(n) * 16 * sizeof(float), '\0');
  nlohmann::json header = {{"inputs", {{{"name", "input__0"}, {"shape", {n, 16}}, {"datatype", "FP32"},
                                        {"parameters", {{"binary_data_size", tensor.size()}}}}}}};
  std::string h = header.dump();
  return {h + tensor, std::to_string(h.size())};
}

// Issue 16: under overload with large binary batches the gateway answered no 429 and grew to
// 4.5 GB. With the only worker held, 12 concurrent 4,096-sample batches (~512 KiB of body and
// tensor each) arrive at a gateway whose requests in flight may hold 1.5 MiB: the ones that fit
// wait for the worker, every other one is answered 429 + Retry-After at once, what is held
// never passes the limit, and all of it is returned when the work is done.
TEST_F(GatewayTest, ConcurrentLargeBatchesOverTheByteBudgetGet429WithoutBeingHeld) {
  max_inflight_bytes_ = 3 << 19;
  max_inflight_samples_ = 0;
  Hold hold;
  LocalTierOptions lo;
  lo.threads = 1;
  lo.on_batch_start = [&](int64_t) { hold.Wait(); };
  lo.run_lone_requests_inline = false;  // hold the worker, not the server's HTTP thread
  Start("local", lo, {}, milliseconds(50000), /*max_body=*/2 << 20);
  const BinaryBatch batch = MakeBinaryBatch(4096);
  auto send = [&] {
    HttpClient c;
    HttpHeaders h;
    h.Set("Content-Type", "application/octet-stream");
    h.Set("Inference-Header-Content-Length", batch.header_length);
    return c.Post(base_ + "/v2/models/tiny/infer", batch.body, h);
  };
  auto first = std::async(std::launch::async, send);
  if (first.wait_for(std::chrono::milliseconds(500)) == std::future_status::ready) {
    auto r = first.get();
    FAIL() << "the first batch was answered at once: "
           << (r.ok() ? std::to_string(r->status) + " " + r->body : r.status().ToString());
  }
  hold.WaitStarted();
  constexpr int kClients = 12;
  std::vector<std::future<Result<HttpResponse>>> rest;
  for (int i = 0; i < kClients; ++i) rest.push_back(std::async(std::launch::async, send));
  // Every one is either refused or waiting in the tier's queue while the worker is still held.
  for (int i = 0; i < 2000 && gateway_->counts().refused_for_admission + local_->State().queued <
                                  kClients; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  const int64_t refused = gateway_->counts().refused_for_admission;
  EXPECT_EQ(refused + local_->State().queued, kClients);
  EXPECT_GE(refused, kClients - 2);  // at most two more fit next to the first
  EXPECT_LE(gateway_->inflight_bytes(), 3 << 19);
  EXPECT_GE(gateway_->inflight_bytes(), 1 << 19);
  HttpResponse m = Get("/metrics");
  EXPECT_NE(m.body.find("sl_serve_admission_refusals_total{resource=\"bytes\"} " +
                        std::to_string(refused)), std::string::npos) << m.body;
  hold.Release();
  auto r0 = first.get();
  ASSERT_TRUE(r0.ok());
  EXPECT_EQ(r0->status, 200) << r0->body;
  int answered_429 = 0, answered_200 = 0;
  for (auto& f : rest) {
    Result<HttpResponse> r = f.get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status == 200) {
      ++answered_200;
      continue;
    }
    EXPECT_EQ(r->status, 429) << r->body;
    EXPECT_EQ(r->headers.Get("Retry-After"), "1");
    EXPECT_EQ(std::string(r->headers.Get("X-Straightline-Tier")).rfind("none; reason=admission", 0), 0u)
        << r->headers.Get("X-Straightline-Tier");
    EXPECT_NE(ErrorOf(*r).find("bytes"), std::string::npos) << r->body;
    ++answered_429;
  }
  EXPECT_EQ(answered_429, refused);
  EXPECT_EQ(answered_200, kClients - refused);
  for (int i = 0; i < 1000 && (gateway_->inflight_bytes() != 0 || gateway_->inflight_samples() != 0); ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(gateway_->inflight_bytes(), 0);
  EXPECT_EQ(gateway_->inflight_samples(), 0);
}

// Admission on work: samples in flight (queued or running in a tier) are bounded too, so a burst
// of big batches is refused before it fills the tier's queue with minutes of work.
TEST_F(GatewayTest, SamplesInFlightOverTheLimitGet429) {
  max_inflight_samples_ = 10000;
  Hold hold;
  LocalTierOptions lo;
  lo.threads = 1;
  lo.on_batch_start = [&](int64_t) { hold.Wait(); };
  lo.run_lone_requests_inline = false;  // hold the worker, not the server's HTTP thread
  Start("local", lo, {}, milliseconds(50000), /*max_body=*/2 << 20);
  const BinaryBatch batch = MakeBinaryBatch(4096);
  auto send = [&] {
    HttpClient c;
    HttpHeaders h;
    h.Set("Content-Type", "application/octet-stream");
    h.Set("Inference-Header-Content-Length", batch.header_length);
    return c.Post(base_ + "/v2/models/tiny/infer", batch.body, h);
  };
  auto running = std::async(std::launch::async, send);
  hold.WaitStarted();
  auto queued = std::async(std::launch::async, send);
  while (gateway_->inflight_samples() < 8192) std::this_thread::yield();
  HttpResponse third = Post("/v2/models/tiny/infer", batch.body, "application/octet-stream",
                            batch.header_length);
  EXPECT_EQ(third.status, 429) << third.body;
  EXPECT_NE(ErrorOf(third).find("samples"), std::string::npos) << third.body;
  // A small request still fits.
  EXPECT_EQ(gateway_->inflight_samples(), 8192);
  hold.Release();
  EXPECT_EQ(running.get()->status, 200);
  EXPECT_EQ(queued.get()->status, 200);
  EXPECT_EQ(Post("/v2/models/tiny/infer", testing::JsonBody(raw_, 0, 1)).status, 200);
}

// Issue 16: 14k unknown model names grew /metrics from 10 KB to 393 MB. Requests for 10,000
// distinct unknown models are all counted in one series, model="__unknown__".
TEST_F(GatewayTest, UnknownModelNamesLeaveMetricsSmall) {
  Start("straightline");
  const size_t before = Get("/metrics").body.size();
  std::atomic<int> not_found{0};
  for (int i = 0; i < 10000; ++i) {
    HttpRequest req;
    req.method = "POST";
    req.path = "/v2/models/no-such-model-" + std::to_string(i) + "/infer";
    req.headers.Set("Content-Type", "application/json");
    req.body = testing::JsonBody(raw_, 0, 1);
    gateway_->Handle(std::move(req), [&](HttpResponse r) {
      if (r.status == 404) not_found.fetch_add(1);
    });
  }
  EXPECT_EQ(not_found.load(), 10000);
  HttpResponse m = Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_LT(m.body.size(), before + 1024) << m.body.size();
  EXPECT_NE(m.body.find(R"(sl_serve_requests_total{model="__unknown__",tier="none",outcome="client_error"} 10000)"),
            std::string::npos) << m.body;
  EXPECT_EQ(m.body.find("no-such-model"), std::string::npos);
}

HttpHeaders Header(std::string name, std::string value) {
  HttpHeaders h;
  h.Set(std::move(name), std::move(value));
  return h;
}

constexpr const char* kToken = "gw-test-token-3f9a1c";
constexpr const char* kKey = "gw-test-api-key-77b2";

TEST_F(GatewayTest, TokenRequiredOnEveryPathButHealthWith401SayingWhatWasWrong) {
  auth_ = std::make_shared<TokenAuthenticator>(std::vector<std::string>{kToken, kKey});
  ::testing::internal::CaptureStderr();
  Start("straightline");
  const HttpHeaders bearer = Header("Authorization", std::string("Bearer ") + kToken);
  const HttpHeaders api_key = Header("X-API-Key", kKey);
  const HttpHeaders wrong = Header("Authorization", "Bearer gw-test-token-3f9a1d");
  std::vector<std::string> bodies;  // every 401 body, to check that no token leaks

  // Health is open by default.
  EXPECT_EQ(Get("/v2/health/live").status, 200);
  EXPECT_EQ(Get("/v2/health/ready").status, 200);

  // Everything else: 401 without a token, with a wrong one, with a malformed one.
  for (const std::string path : {"/v2", "/v2/models/tiny", "/v2/models/tiny/ready", "/metrics",
                                 "/v2/nothing/here"}) {
    HttpResponse none = Get(path);
    EXPECT_EQ(none.status, 401) << path;
    EXPECT_EQ(none.headers.Get("WWW-Authenticate"), R"(Bearer realm="straightline")") << path;
    EXPECT_NE(ErrorOf(none).find("authentication required"), std::string::npos) << none.body;
    HttpResponse bad = Get(path, wrong);
    EXPECT_EQ(bad.status, 401) << path;
    EXPECT_NE(ErrorOf(bad).find("invalid token"), std::string::npos) << bad.body;
    EXPECT_NE(bad.headers.Get("WWW-Authenticate").find(R"(error="invalid_token")"), std::string::npos);
    HttpResponse basic = Get(path, Header("Authorization", "Basic Z3c6dGVzdA=="));
    EXPECT_EQ(basic.status, 401) << path;
    EXPECT_NE(ErrorOf(basic).find("Bearer <token>"), std::string::npos) << basic.body;
    for (auto* r : {&none, &bad, &basic}) bodies.push_back(r->body);
  }
  HttpResponse infer = Post("/v2/models/tiny/infer", testing::JsonBody(raw_, 0, 1));
  EXPECT_EQ(infer.status, 401);
  bodies.push_back(infer.body);
  EXPECT_EQ(gateway_->counts().ok + gateway_->counts().client_error, 0) << "nothing ran unauthenticated";

  // The right token, as a bearer token or as an API key.
  EXPECT_EQ(Get("/v2", bearer).status, 200);
  EXPECT_EQ(Get("/v2", api_key).status, 200);
  EXPECT_EQ(Get("/v2/models/tiny", bearer).status, 200);
  EXPECT_EQ(Get("/v2/nothing/here", bearer).status, 404);  // known only once authenticated
  for (const HttpHeaders& creds : {bearer, api_key}) {
    HttpHeaders h = creds;
    h.Set("Content-Type", "application/json");
    auto r = client_.Post(base_ + "/v2/models/tiny/infer", testing::JsonBody(raw_, 0, 1), h);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << r->body;
  }
  HttpResponse m = Get("/metrics", api_key);
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find(R"(sl_serve_auth_failures_total{reason="missing"} 6)"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(sl_serve_auth_failures_total{reason="rejected"} 5)"), std::string::npos);
  EXPECT_NE(m.body.find(R"(sl_serve_auth_failures_total{reason="malformed"} 5)"), std::string::npos);
  EXPECT_NE(m.body.find(R"(sl_serve_requests_total{model="tiny",tier="local",outcome="ok"} 2)"),
            std::string::npos);

  server_->Stop();
  server_.reset();
  const std::string logs = ::testing::internal::GetCapturedStderr();
  for (const std::string& b : bodies) {
    EXPECT_EQ(b.find(kToken), std::string::npos) << b;
    EXPECT_EQ(b.find(kKey), std::string::npos) << b;
    EXPECT_EQ(b.find("3f9a1d"), std::string::npos) << "the wrong token is not echoed: " << b;
  }
  EXPECT_EQ(logs.find(kToken), std::string::npos);
  EXPECT_EQ(logs.find(kKey), std::string::npos);
}

TEST_F(GatewayTest, HealthRequiresTheTokenWhenNoPathIsOpen) {
  auth_ = std::make_shared<TokenAuthenticator>(std::vector<std::string>{kToken});
  open_paths_ = std::vector<std::string>{};
  Start("straightline");
  EXPECT_EQ(Get("/v2/health/live").status, 401);
  EXPECT_EQ(Get("/v2/health/ready").status, 401);
  const HttpHeaders bearer = Header("Authorization", std::string("Bearer ") + kToken);
  EXPECT_EQ(Get("/v2/health/live", bearer).status, 200);
  EXPECT_EQ(Get("/v2/health/ready", bearer).status, 200);
}

TEST_F(GatewayTest, WithoutAuthenticatorEveryPathIsOpen) {
  Start("straightline");
  EXPECT_EQ(Get("/v2").status, 200);
  EXPECT_EQ(Get("/metrics").status, 200);
}

TEST(GatewayCreateTest, RefusesMissingPartsAndDuplicateTiers) {
  TempDir tmp("serve-gateway");
  testing::WriteTinyModel(tmp.Join("tiny"));
  auto repo = ModelRepository::Load({tmp.Join("tiny")}, "").value();
  auto placer = MakePlacer({}).value();
  FullTier a(TierKind::kContainer), b(TierKind::kContainer);
  EXPECT_EQ(Gateway::Create(repo.get(), {}, placer.get(), {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Gateway::Create(repo.get(), {&a, &b}, placer.get(), {}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Gateway::Create(repo.get(), {&a}, nullptr, {}).status().code(), Code::kInvalidArgument);
  GatewayOptions no_tokens;
  no_tokens.auth = std::make_shared<TokenAuthenticator>(std::vector<std::string>{});
  EXPECT_EQ(Gateway::Create(repo.get(), {&a}, placer.get(), no_tokens).status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::serve

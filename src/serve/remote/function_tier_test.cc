// FunctionTier and the worker-side predict handler through the real function platform: real
// straightline-worker instances (forked from the template), a tiny model written in the test.
#include "serve/remote/function_tier.h"

#include <cstring>
#include <future>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "faas/platform.h"
#include "ml/model.h"
#include "ml/predictor.h"
#include "ml/test_util.h"
#include "serve/handler/predict_handler.h"
#include "serve/v2/v2_codec.h"

namespace sl::serve {
namespace {

class FunctionTierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::make_unique<TempDir>("serve-function-tier");
    raw_ = ml::testing::MakeBlobs(12, 3, {1, 2, 3}, 4);
    auto spec = ml::MakeModelSpec("logreg", nullptr, ml::InputSpec::Of(raw_), 3).value();
    ml::Model model = ml::Model::Create(spec, 1).value();
    ml::Manifest m;
    m.model = spec;
    m.class_names = raw_.class_names;
    model_dir_ = tmp_->Join("blobs");
    ASSERT_TRUE(ml::WriteArtifact(model_dir_, m, model.SerializeWeights().value()).ok());
    predictor_ = ml::Predictor::Load(model_dir_).value();
    faas::PlatformOptions po;
    po.state_dir = tmp_->Join("platform");
    auto p = faas::Platform::Create(po);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    platform_ = std::move(*p);
  }
  void TearDown() override {
    if (platform_) platform_->Shutdown();
  }

  FunctionTierOptions Options() {
    FunctionTierOptions o;
    o.model = "blobs";
    o.model_dir = model_dir_;
    o.functions = platform_.get();
    o.memory_mb = 512;
    o.concurrency_limit = 2;
    return o;
  }

  std::string JsonBody(int64_t first, int64_t n) {
    nlohmann::json body = {
        {"id", "r1"},
        {"inputs", {{{"name", "input__0"}, {"shape", {n, 6}}, {"datatype", "FP32"},
                     {"data", std::vector<float>(raw_.features.begin() + first * 6,
                                                 raw_.features.begin() + (first + n) * 6)}}}}};
    return body.dump();
  }

  static InferenceResponse Run(Tier& tier, const std::string& body,
                               const std::string& ct = "application/json",
                               const std::string& model = "blobs", int64_t json_header_bytes = -1) {
    InferenceRequest r;
    r.model = model;
    r.body = body;
    r.content_type = ct;
    r.json_header_bytes = json_header_bytes;
    r.wire_bytes = static_cast<int64_t>(body.size());
    r.deadline = Clock::Real()->Now() + std::chrono::seconds(50);
    std::promise<InferenceResponse> p;
    auto f = p.get_future();
    tier.Submit(std::move(r), [&p](InferenceResponse resp) { p.set_value(std::move(resp)); });
    return f.get();
  }

  std::unique_ptr<TempDir> tmp_;
  ml::Dataset raw_;
  std::string model_dir_;
  std::unique_ptr<ml::Predictor> predictor_;
  std::unique_ptr<faas::Platform> platform_;
};

TEST_F(FunctionTierTest, ColdThenWarmPredictionsMatchTheModel) {
  auto tier_or = FunctionTier::Create(Options());
  ASSERT_TRUE(tier_or.ok()) << tier_or.status().ToString();
  auto& tier = **tier_or;
  EXPECT_EQ(tier.function_name(), "predict-blobs");
  auto info = platform_->GetFunction("predict-blobs");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->spec.handler, "predict");
  EXPECT_EQ(info->spec.reserved_concurrency, 2);

  InferenceResponse cold = Run(tier, JsonBody(0, 3));
  ASSERT_TRUE(cold.status.ok()) << cold.status.ToString();
  EXPECT_TRUE(cold.cold_start);
  EXPECT_GT(cold.cost_usd, 0);
  auto parsed = v2::ParseResponse(cold.body).value();
  auto expected =
      predictor_->PredictDense(std::span<const float>(raw_.features.data(), 18), 3).value();
  ASSERT_EQ(parsed.labels.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(parsed.labels[i], expected[i].label);
    EXPECT_EQ(parsed.class_names[i], expected[i].class_name);
    EXPECT_NEAR(parsed.probabilities[i][1], expected[i].probabilities[1], 1e-5);
  }
  EXPECT_EQ(parsed.model_name, "blobs");
  EXPECT_EQ(parsed.id, "r1");

  InferenceResponse warm = Run(tier, JsonBody(3, 1));
  ASSERT_TRUE(warm.status.ok()) << warm.status.ToString();
  EXPECT_FALSE(warm.cold_start);
  EXPECT_EQ(v2::ParseResponse(warm.body).value().labels[0], expected.size() > 0 ?
            predictor_->PredictDense(std::span<const float>(raw_.features.data() + 18, 6), 1)
                .value()[0].label : -1);

  // A binary body (4*numel little-endian FP32 bytes) travels base64-wrapped.
  std::string bin(6 * sizeof(float), '\0');
  std::memcpy(bin.data(), raw_.features.data(), bin.size());
  InferenceResponse b = Run(tier, bin, "application/octet-stream");
  ASSERT_TRUE(b.status.ok()) << b.status.ToString();
  EXPECT_EQ(v2::ParseResponse(b.body).value().labels[0], expected[0].label);

  // The binary tensor data extension: the header length travels with the body.
  const std::string header = nlohmann::json{{"inputs", {{{"name", "input__0"}, {"shape", {1, 6}}, {"datatype", "FP32"},
                                                         {"parameters", {{"binary_data_size", bin.size()}}}}}}}.dump();
  InferenceResponse e = Run(tier, header + bin, "application/octet-stream", "blobs", static_cast<int64_t>(header.size()));
  ASSERT_TRUE(e.status.ok()) << e.status.ToString();
  EXPECT_EQ(v2::ParseResponse(e.body).value().labels[0], expected[0].label);

  TierState st = tier.State();
  EXPECT_EQ(st.kind, TierKind::kFunction);
  EXPECT_TRUE(st.available);
  EXPECT_EQ(st.capacity, 2);
  EXPECT_EQ(st.replicas, 1);  // one warm instance
  EXPECT_GT(st.start_ms_ewma, 0);
  EXPECT_GT(st.service_ms_ewma, 0);
  EXPECT_GT(st.cost_per_request_usd, 0);
}

TEST_F(FunctionTierTest, BadInputUnknownModelAndThrottles) {
  auto tier_or = FunctionTier::Create(Options());
  ASSERT_TRUE(tier_or.ok()) << tier_or.status().ToString();
  auto& tier = **tier_or;
  nlohmann::json wrong = {{"inputs", {{{"name", "input__0"}, {"shape", {1, 5}},
                                       {"datatype", "FP32"}, {"data", {1, 2, 3, 4, 5}}}}}};
  InferenceResponse r = Run(tier, wrong.dump());
  EXPECT_EQ(r.status.code(), Code::kInvalidArgument) << r.status.ToString();
  EXPECT_NE(r.status.message().find("predict-blobs"), std::string::npos) << r.status.ToString();
  r = Run(tier, "{not json");
  EXPECT_EQ(r.status.code(), Code::kInvalidArgument) << r.status.ToString();
  r = Run(tier, std::string(7, 'x'), "application/octet-stream");  // not numel or 4*numel bytes
  EXPECT_EQ(r.status.code(), Code::kInvalidArgument) << r.status.ToString();
  r = Run(tier, JsonBody(0, 1), "application/json", "other");
  EXPECT_EQ(r.status.code(), Code::kNotFound);

  // Concurrency limit 2: a third request at once is refused with RESOURCE_EXHAUSTED.
  std::vector<std::promise<InferenceResponse>> ps(3);
  std::vector<std::future<InferenceResponse>> fs;
  for (auto& p : ps) fs.push_back(p.get_future());
  for (int i = 0; i < 3; ++i) {
    InferenceRequest req;
    req.model = "blobs";
    req.body = JsonBody(0, 1);
    req.content_type = "application/json";
    // The refusal's callback reads State() as the gateway's re-placement does (a callback run
    // under the tier's lock deadlocked here).
    tier.Submit(std::move(req), [&ps, &tier, i](InferenceResponse resp) {
      if (i == 2) {
        EXPECT_EQ(tier.State().inflight, 2);
      }
      ps[i].set_value(std::move(resp));
    });
  }
  EXPECT_EQ(fs[2].get().status.code(), Code::kResourceExhausted);
  for (int i = 0; i < 2; ++i) {
    InferenceResponse ok = fs[i].get();
    EXPECT_TRUE(ok.status.ok()) << i << ": " << ok.status.ToString();
  }
  tier.Shutdown();
  r = Run(tier, JsonBody(0, 1));
  EXPECT_EQ(r.status.code(), Code::kUnavailable);
}

TEST_F(FunctionTierTest, MissingModelDirFailsAtDeployNamingThePath) {
  // The model directory is mounted into the function's sandbox: a missing one is refused when
  // the function is deployed, before any request, naming the function and the path.
  FunctionTierOptions o = Options();
  o.model = "gone";
  o.model_dir = tmp_->Join("no-such-model");
  auto tier_or = FunctionTier::Create(o);
  ASSERT_FALSE(tier_or.ok());
  EXPECT_NE(tier_or.status().message().find("no-such-model"), std::string::npos) << tier_or.status().ToString();
  EXPECT_NE(tier_or.status().message().find("predict-gone"), std::string::npos) << tier_or.status().ToString();
}

TEST(PredictPayload, JsonAsIsBinaryWrapped) {
  EXPECT_EQ(EncodePredictPayload("application/json", "{\"inputs\":[]}"), "{\"inputs\":[]}");
  auto j = nlohmann::json::parse(EncodePredictPayload("image/png", "\x89PNG"));
  EXPECT_EQ(j["content_type"], "image/png");
  EXPECT_EQ(j["body_base64"], "iVBORw==");
  Status s = ErrorToStatus(R"({"errorMessage":"inputs[0].shape: bad","errorType":"INVALID_ARGUMENT"})", "f");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "f: inputs[0].shape: bad");
  EXPECT_EQ(ErrorToStatus(R"({"errorMessage":"Task timed out","errorType":"Runtime.Timeout"})", "f")
                .code(),
            Code::kInternal);
}

}  // namespace
}  // namespace sl::serve

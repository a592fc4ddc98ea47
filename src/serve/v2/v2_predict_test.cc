#include "serve/v2/v2_predict.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "ml/model.h"
#include "ml/test_util.h"

namespace sl::serve::v2 {
namespace {

TEST(V2Predict, RunsTheModelAndEncodes) {
  TempDir tmp("serve-v2-predict");
  ml::Dataset raw = ml::testing::MakeBlobs(8, 3, {1, 2, 3}, 4);
  auto spec = ml::MakeModelSpec("logreg", nullptr, ml::InputSpec::Of(raw), 3).value();
  ml::Model model = ml::Model::Create(spec, 1).value();
  ml::Manifest m;
  m.model = spec;
  m.class_names = raw.class_names;
  m.preprocessing = {{"normalization", {{"mean", {0.5}}, {"std", {0.25}}}}};
  ASSERT_TRUE(ml::WriteArtifact(tmp.Join("m"), m, model.SerializeWeights().value()).ok());
  auto p = ml::Predictor::Load(tmp.Join("m")).value();
  ModelInput in = InputOf(*p);
  EXPECT_EQ(in.shape, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_FALSE(in.text);
  // The metadata says the scale the model takes (issue 17: 0..255 JSON pixels saturate silently).
  EXPECT_NE(in.scale.find("FP32 pixel values / 255, in [0, 1] (not 0..255), shape [n,1,2,3] or [n,6]"),
            std::string::npos) << in.scale;
  EXPECT_NE(in.scale.find("the model normalises them itself ({\"mean\":[0.5],\"std\":[0.25]})"),
            std::string::npos) << in.scale;
  nlohmann::json body = {{"id", "a"},
                         {"inputs", {{{"name", "input__0"}, {"shape", {2, 6}},
                                      {"datatype", "FP32"},
                                      {"data", std::vector<float>(raw.features.begin(),
                                                                  raw.features.begin() + 12)}}}}};
  auto req = DecodeRequest("m", "application/json", body.dump(), in).value();
  auto out = RunPredictions(*p, req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto parsed = ParseResponse(*out).value();
  auto expected = p->PredictDense(std::span<const float>(raw.features.data(), 12), 2).value();
  ASSERT_EQ(parsed.labels.size(), 2u);
  EXPECT_EQ(parsed.labels[1], expected[1].label);
  EXPECT_EQ(parsed.class_names[0], expected[0].class_name);
  EXPECT_NEAR(parsed.probabilities[0][2], expected[0].probabilities[2], 1e-6);
  EXPECT_EQ(parsed.id, "a");
  // The predictor refuses input of the wrong size (a request not from the codec).
  req.dense.pop_back();
  EXPECT_EQ(RunPredictions(*p, req).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::serve::v2

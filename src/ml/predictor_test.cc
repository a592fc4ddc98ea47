#include "ml/predictor.h"

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "ml/data/text_featurizer.h"
#include "ml/model.h"
#include "ml/test_util.h"

namespace sl::ml {
namespace {

TEST(Predictor, AppliesTheManifestNormalisation) {
  TempDir tmp("ml-predictor");
  Dataset raw = testing::MakeBlobs(12, 2, {2, 3, 3}, 6);
  const float mean[2] = {0.5f, 0.25f}, std_[2] = {0.2f, 0.4f};
  Dataset normalized = raw;
  for (int64_t i = 0; i < raw.size(); ++i) {
    for (int c = 0; c < 2; ++c) {
      for (int k = 0; k < 9; ++k) {
        float& v = normalized.features[i * 18 + c * 9 + k];
        v = (v - mean[c]) / std_[c];
      }
    }
  }
  auto spec = MakeModelSpec("mlp", {{"hidden", 8}}, InputSpec::Of(raw), 2).value();
  Model model = Model::Create(spec, 2).value();
  Manifest m;
  m.model = spec;
  m.class_names = raw.class_names;
  m.preprocessing = {{"normalization", {{"mean", {0.5, 0.25}}, {"std", {0.2, 0.4}}}}};
  ASSERT_TRUE(WriteArtifact(tmp.Join("m"), m, model.SerializeWeights().value()).ok());
  auto p = Predictor::Load(tmp.Join("m"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto expected = model.PredictProba(normalized).value();
  auto got = (*p)->PredictDataset(raw).value();
  for (int64_t i = 0; i < raw.size(); ++i) {
    EXPECT_NEAR(got[i].probabilities[0], expected[2 * i], 1e-6);
    EXPECT_EQ(got[i].class_name, raw.class_names[got[i].label]);
  }
}

TEST(Predictor, RejectsInputOfTheWrongSizeOrKind) {
  TempDir tmp("ml-predictor");
  Dataset raw = testing::MakeBlobs(4, 2, {4}, 6);
  auto spec = MakeModelSpec("logreg", nullptr, InputSpec::Of(raw), 2).value();
  Model model = Model::Create(spec, 2).value();
  Manifest m;
  m.model = spec;
  m.class_names = raw.class_names;
  ASSERT_TRUE(WriteArtifact(tmp.Join("m"), m, model.SerializeWeights().value()).ok());
  auto p = Predictor::Load(tmp.Join("m")).value();
  std::vector<float> five(5, 0.1f);
  EXPECT_EQ(p->PredictDense(five, 1).status().code(), Code::kInvalidArgument);
  std::vector<int32_t> ids = {1};
  std::vector<int64_t> offsets = {0, 1};
  EXPECT_EQ(p->PredictTokens(ids, offsets).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(p->PredictText("hello").status().code(), Code::kInvalidArgument);
  std::vector<float> eight(8, 0.1f);
  auto two = p->PredictDense(eight, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
}

TEST(Predictor, TokenModelsCheckIdsAndOffsets) {
  TempDir tmp("ml-predictor");
  Dataset data = testing::MakeTokenData(20, 2, 30, 1);
  auto spec = MakeModelSpec("textclf", {{"embed", 4}}, InputSpec::Of(data), 2).value();
  Model model = Model::Create(spec, 2).value();
  Manifest m;
  m.model = spec;
  m.class_names = data.class_names;
  ASSERT_TRUE(WriteArtifact(tmp.Join("m"), m, model.SerializeWeights().value()).ok());
  auto p = Predictor::Load(tmp.Join("m")).value();
  auto all = p->PredictDataset(data);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto expected = model.PredictProba(data).value();
  for (int64_t i = 0; i < data.size(); ++i) EXPECT_EQ((*all)[i].probabilities[1], expected[2 * i + 1]);
  std::vector<int32_t> ids = {1, 99};
  std::vector<int64_t> offsets = {0, 2};
  EXPECT_EQ(p->PredictTokens(ids, offsets).status().code(), Code::kInvalidArgument);
  std::vector<int64_t> bad_offsets = {0, 1};
  EXPECT_EQ(p->PredictTokens(std::vector<int32_t>{1, 2}, bad_offsets).status().code(),
            Code::kInvalidArgument);
  // No featurizer recorded: raw text cannot be featurized.
  EXPECT_EQ(p->PredictText("free money").status().code(), Code::kFailedPrecondition);
}

TEST(Predictor, RawTextGoesThroughTheRecordedFeaturizer) {
  TempDir tmp("ml-predictor");
  data::TextFeaturizerConfig fc;
  fc.vocab_size = 1000;
  auto featurizer = data::TextFeaturizer::Create(fc).value();
  InputSpec in;
  in.kind = SampleKind::kTokens;
  in.vocab_size = fc.vocab_size;
  auto spec = MakeModelSpec("textclf", {{"embed", 8}}, in, 2).value();
  Model model = Model::Create(spec, 4).value();
  Manifest m;
  m.model = spec;
  m.class_names = {"ham", "spam"};
  m.preprocessing = {{"featurizer", fc.ToJson()}};
  ASSERT_TRUE(WriteArtifact(tmp.Join("m"), m, model.SerializeWeights().value()).ok());
  auto p = Predictor::Load(tmp.Join("m"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const std::string text = "Win FREE money now, click here!";
  std::vector<int32_t> ids = featurizer.Featurize(text);
  ASSERT_FALSE(ids.empty());
  std::vector<int64_t> offsets = {0, static_cast<int64_t>(ids.size())};
  auto via_ids = (*p)->PredictTokens(ids, offsets).value();
  auto via_text = (*p)->PredictText(text);
  ASSERT_TRUE(via_text.ok()) << via_text.status().ToString();
  EXPECT_EQ(via_text->probabilities, via_ids[0].probabilities);
  // A manifest whose featurizer does not fit the model's vocabulary is refused.
  fc.vocab_size = 5000;
  m.preprocessing = {{"featurizer", fc.ToJson()}};
  ASSERT_TRUE(WriteArtifact(tmp.Join("bad"), m, model.SerializeWeights().value()).ok());
  auto bad = Predictor::Load(tmp.Join("bad"));
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("manifest.json"), std::string::npos);
}

}  // namespace
}  // namespace sl::ml

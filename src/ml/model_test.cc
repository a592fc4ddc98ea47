#include "ml/model.h"

#include <gtest/gtest.h>

#include "ml/model_spec.h"
#include "ml/test_util.h"
#include "ml/trainer.h"

namespace sl::ml {
namespace {

InputSpec Dense(std::vector<int64_t> shape) {
  InputSpec s;
  s.kind = SampleKind::kDense;
  s.shape = std::move(shape);
  return s;
}

InputSpec Tokens(int64_t vocab) {
  InputSpec s;
  s.kind = SampleKind::kTokens;
  s.vocab_size = vocab;
  return s;
}

TEST(ModelRegistry, ListsTheBuiltInModels) {
  std::vector<std::string> names;
  for (const auto& m : ListModels()) names.push_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"logreg", "mlp", "cnn", "resnet", "textclf"}));
}

TEST(ModelRegistry, FillsDefaultsAndOverrides) {
  auto spec = MakeModelSpec("mlp", {{"hidden", 32}}, Dense({1, 4, 4}), 3);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->hparams["hidden"], 32);
  EXPECT_EQ(spec->hparams["layers"], 2);
  EXPECT_DOUBLE_EQ(spec->hparams["dropout"].get<double>(), 0.0);
}

TEST(ModelRegistry, RejectsUnknownModelHparamAndWrongType) {
  auto a = MakeModelSpec("vgg", nullptr, Dense({1, 4, 4}), 3);
  EXPECT_EQ(a.status().code(), Code::kInvalidArgument);
  EXPECT_NE(a.status().message().find("vgg"), std::string::npos);
  auto b = MakeModelSpec("mlp", {{"width", 3}}, Dense({1, 4, 4}), 3);
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
  EXPECT_NE(b.status().message().find("width"), std::string::npos);
  auto c = MakeModelSpec("mlp", {{"hidden", "big"}}, Dense({1, 4, 4}), 3);
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  auto d = MakeModelSpec("cnn", nullptr, Tokens(100), 2);
  EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
  auto e = MakeModelSpec("textclf", nullptr, Dense({4}), 2);
  EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
}

TEST(ModelRegistry, ParsesTypedHparamsFromFlags) {
  auto h = ParseHparams("cnn", {"conv1=8", "dropout=0.25"});
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ((*h)["conv1"], 8);
  EXPECT_DOUBLE_EQ((*h)["dropout"].get<double>(), 0.25);
  EXPECT_EQ(ParseHparams("cnn", {"conv1=eight"}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseHparams("cnn", {"nope=1"}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseHparams("cnn", {"conv1"}).status().code(), Code::kInvalidArgument);
}

TEST(ModelRegistry, CnnRejectsNonImageInputAtCreation) {
  auto spec = MakeModelSpec("cnn", nullptr, Dense({16}), 2);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(Model::Create(*spec, 1).status().code(), Code::kInvalidArgument);
}

TEST(Model, EveryRegisteredModelBuildsForItsInput) {
  for (const auto& info : ListModels()) {
    const bool resnet = info.name == "resnet";  // needs >= 16x16 (stem=cifar)
    InputSpec in = info.accepts[0] == SampleKind::kDense ? Dense(resnet ? std::vector<int64_t>{3, 16, 16}
                                                                        : std::vector<int64_t>{3, 8, 8})
                                                         : Tokens(50);
    nlohmann::json h = resnet ? nlohmann::json{{"width", 4}, {"stem", "cifar"}} : nlohmann::json();
    auto spec = MakeModelSpec(info.name, h, in, 4);
    ASSERT_TRUE(spec.ok()) << info.name << ": " << spec.status().ToString();
    auto model = Model::Create(*spec, 7);
    ASSERT_TRUE(model.ok()) << info.name << ": " << model.status().ToString();
    EXPECT_GT(model->NumParameters(), 0) << info.name;
  }
}

TEST(ResNet, DefaultsAreResNet18) {
  // torchvision's resnet18 has 11,689,512 parameters with its 1000-class head (512 x 1000 +
  // 1000); with 10 classes: 11,689,512 - 513,000 + 5,130.
  auto spec = MakeModelSpec("resnet", nullptr, Dense({3, 224, 224}), 10);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto m = Model::Create(*spec, 1);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->NumParameters(), 11181642);
}

TEST(ResNet, SmallVariantLearnsAndRefusesTooSmallInputs) {
  auto all = testing::MakeBlobs(240, 2, {3, 16, 16}, 5);
  Dataset train = all.Subset(testing::Range(0, 180)), test = all.Subset(testing::Range(180, 240));
  auto spec = MakeModelSpec("resnet", {{"width", 4}, {"blocks", 1}, {"stem", "cifar"}},
                            InputSpec::Of(train), 2);
  ASSERT_TRUE(spec.ok());
  auto m = Model::Create(*spec, 3).value();
  TrainConfig c;
  c.epochs = 3;
  c.batch_size = 16;  // 180 = 11 x 16 + 4: a short last batch too
  c.threads = 1;
  c.lr = 0.01;
  ASSERT_TRUE(Train(m, train, c).ok());
  auto p = m.PredictProba(test).value();
  int correct = 0;
  for (int i = 0; i < 60; ++i) correct += (p[2 * i + 1] > p[2 * i]) == (test.labels[i] == 1);
  EXPECT_GE(correct, 54);
  EXPECT_EQ(Model::Create(MakeModelSpec("resnet", nullptr, Dense({3, 32, 32}), 2).value(), 1).status().code(),
            Code::kInvalidArgument);  // the imagenet stem needs >= 64x64
  EXPECT_EQ(MakeModelSpec("resnet", {{"stem", 7}}, Dense({3, 64, 64}), 2).status().code(),
            Code::kInvalidArgument);
}

TEST(Model, SameSeedSameWeightsOtherSeedOtherWeights) {
  auto spec = MakeModelSpec("cnn", nullptr, Dense({1, 8, 8}), 3).value();
  auto a = Model::Create(spec, 5).value();
  auto b = Model::Create(spec, 5).value();
  auto c = Model::Create(spec, 6).value();
  EXPECT_EQ(a.FlatParameters(), b.FlatParameters());
  EXPECT_NE(a.FlatParameters(), c.FlatParameters());
}

TEST(Model, WeightsRoundTripThroughBytes) {
  auto spec = MakeModelSpec("mlp", {{"hidden", 16}}, Dense({6}), 3).value();
  auto a = Model::Create(spec, 1).value();
  auto b = Model::Create(spec, 2).value();
  auto bytes = a.SerializeWeights();
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(b.LoadWeights(*bytes, "a.weights").ok());
  EXPECT_EQ(a.FlatParameters(), b.FlatParameters());
  EXPECT_EQ(b.SerializeWeights().value(), *bytes);  // serialisation is deterministic
}

TEST(Model, LoadWeightsRefusesGarbageAndOtherArchitectures) {
  auto spec = MakeModelSpec("mlp", {{"hidden", 16}}, Dense({6}), 3).value();
  auto other = MakeModelSpec("mlp", {{"hidden", 8}}, Dense({6}), 3).value();
  auto a = Model::Create(spec, 1).value();
  auto before = a.FlatParameters();
  Status garbage = a.LoadWeights("definitely not a zip archive", "shard-3.weights");
  EXPECT_EQ(garbage.code(), Code::kDataLoss);
  EXPECT_NE(garbage.message().find("shard-3.weights"), std::string::npos);
  auto bytes = Model::Create(other, 1).value().SerializeWeights().value();
  Status mismatch = a.LoadWeights(bytes, "other.weights");
  EXPECT_EQ(mismatch.code(), Code::kInvalidArgument);
  EXPECT_NE(mismatch.message().find("other.weights"), std::string::npos);
  EXPECT_EQ(a.FlatParameters(), before);
}

TEST(Model, StateBlobRoundTripsAndEqualsTheArchive) {
  // Convolution and linear layers: tensors of rank 1, 2 and 4.
  auto spec = MakeModelSpec("cnn", nullptr, Dense({1, 8, 8}), 3).value();
  auto a = Model::Create(spec, 1).value();
  auto b = Model::Create(spec, 2).value();
  const std::string state = a.SerializeState();
  ASSERT_TRUE(b.LoadWeights(state, "models/v0003.weights").ok());
  EXPECT_EQ(a.FlatParameters(), b.FlatParameters());
  EXPECT_EQ(b.SerializeState(), state);
  // Both formats carry the same state: the models serialize to the same torch archive.
  EXPECT_EQ(b.SerializeWeights().value(), a.SerializeWeights().value());
}

TEST(Model, StateBlobErrorsNameTheSourceOffsetOrTensorAndChangeNothing) {
  auto spec = MakeModelSpec("mlp", {{"hidden", 16}}, Dense({6}), 3).value();
  auto other = MakeModelSpec("mlp", {{"hidden", 8}}, Dense({6}), 3).value();
  auto a = Model::Create(spec, 1).value();
  const auto before = a.FlatParameters();
  const std::string good = Model::Create(spec, 2).value().SerializeState();

  Status truncated = a.LoadWeights(good.substr(0, good.size() - 4), "u.update");
  EXPECT_EQ(truncated.code(), Code::kDataLoss) << truncated.ToString();
  EXPECT_NE(truncated.message().find("u.update: byte "), std::string::npos) << truncated.ToString();
  EXPECT_NE(truncated.message().find("truncated"), std::string::npos) << truncated.ToString();

  Status appended = a.LoadWeights(good + "xx", "u.update");
  EXPECT_EQ(appended.code(), Code::kDataLoss);
  EXPECT_NE(appended.message().find("after the last tensor"), std::string::npos) << appended.ToString();

  EXPECT_EQ(a.LoadWeights(good.substr(0, 12), "u.update").code(), Code::kDataLoss);
  std::string bad_header = good;
  bad_header[16] = '!';
  Status header = a.LoadWeights(bad_header, "u.update");
  EXPECT_EQ(header.code(), Code::kDataLoss);
  EXPECT_NE(header.message().find("byte 16"), std::string::npos) << header.ToString();

  Status mismatch = a.LoadWeights(Model::Create(other, 1).value().SerializeState(), "other.update");
  EXPECT_EQ(mismatch.code(), Code::kInvalidArgument);
  EXPECT_NE(mismatch.message().find("other.update: tensor '"), std::string::npos) << mismatch.ToString();
  EXPECT_EQ(a.FlatParameters(), before);
}

TEST(Model, AverageIsTheWeightedMeanOfParameters) {
  auto spec = MakeModelSpec("logreg", nullptr, Dense({3}), 2).value();
  auto a = Model::Create(spec, 1).value();
  auto b = Model::Create(spec, 2).value();
  std::vector<const Model*> models = {&a, &b};
  std::vector<double> w = {3, 1};
  auto avg = AverageModels(models, w);
  ASSERT_TRUE(avg.ok()) << avg.status().ToString();
  auto pa = a.FlatParameters(), pb = b.FlatParameters(), pm = avg->FlatParameters();
  for (size_t i = 0; i < pm.size(); ++i) EXPECT_NEAR(pm[i], 0.75 * pa[i] + 0.25 * pb[i], 1e-6);
  std::vector<double> only_first = {1, 0};
  EXPECT_EQ(AverageModels(models, only_first).value().FlatParameters(), pa);
  std::vector<double> zero = {0, 0};
  EXPECT_EQ(AverageModels(models, zero).status().code(), Code::kInvalidArgument);
  auto c = Model::Create(MakeModelSpec("logreg", nullptr, Dense({4}), 2).value(), 1).value();
  std::vector<const Model*> mixed = {&a, &c};
  std::vector<double> ones = {1, 1};
  EXPECT_EQ(AverageModels(mixed, ones).status().code(), Code::kInvalidArgument);
}

TEST(Model, FlatParametersRoundTripAndSizeIsChecked) {
  auto spec = MakeModelSpec("textclf", {{"embed", 4}}, Tokens(20), 2).value();
  auto a = Model::Create(spec, 1).value();
  std::vector<float> p(a.NumParameters(), 0.5f);
  ASSERT_TRUE(a.SetFlatParameters(p).ok());
  EXPECT_EQ(a.FlatParameters(), p);
  p.pop_back();
  EXPECT_EQ(a.SetFlatParameters(p).code(), Code::kInvalidArgument);
}

TEST(Model, CloneIsDeep) {
  auto spec = MakeModelSpec("logreg", nullptr, Dense({3}), 2).value();
  auto a = Model::Create(spec, 1).value();
  Model b = a.Clone();
  EXPECT_EQ(a.FlatParameters(), b.FlatParameters());
  std::vector<float> zeros(a.NumParameters(), 0.0f);
  ASSERT_TRUE(b.SetFlatParameters(zeros).ok());
  EXPECT_NE(a.FlatParameters(), b.FlatParameters());
}

TEST(Model, PredictProbaRowsSumToOneAndShapeIsChecked) {
  auto data = testing::MakeBlobs(10, 3, {1, 4, 4}, 1);
  auto spec = MakeModelSpec("cnn", nullptr, InputSpec::Of(data), 3).value();
  auto m = Model::Create(spec, 1).value();
  auto p = m.PredictProba(data, 4);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->size(), 30u);
  for (int i = 0; i < 10; ++i) EXPECT_NEAR((*p)[3 * i] + (*p)[3 * i + 1] + (*p)[3 * i + 2], 1.0, 1e-5);
  auto wrong = testing::MakeBlobs(10, 3, {1, 5, 5}, 1);
  EXPECT_EQ(m.PredictProba(wrong).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::ml

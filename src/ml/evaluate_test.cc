#include "ml/evaluate.h"

#include <gtest/gtest.h>

#include "ml/test_util.h"

namespace sl::ml {
namespace {

// A logreg on 2 features whose weights are the identity: it predicts argmax(features).
Model ArgmaxModel() {
  InputSpec in;
  in.shape = {2};
  auto m = Model::Create(MakeModelSpec("logreg", nullptr, in, 2).value(), 1).value();
  std::vector<float> p = {1, 0, 0, 1, 0, 0};  // weight [2x2] row-major, then bias [2]
  EXPECT_TRUE(m.SetFlatParameters(p).ok());
  return m;
}

TEST(Evaluate, CountsAccuracyPerClassAndConfusion) {
  Dataset d;
  d.name = "tiny";
  d.sample_shape = {2};
  d.class_names = {"cat", "dog"};
  // predicted: 0, 0, 1, 1, 1
  d.features = {1, 0, 0.9f, 0.1f, 0, 1, 0.2f, 0.8f, 0.4f, 0.6f};
  d.labels = {0, 1, 1, 1, 0};
  auto r = Evaluate(ArgmaxModel(), d, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->samples, 5);
  EXPECT_EQ(r->correct, 3);
  EXPECT_DOUBLE_EQ(r->accuracy, 0.6);
  EXPECT_EQ(r->confusion, (std::vector<std::vector<int64_t>>{{1, 1}, {1, 2}}));
  EXPECT_DOUBLE_EQ(r->per_class_accuracy[0], 0.5);
  EXPECT_NEAR(r->per_class_accuracy[1], 2.0 / 3, 1e-12);
  EXPECT_EQ(r->ToJson()["per_class"][1]["class"], "dog");
  EXPECT_NE(r->ToText().find("confusion matrix"), std::string::npos);
}

TEST(Evaluate, RejectsEmptyAndMismatchedData) {
  Dataset d;
  d.name = "empty";
  d.sample_shape = {2};
  d.class_names = {"a", "b"};
  EXPECT_EQ(Evaluate(ArgmaxModel(), d).status().code(), Code::kInvalidArgument);
  auto wrong = testing::MakeBlobs(4, 2, {3}, 1);
  EXPECT_EQ(Evaluate(ArgmaxModel(), wrong).status().code(), Code::kInvalidArgument);
}

TEST(CrossValidate, TrainsKModelsOnDisjointFoldsDeterministically) {
  auto data = testing::MakeBlobs(400, 4, {1, 6, 6}, 8);
  auto spec = MakeModelSpec("mlp", {{"hidden", 32}}, InputSpec::Of(data), 4).value();
  TrainConfig c;
  c.epochs = 3;
  c.batch_size = 32;
  c.lr = 3e-3;
  auto r = CrossValidate(spec, c, data, 4);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->k, 4);
  ASSERT_EQ(r->fold_accuracy.size(), 4u);
  EXPECT_EQ(r->fold_samples, (std::vector<int64_t>{100, 100, 100, 100}));
  EXPECT_GE(r->mean_accuracy, 0.9);
  double mean = 0;
  for (double a : r->fold_accuracy) mean += a / 4;
  EXPECT_NEAR(r->mean_accuracy, mean, 1e-12);
  EXPECT_GE(r->std_accuracy, 0.0);
  auto again = CrossValidate(spec, c, data, 4);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->fold_accuracy, r->fold_accuracy);
  EXPECT_NE(r->ToText().find("4-fold"), std::string::npos);
}

TEST(CrossValidate, UnevenFoldsCoverEverySampleOnce) {
  auto data = testing::MakeBlobs(103, 2, {4}, 8);
  auto spec = MakeModelSpec("logreg", nullptr, InputSpec::Of(data), 2).value();
  TrainConfig c;
  c.epochs = 1;
  auto r = CrossValidate(spec, c, data, 5);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t total = 0;
  for (int64_t n : r->fold_samples) total += n;
  EXPECT_EQ(total, 103);
}

TEST(CrossValidate, RejectsBadK) {
  auto data = testing::MakeBlobs(10, 2, {4}, 8);
  auto spec = MakeModelSpec("logreg", nullptr, InputSpec::Of(data), 2).value();
  EXPECT_EQ(CrossValidate(spec, TrainConfig(), data, 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(CrossValidate(spec, TrainConfig(), data, 11).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::ml

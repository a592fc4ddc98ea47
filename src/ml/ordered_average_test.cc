#include "ml/ordered_average.h"

#include <algorithm>
#include <numeric>

#include <gtest/gtest.h>

#include "ml/model.h"
#include "ml/model_spec.h"
#include "ml/test_util.h"

namespace sl::ml {
namespace {

struct Fixture {
  ModelSpec spec;
  std::vector<Model> models;
  std::vector<const Model*> ptrs;
};

Fixture MakeModels(int n) {
  auto data = testing::MakeBlobs(10, 3, {1, 8, 8}, 1);
  Fixture f;
  f.spec = MakeModelSpec("cnn", nullptr, InputSpec::Of(data), 3).value();
  for (int i = 0; i < n; ++i) f.models.push_back(Model::Create(f.spec, 100 + i).value());
  for (const Model& m : f.models) f.ptrs.push_back(&m);
  return f;
}

TEST(OrderedAverage, AnyArrivalOrderGivesTheBitsOfAverageModelsInto) {
  Fixture f = MakeModels(5);
  const std::vector<double> w = {3, 1, 2, 5, 7};
  Model expected = Model::Create(f.spec, 9).value();
  ASSERT_TRUE(AverageModelsInto(f.ptrs, w, &expected).ok());
  const std::string want = expected.SerializeState();

  auto avg = OrderedAverage::Create(f.spec);
  ASSERT_TRUE(avg.ok()) << avg.status().ToString();
  std::vector<size_t> order(5);
  std::iota(order.begin(), order.end(), 0);
  int permutations = 0;
  do {
    if (permutations++ % 7 != 0) continue;  // a spread of the 120 orders, reusing one accumulator
    ASSERT_TRUE(avg->Begin(w).ok());
    for (size_t k = 0; k < order.size(); ++k) {
      ASSERT_TRUE(avg->Add(order[k], f.ptrs[order[k]]).ok());
      // Folded: the longest prefix 0..j-1 that has arrived.
      size_t prefix = 0;
      while (prefix < 5 && std::find(order.begin(), order.begin() + k + 1, prefix) != order.begin() + k + 1) {
        ++prefix;
      }
      EXPECT_EQ(avg->folded(), prefix);
    }
    Model out = Model::Create(f.spec, 10).value();
    ASSERT_TRUE(avg->Finish(&out).ok());
    EXPECT_EQ(out.SerializeState(), want);
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(OrderedAverage, ErrorsLeaveTheAverageUsable) {
  Fixture f = MakeModels(2);
  auto avg = OrderedAverage::Create(f.spec);
  ASSERT_TRUE(avg.ok());
  EXPECT_EQ(avg->Add(0, f.ptrs[0]).code(), Code::kFailedPrecondition);
  EXPECT_EQ(avg->Begin(std::vector<double>{}).code(), Code::kInvalidArgument);
  EXPECT_EQ(avg->Begin(std::vector<double>{1, -1}).code(), Code::kInvalidArgument);
  EXPECT_EQ(avg->Begin(std::vector<double>{0, 0}).code(), Code::kInvalidArgument);
  const std::vector<double> w = {1, 3};
  ASSERT_TRUE(avg->Begin(w).ok());
  EXPECT_EQ(avg->Add(2, f.ptrs[0]).code(), Code::kInvalidArgument);
  auto other_spec = MakeModelSpec("logreg", nullptr, InputSpec::Of(testing::MakeBlobs(4, 3, {1, 8, 8}, 1)), 3).value();
  Model other = Model::Create(other_spec, 1).value();
  EXPECT_EQ(avg->Add(0, &other).code(), Code::kInvalidArgument);
  ASSERT_TRUE(avg->Add(1, f.ptrs[1]).ok());
  EXPECT_EQ(avg->Add(1, f.ptrs[1]).code(), Code::kInvalidArgument);  // exactly once
  Model out = Model::Create(f.spec, 3).value();
  const std::string before = out.SerializeState();
  EXPECT_EQ(avg->Finish(&out).code(), Code::kFailedPrecondition);  // model 0 is missing
  EXPECT_EQ(out.SerializeState(), before);
  ASSERT_TRUE(avg->Add(0, f.ptrs[0]).ok());
  EXPECT_EQ(avg->folded(), 2u);
  EXPECT_EQ(avg->Finish(&other).code(), Code::kInvalidArgument);
  ASSERT_TRUE(avg->Finish(&out).ok());
  Model expected = Model::Create(f.spec, 3).value();
  ASSERT_TRUE(AverageModelsInto(f.ptrs, w, &expected).ok());
  EXPECT_EQ(out.SerializeState(), expected.SerializeState());
}

}  // namespace
}  // namespace sl::ml

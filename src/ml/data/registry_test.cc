#include "ml/data/registry.h"

#include <chrono>
#include <cmath>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "ml/data/idx.h"
#include "ml/data/test_fixtures.h"

namespace sl::ml::data {
namespace {

using testing::Gzip;
using testing::IdxImages;
using testing::IdxLabels;
using testing::WriteBytes;

// An MNIST-layout directory: 100 train (10 per class), 20 test; images gz, labels raw.
void MakeMnistDir(const TempDir& dir) {
  std::vector<uint8_t> train, test;
  for (int i = 0; i < 100; ++i) train.push_back(static_cast<uint8_t>(i % 10));
  for (int i = 0; i < 20; ++i) test.push_back(static_cast<uint8_t>((i * 3) % 10));
  WriteBytes(dir.Join("train-images-idx3-ubyte.gz"), Gzip(IdxImages(100, 6, 5)));
  WriteBytes(dir.Join("train-labels-idx1-ubyte"), IdxLabels(train));
  WriteBytes(dir.Join("t10k-images-idx3-ubyte"), IdxImages(20, 6, 5));
  WriteBytes(dir.Join("t10k-labels-idx1-ubyte.gz"), Gzip(IdxLabels(test)));
}

std::vector<int64_t> ClassCounts(const Dataset& d) {
  std::vector<int64_t> c(d.num_classes(), 0);
  for (int64_t l : d.labels) ++c[l];
  return c;
}

TEST(Registry, UnknownDatasetListsTheKnownOnes) {
  DatasetOptions o;
  o.name = "imagenet";
  auto r = LoadDataset(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  for (const auto& info : KnownDatasets()) {
    EXPECT_NE(r.status().message().find(info.name), std::string::npos) << r.status().ToString();
  }
  EXPECT_NE(r.status().message().find("'imagenet'"), std::string::npos);
}

TEST(Registry, MnistNeedsAPathAndNamesAMissingDirectory) {
  DatasetOptions o;
  o.name = "mnist";
  auto r = LoadDataset(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  o.path = "/nonexistent/mnist-dir";
  auto r2 = LoadDataset(o);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), Code::kNotFound);
  EXPECT_NE(r2.status().message().find("/nonexistent/mnist-dir"), std::string::npos);
}

TEST(Registry, MissingIdxFileIsNamedWithBothSpellings) {
  TempDir dir("mnist");
  MakeMnistDir(dir);
  ASSERT_EQ(std::remove(dir.Join("t10k-labels-idx1-ubyte.gz").c_str()), 0);
  DatasetOptions o;
  o.name = "mnist";
  o.path = dir.path();
  auto r = LoadDataset(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("t10k-labels-idx1-ubyte.gz"), std::string::npos)
      << r.status().ToString();
}

TEST(Registry, SplitsAreStratifiedDeterministicAndSeedDependent) {
  TempDir dir("mnist");
  MakeMnistDir(dir);
  DatasetOptions o;
  o.name = "mnist";
  o.path = dir.path();
  o.seed = 7;
  o.validation_fraction = 0.2;
  o.normalize = false;
  auto a = LoadDataset(o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->train.size(), 80);
  EXPECT_EQ(a->validation.size(), 20);
  EXPECT_EQ(a->test.size(), 20);
  EXPECT_EQ(ClassCounts(a->train), std::vector<int64_t>(10, 8));
  EXPECT_EQ(ClassCounts(a->validation), std::vector<int64_t>(10, 2));
  EXPECT_FALSE(a->normalization.has_value());
  EXPECT_TRUE(a->PreprocessingJson().empty());
  // The official test split keeps the file's order.
  EXPECT_EQ(a->test.labels[1], 3);

  auto b = LoadDataset(o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->train.labels, b->train.labels);
  EXPECT_EQ(a->train.features, b->train.features);
  EXPECT_EQ(a->validation.features, b->validation.features);

  o.seed = 8;
  auto c = LoadDataset(o);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->train.features, c->train.features);
  EXPECT_EQ(ClassCounts(c->validation), std::vector<int64_t>(10, 2));

  // Train is shuffled, not class-sorted.
  bool sorted = std::is_sorted(a->train.labels.begin(), a->train.labels.end());
  EXPECT_FALSE(sorted);
}

TEST(Registry, TrainLimitCutsOnlyTheTrainSplit) {
  TempDir dir("mnist");
  MakeMnistDir(dir);
  DatasetOptions o;
  o.name = "mnist";
  o.path = dir.path();
  o.train_limit = 13;
  auto r = LoadDataset(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->train.size(), 13);
  EXPECT_EQ(r->validation.size(), 10);
  EXPECT_EQ(r->test.size(), 20);
  o.train_limit = -1;
  EXPECT_EQ(LoadDataset(o).status().code(), Code::kInvalidArgument);
  o.train_limit = 0;
  o.validation_fraction = 1.0;
  EXPECT_EQ(LoadDataset(o).status().code(), Code::kInvalidArgument);
}

TEST(Registry, NormalizationIsComputedOnTrainAndAppliedToAllSplits) {
  TempDir dir("mnist");
  MakeMnistDir(dir);
  DatasetOptions o;
  o.name = "mnist";
  o.path = dir.path();
  o.seed = 3;
  auto raw_opts = o;
  raw_opts.normalize = false;
  auto raw = LoadDataset(raw_opts);
  auto norm = LoadDataset(o);
  ASSERT_TRUE(raw.ok() && norm.ok()) << norm.status().ToString();
  ASSERT_TRUE(norm->normalization.has_value());
  const auto& n = *norm->normalization;
  ASSERT_EQ(n.mean.size(), 1u);
  double sum = 0, sq = 0;
  for (float v : raw->train.features) {
    sum += v;
    sq += double(v) * v;
  }
  const double cnt = static_cast<double>(raw->train.features.size());
  const double mean = sum / cnt, sd = std::sqrt(sq / cnt - mean * mean);
  EXPECT_NEAR(n.mean[0], mean, 1e-5);
  EXPECT_NEAR(n.std[0], sd, 1e-5);
  for (size_t i = 0; i < raw->test.features.size(); i += 17) {
    EXPECT_NEAR(norm->test.features[i], (raw->test.features[i] - n.mean[0]) / n.std[0], 1e-5);
  }
  for (size_t i = 0; i < raw->validation.features.size(); i += 13) {
    EXPECT_NEAR(norm->validation.features[i], (raw->validation.features[i] - n.mean[0]) / n.std[0],
                1e-5);
  }
  auto pre = norm->PreprocessingJson();
  ASSERT_TRUE(pre.contains("normalization"));
  EXPECT_FLOAT_EQ(pre["normalization"]["mean"][0].get<float>(), n.mean[0]);
}

// The real Debian dataset-fashion-mnist files.
TEST(RealData, FashionMnistLoadsCompletelyAndFast) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!PathExists(dir + "/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << dir << " is absent: install the Debian package dataset-fashion-mnist "
                 << "(scripts/install-deps.sh) to run this test";
  }
  auto t0 = Clock::Real()->Now();
  DatasetOptions o;
  o.name = "fashion-mnist";
  auto r = LoadDataset(o);
  const double secs = std::chrono::duration<double>(Clock::Real()->Now() - t0).count();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::printf("[ info ] LoadDataset(fashion-mnist) with normalisation: %.3f s\n", secs);
  EXPECT_EQ(r->train.size() + r->validation.size(), 60000);
  EXPECT_EQ(r->validation.size(), 6000);
  EXPECT_EQ(r->test.size(), 10000);
  EXPECT_EQ(r->train.num_classes(), 10);
  EXPECT_EQ(r->train.class_names[9], "Ankle boot");
  EXPECT_EQ(r->train.sample_shape, (std::vector<int64_t>{1, 28, 28}));
  // Fashion-MNIST is balanced: 6000 per class in train, 1000 in test.
  auto tc = ClassCounts(r->test);
  EXPECT_EQ(tc, std::vector<int64_t>(10, 1000));
  ASSERT_TRUE(r->normalization.has_value());
  EXPECT_NEAR(r->normalization->mean[0], 0.2860, 0.002);  // the published train mean / std
  EXPECT_NEAR(r->normalization->std[0], 0.3530, 0.002);

  // Known raw values: the first train images are Ankle boot, T-shirt/top, T-shirt/top, Dress;
  // the first test image is an Ankle boot.
  auto train = LoadIdxPair(dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz",
                           r->train.class_names, "fashion-mnist");
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  EXPECT_EQ(train->labels[0], 9);
  EXPECT_EQ(train->labels[1], 0);
  EXPECT_EQ(train->labels[2], 0);
  EXPECT_EQ(train->labels[3], 3);
  EXPECT_EQ(r->test.labels[0], 9);
  EXPECT_EQ(r->test.labels[1], 2);
}

}  // namespace
}  // namespace sl::ml::data

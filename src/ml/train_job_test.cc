// End to end through the torch-free job API on a small MNIST-format dataset written by the
// test: TrainModel → artifact → EvaluateArtifact (held-out split and k-fold) → Predictor.
#include "ml/train_job.h"

#include <random>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "ml/artifact.h"
#include "ml/eval_job.h"
#include "ml/predictor.h"

namespace sl::ml {
namespace {

std::string Be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// n 12x12 images; class c (of 10) is a bright 3x3 square at a class-specific spot plus noise.
void WriteIdxPair(const std::string& dir, const std::string& stem, int n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::string images = Be32(0x803) + Be32(n) + Be32(12) + Be32(12);
  std::string labels = Be32(0x801) + Be32(n);
  for (int i = 0; i < n; ++i) {
    const int c = static_cast<int>(gen() % 10);
    labels.push_back(static_cast<char>(c));
    const int r0 = (c / 4) * 4, c0 = (c % 4) * 3;
    for (int r = 0; r < 12; ++r) {
      for (int k = 0; k < 12; ++k) {
        bool on = r >= r0 && r < r0 + 3 && k >= c0 && k < c0 + 3;
        int v = (on ? 200 : 20) + static_cast<int>(gen() % 40);
        images.push_back(static_cast<char>(v));
      }
    }
  }
  ASSERT_TRUE(WriteFileAtomic(dir + "/" + stem + "-images-idx3-ubyte", images).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/" + stem + "-labels-idx1-ubyte", labels).ok());
}

class TrainJob : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteIdxPair(tmp_.path(), "train", 600, 1);
    WriteIdxPair(tmp_.path(), "t10k", 200, 2);
  }
  TrainOptions Options(const std::string& model) {
    TrainOptions o;
    o.data.name = "mnist";
    o.data.path = tmp_.path();
    o.data.seed = 3;
    o.model = model;
    o.train.epochs = 3;
    o.train.batch_size = 32;
    o.train.lr = 3e-3;
    o.train.seed = 3;
    o.out_dir = tmp_.Join("models/" + model);
    return o;
  }
  TempDir tmp_{"ml-train-job"};
};

TEST_F(TrainJob, TrainsWritesArtifactAndEvalReproducesItsTestAccuracy) {
  auto r = TrainModel(Options("cnn"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->validation && r->test);
  // 10% of the 600-sample pool is held out for validation, stratified per class.
  EXPECT_EQ(r->train_samples + r->validation->samples, 600);
  EXPECT_NEAR(r->validation->samples, 60, 5);
  EXPECT_EQ(r->test->samples, 200);
  EXPECT_GE(r->test->accuracy, 0.9);
  EXPECT_EQ(r->stats.epochs_completed, 3);

  auto a = ReadArtifact(tmp_.Join("models/cnn"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const Manifest& m = a->manifest;
  EXPECT_EQ(m.dataset["name"], "mnist");
  EXPECT_EQ(m.dataset["split"]["seed"], 3);
  EXPECT_TRUE(m.preprocessing.contains("normalization"));
  EXPECT_EQ(m.model.input.shape, (std::vector<int64_t>{1, 12, 12}));
  EXPECT_DOUBLE_EQ(m.metrics["test"]["accuracy"].get<double>(), r->test->accuracy);
  EXPECT_EQ(m.training["config"]["epochs"], 3);
  // The per-epoch series: the trainer's epoch losses, the validation split scored at each
  // epoch's end, the last one the final model's validation report.
  ASSERT_EQ(r->epochs.size(), 3u);
  const nlohmann::json& epochs = m.training["epochs"];
  ASSERT_EQ(epochs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(epochs[i]["epoch"], static_cast<int64_t>(i + 1));
    EXPECT_DOUBLE_EQ(epochs[i]["train_loss"].get<double>(), r->stats.epoch_loss[i]);
    EXPECT_GT(epochs[i]["validation_loss"].get<double>(), 0);
    EXPECT_GE(epochs[i]["validation_accuracy"].get<double>(), 0);
    EXPECT_GT(epochs[i]["seconds"].get<double>(), 0);
  }
  EXPECT_LT(epochs[2]["train_loss"].get<double>(), epochs[0]["train_loss"].get<double>());
  EXPECT_DOUBLE_EQ(epochs[2]["validation_accuracy"].get<double>(), r->validation->accuracy);
  EXPECT_DOUBLE_EQ(epochs[2]["validation_loss"].get<double>(), r->validation->loss);
  EXPECT_EQ(r->ToJson()["epochs"], epochs);

  // eval re-loads the raw data and applies the artifact's normalisation: same numbers.
  EvalOptions e;
  e.model_dir = tmp_.Join("models/cnn");
  e.data_dir = tmp_.path();
  auto ev = EvaluateArtifact(e);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->eval.correct, r->test->correct);
  EXPECT_EQ(ev->eval.confusion, r->test->confusion);
  e.split = "validation";
  auto val = EvaluateArtifact(e);
  ASSERT_TRUE(val.ok()) << val.status().ToString();
  EXPECT_EQ(val->eval.correct, r->validation->correct);
}

TEST_F(TrainJob, KFoldOfTheArtifactsArchitecture) {
  auto o = Options("mlp");
  o.hparams = {{"hidden", 32}};
  ASSERT_TRUE(TrainModel(o).ok());
  EvalOptions e;
  e.model_dir = o.out_dir;
  e.data_dir = tmp_.path();
  e.kfold = 3;
  auto r = EvaluateArtifact(e);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->kfold);
  ASSERT_EQ(r->kfold->fold_samples.size(), 3u);
  int64_t total = 0;
  for (int64_t n : r->kfold->fold_samples) {
    EXPECT_NEAR(n, 180, 3);
    total += n;
  }
  EXPECT_EQ(total, ReadArtifact(o.out_dir).value().manifest.dataset["train_samples"].get<int64_t>());
  EXPECT_GE(r->kfold->mean_accuracy, 0.85);
  EXPECT_TRUE(r->ToJson()["kfold"].is_object());
}

TEST_F(TrainJob, SameSeedSameArtifactWeights) {
  auto o = Options("logreg");
  ASSERT_TRUE(TrainModel(o).ok());
  std::string first = ReadArtifact(o.out_dir).value().manifest.weights_sha256;
  ASSERT_TRUE(TrainModel(o).ok());
  EXPECT_EQ(ReadArtifact(o.out_dir).value().manifest.weights_sha256, first);
}

TEST_F(TrainJob, BadOptionsFailBeforeWritingAnything) {
  auto o = Options("resnet");
  auto r = TrainModel(o);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  o = Options("cnn");
  o.hparams = {{"conv9", 3}};
  EXPECT_EQ(TrainModel(o).status().code(), Code::kInvalidArgument);
  o = Options("textclf");  // image data
  EXPECT_EQ(TrainModel(o).status().code(), Code::kInvalidArgument);
  o = Options("cnn");
  o.data.path = tmp_.Join("nowhere");
  EXPECT_EQ(TrainModel(o).status().code(), Code::kNotFound);
  EXPECT_FALSE(PathExists(tmp_.Join("models")));
  EvalOptions e;
  e.model_dir = tmp_.Join("models/none");
  EXPECT_EQ(EvaluateArtifact(e).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace sl::ml

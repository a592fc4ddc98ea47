#include "ml/trainer.h"

#include <gtest/gtest.h>

#include "ml/evaluate.h"
#include "ml/test_util.h"

namespace sl::ml {
namespace {

Model Fresh(const std::string& name, const Dataset& d, nlohmann::json hparams = nullptr, uint64_t seed = 1) {
  auto spec = MakeModelSpec(name, hparams, InputSpec::Of(d), d.num_classes());
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  return Model::Create(*spec, seed).value();
}

double Accuracy(const Model& m, const Dataset& d) {
  auto r = Evaluate(m, d);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->accuracy : 0;
}

class RecordingSink : public ProgressSink {
 public:
  void Update(const ProgressEvent& e) override { updates.push_back(e); }
  void EpochDone(const ProgressEvent& e) override { epochs.push_back(e); }
  void Finish() override { ++finished; }
  double interval_seconds() const override { return 0; }
  std::vector<ProgressEvent> updates, epochs;
  int finished = 0;
};

struct Case {
  const char* model;
  const char* optimizer;
  double lr;
};

class LearnsBlobs : public ::testing::TestWithParam<Case> {};

TEST_P(LearnsBlobs, ReachesHighHeldOutAccuracy) {
  auto all = testing::MakeBlobs(800, 4, {1, 8, 8}, 11);
  Dataset train = all.Subset(testing::Range(0, 600)), test = all.Subset(testing::Range(600, 800));
  Model m = Fresh(GetParam().model, train);
  TrainConfig c;
  c.optimizer = GetParam().optimizer;
  c.lr = GetParam().lr;
  c.epochs = 5;
  c.batch_size = 32;
  c.threads = 1;
  auto before = Accuracy(m, test);
  auto stats = Train(m, train, c);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->epochs_completed, 5);
  EXPECT_EQ(stats->steps, 5 * 19);
  EXPECT_EQ(stats->samples, 5 * 600);
  ASSERT_EQ(stats->epoch_loss.size(), 5u);
  EXPECT_LT(stats->epoch_loss.back(), stats->epoch_loss.front());
  EXPECT_GE(Accuracy(m, test), 0.95) << "before training: " << before;
}

INSTANTIATE_TEST_SUITE_P(Models, LearnsBlobs,
                         ::testing::Values(Case{"logreg", "sgd", 0.1}, Case{"mlp", "adam", 1e-3},
                                           Case{"cnn", "adam", 2e-3}, Case{"cnn", "sgd", 0.05}),
                         [](const auto& info) {
                           return std::string(info.param.model) + "_" + info.param.optimizer;
                         });

TEST(Train, TextClassifierLearnsTokenData) {
  auto data = testing::MakeTokenData(900, 3, 300, 5);
  std::vector<int64_t> tr, te;
  for (int64_t i = 0; i < data.size(); ++i) (i < 600 ? tr : te).push_back(i);
  Dataset train = data.Subset(tr), test = data.Subset(te);
  Model m = Fresh("textclf", train, {{"embed", 16}});
  TrainConfig c;
  c.lr = 0.02;
  c.epochs = 4;
  c.batch_size = 32;
  ASSERT_TRUE(Train(m, train, c).ok());
  EXPECT_GE(Accuracy(m, test), 0.95);
}

TEST(Train, SameSeedGivesBitIdenticalWeights) {
  auto data = testing::MakeBlobs(300, 3, {1, 8, 8}, 3);
  TrainConfig c;
  c.epochs = 2;
  c.seed = 42;
  c.threads = 2;
  Model a = Fresh("cnn", data, {{"dropout", 0.3}}, 9), b = Fresh("cnn", data, {{"dropout", 0.3}}, 9);
  ASSERT_TRUE(Train(a, data, c).ok());
  ASSERT_TRUE(Train(b, data, c).ok());
  EXPECT_EQ(a.SerializeWeights().value(), b.SerializeWeights().value());
  Model d = Fresh("cnn", data, {{"dropout", 0.3}}, 9);
  c.seed = 43;  // other shuffle and dropout masks
  ASSERT_TRUE(Train(d, data, c).ok());
  EXPECT_NE(a.FlatParameters(), d.FlatParameters());
}

// Evaluating at every epoch's end (what `straightline train` does for its per-epoch series)
// leaves the weights bit-identical to a run without it, dropout included; the hook sees each
// epoch once with the epoch's mean loss, and its error stops training.
TEST(Train, EpochEndHookSeesEachEpochAndDoesNotChangeTheWeights) {
  auto data = testing::MakeBlobs(300, 3, {1, 8, 8}, 3);
  TrainConfig c;
  c.epochs = 3;
  c.seed = 42;
  c.threads = 2;
  Model a = Fresh("cnn", data, {{"dropout", 0.3}}, 9), b = Fresh("cnn", data, {{"dropout", 0.3}}, 9);
  auto plain = Train(a, data, c);
  ASSERT_TRUE(plain.ok());
  std::vector<int64_t> epochs;
  std::vector<double> losses, accuracies;
  auto hooked = Train(b, data, c, nullptr, Clock::Real(), [&](int64_t epoch, double loss) -> Status {
    epochs.push_back(epoch);
    losses.push_back(loss);
    SL_ASSIGN_OR_RETURN(EvalReport e, Evaluate(b, data));
    accuracies.push_back(e.accuracy);
    return Status::Ok();
  });
  ASSERT_TRUE(hooked.ok());
  EXPECT_EQ(a.SerializeWeights().value(), b.SerializeWeights().value());
  EXPECT_EQ(epochs, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(losses, hooked->epoch_loss);
  // In eval mode (no dropout): the last epoch's score is the final model's.
  EXPECT_EQ(accuracies.back(), Evaluate(b, data).value().accuracy);

  Model d = Fresh("cnn", data, {}, 9);
  auto stopped = Train(d, data, c, nullptr, Clock::Real(), [](int64_t epoch, double) -> Status {
    return epoch == 2 ? Internal("stop at {}", epoch) : Status::Ok();
  });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().message(), "stop at 2");
}

TEST(Train, MaxStepsRunsExactlyThatManyLocalSteps) {
  auto data = testing::MakeBlobs(100, 2, {4}, 3);
  Model m = Fresh("logreg", data);
  TrainConfig c;
  c.batch_size = 16;  // 7 batches per epoch
  c.max_steps = 10;
  RecordingSink sink;
  auto stats = Train(m, data, c, &sink);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->steps, 10);
  EXPECT_EQ(stats->samples, 100 + 3 * 16);
  EXPECT_EQ(stats->epochs_completed, 1);
  ASSERT_EQ(sink.epochs.size(), 2u);  // one full epoch, one partial
  EXPECT_EQ(sink.epochs[1].step, 10);
  EXPECT_EQ(sink.epochs[1].total_steps, 10);
  EXPECT_EQ(sink.finished, 1);
  EXPECT_EQ(sink.updates.size(), 8u);  // every other batch (interval 0)
}

TEST(Train, InvalidConfigAndIncompatibleDataLeaveTheModelUnchanged) {
  auto data = testing::MakeBlobs(50, 2, {4}, 3);
  Model m = Fresh("logreg", data);
  auto before = m.FlatParameters();
  TrainConfig c;
  c.batch_size = 0;
  EXPECT_EQ(Train(m, data, c).status().code(), Code::kInvalidArgument);
  c = TrainConfig();
  c.optimizer = "rmsprop";
  auto s = Train(m, data, c).status();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("rmsprop"), std::string::npos);
  auto other = testing::MakeBlobs(50, 2, {5}, 3);
  EXPECT_EQ(Train(m, other, TrainConfig()).status().code(), Code::kInvalidArgument);
  auto bad_label = data;
  bad_label.labels[7] = 5;
  auto bl = Train(m, bad_label, TrainConfig()).status();
  EXPECT_EQ(bl.code(), Code::kInvalidArgument);
  EXPECT_NE(bl.message().find("sample 7"), std::string::npos);
  EXPECT_EQ(m.FlatParameters(), before);
}

TEST(Train, ConfigRoundTripsThroughJson) {
  TrainConfig c;
  c.optimizer = "sgd";
  c.lr = 0.5;
  c.max_steps = 3;
  c.seed = 77;
  auto back = TrainConfig::FromJson(c.ToJson(), "x");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToJson(), c.ToJson());
  EXPECT_EQ(TrainConfig::FromJson({{"lr", "fast"}}, "cfg.json").status().code(), Code::kInvalidArgument);
}

// The serverless trainer's round: shards train locally from the same global weights, the
// coordinator averages them. The average must be a usable model.
TEST(Train, LocalStepsOnShardsThenAveragingLearns) {
  auto data = testing::MakeBlobs(800, 4, {16}, 21);
  std::vector<int64_t> s0, s1, te;
  // Labels cycle i % 4, so contiguous halves hold every class (an IID split).
  for (int64_t i = 0; i < 800; ++i) (i >= 600 ? te : (i < 300 ? s0 : s1)).push_back(i);
  Dataset shard0 = data.Subset(s0), shard1 = data.Subset(s1), test = data.Subset(te);
  Model global = Fresh("mlp", shard0, {{"hidden", 32}});
  TrainConfig c;
  c.max_steps = 30;
  c.batch_size = 32;
  c.lr = 1e-2;
  const double before = Accuracy(global, test);
  for (int round = 0; round < 4; ++round) {
    std::string bytes = global.SerializeWeights().value();
    std::vector<Model> workers;
    for (const Dataset* shard : {&shard0, &shard1}) {
      Model w = Model::Create(global.spec(), 0).value();
      ASSERT_TRUE(w.LoadWeights(bytes, "global").ok());
      c.seed = 100 + round;
      ASSERT_TRUE(Train(w, *shard, c).ok());
      workers.push_back(std::move(w));
    }
    std::vector<const Model*> ptrs = {&workers[0], &workers[1]};
    std::vector<double> sizes = {300, 300};
    global = AverageModels(ptrs, sizes).value();
  }
  EXPECT_GE(Accuracy(global, test), 0.9) << "before: " << before;
}

}  // namespace
}  // namespace sl::ml

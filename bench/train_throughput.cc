// train_throughput: training throughput (samples/s) of the `cnn` model on Fashion-MNIST through
// straightline's own training loop (ml::Train, the code `straightline train` runs). Its PyTorch
// peer is train_throughput_pytorch.py (same architecture, batch size, optimizer and thread
// count); train_throughput.sh runs both in one go and prints the ratio.
//
//   train_throughput [--threads N] [--batch-size 64] [--steps 400] [--warmup 30] [--eval-batch 64] [--json]
// Also prints the evaluation (forward-only) throughput of the trained model through ml::Evaluate.
#include <chrono>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/malloc_tuning.h"
#include "common/clock.h"
#include "common/flags.h"
#include "ml/data/registry.h"
#include "ml/evaluate.h"
#include "ml/model.h"
#include "ml/trainer.h"

int main(int argc, char** argv) {
  sl::TuneMallocForTensorWork();  // before any thread starts; see common/malloc_tuning.h
  using namespace sl;
  FlagSet flags("train_throughput", "Training throughput of the cnn on Fashion-MNIST (samples/s).");
  std::string data_dir, model = "cnn";
  int64_t threads = 1, batch_size = 64, steps = 400, warmup = 30, limit = 30000;
  int64_t eval_batch = ml::kEvaluateBatch;
  bool json = false;
  flags.String("data-dir", &data_dir, "Fashion-MNIST directory (default: the dataset's default)");
  flags.String("model", &model, "model to train");
  flags.Int("threads", &threads, "libtorch intra-op threads");
  flags.Int("batch-size", &batch_size, "mini-batch size");
  flags.Int("steps", &steps, "timed optimizer steps");
  flags.Int("warmup", &warmup, "untimed optimizer steps before timing");
  flags.Int("limit", &limit, "train samples loaded");
  flags.Int("eval-batch", &eval_batch, "batch size of the evaluation pass");
  flags.Bool("json", &json, "print one JSON object");
  Status s = flags.Parse(std::vector<std::string>(argv + 1, argv + argc));
  if (!s.ok()) {
    fmt::print(stderr, "{}\n", s.message());
    return 2;
  }
  if (flags.help_requested()) {
    fmt::print("{}", flags.Help());
    return 0;
  }
  ml::data::DatasetOptions d;
  d.name = "fashion-mnist";
  d.path = data_dir;
  d.seed = 1;
  d.train_limit = limit;
  Result<ml::data::DatasetSplits> splits = ml::data::LoadDataset(d);
  if (!splits.ok()) {
    fmt::print(stderr, "{}\n", splits.status().ToString());
    return 1;
  }
  const ml::Dataset& train = splits->train;
  Result<ml::ModelSpec> spec =
      ml::MakeModelSpec(model, nullptr, ml::InputSpec::Of(train), train.num_classes());
  if (!spec.ok()) {
    fmt::print(stderr, "{}\n", spec.status().ToString());
    return 2;
  }
  Result<ml::Model> m = ml::Model::Create(*spec, 1);
  if (!m.ok()) {
    fmt::print(stderr, "{}\n", m.status().ToString());
    return 1;
  }
  ml::TrainConfig c;
  c.batch_size = batch_size;
  c.threads = static_cast<int>(threads);
  c.lr = 1e-3;
  c.max_steps = warmup;
  if (warmup > 0 && !ml::Train(*m, train, c).ok()) return 1;
  c.max_steps = steps;
  c.seed = 2;
  Result<ml::TrainStats> st = ml::Train(*m, train, c);
  if (!st.ok()) {
    fmt::print(stderr, "{}\n", st.status().ToString());
    return 1;
  }
  // Inference throughput of the trained model through ml::Evaluate (what the serverless
  // coordinator scores each round with), on the train samples loaded.
  const auto e0 = std::chrono::steady_clock::now();
  Result<ml::EvalReport> ev = ml::Evaluate(*m, train, eval_batch);
  if (!ev.ok()) {
    fmt::print(stderr, "{}\n", ev.status().ToString());
    return 1;
  }
  const double eval_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
  const double eval_rate = static_cast<double>(train.size()) / eval_s;
  if (json) {
    nlohmann::json j = {{"impl", "straightline"}, {"model", model},
                        {"threads", threads},      {"batch_size", batch_size},
                        {"steps", st->steps},      {"samples", st->samples},
                        {"seconds", st->seconds},  {"samples_per_second", st->samples_per_second},
                        {"evaluate_samples_per_second", eval_rate}};
    fmt::print("{}\n", j.dump());
  } else {
    fmt::print("straightline {} threads={} batch={}: {} samples in {:.2f} s = {:.0f} samples/s\n", model,
               threads, batch_size, st->samples, st->seconds, st->samples_per_second);
    fmt::print("straightline {} evaluate (batch {}): {} samples in {:.2f} s = {:.0f} samples/s\n", model, eval_batch,
               train.size(), eval_s, eval_rate);
  }
  return 0;
}

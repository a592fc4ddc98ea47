#include "ml/trainer.h"

#include <algorithm>
#include <memory>
#include <numeric>
#include <random>

#include "ml/internal/batcher.h"
#include "ml/internal/model_impl.h"

namespace sl::ml {
namespace {

// Restores eval mode when training ends, however it ends.
struct TrainModeGuard {
  explicit TrainModeGuard(Net& n) : net(n) { net.train(); }
  ~TrainModeGuard() { net.eval(); }
  Net& net;
};

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(Net& net, const TrainConfig& c) {
  if (c.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        net.parameters(),
        torch::optim::SGDOptions(c.lr).momentum(c.momentum).weight_decay(c.weight_decay));
  }
  return std::make_unique<torch::optim::Adam>(
      net.parameters(), torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay));
}

// Fisher–Yates with our own generator: the order depends only on the seed, not on the
// standard library's distribution implementation.
void Shuffle(std::vector<int64_t>& v, uint64_t seed) {
  std::mt19937_64 gen(seed);
  for (size_t i = v.size(); i > 1; --i) {
    size_t j = gen() % i;
    std::swap(v[i - 1], v[j]);
  }
}

}  // namespace

Status TrainConfig::Validate() const {
  if (optimizer != "adam" && optimizer != "sgd") {
    return InvalidArgument("optimizer: '{}' is not 'adam' or 'sgd'", optimizer);
  }
  if (!(lr > 0)) return InvalidArgument("lr: {} must be > 0", lr);
  if (momentum < 0) return InvalidArgument("momentum: {} must be >= 0", momentum);
  if (weight_decay < 0) return InvalidArgument("weight_decay: {} must be >= 0", weight_decay);
  if (batch_size < 1) return InvalidArgument("batch_size: {} must be >= 1", batch_size);
  if (epochs < 1 && max_steps < 1) {
    return InvalidArgument("epochs: {} must be >= 1 (or max_steps > 0)", epochs);
  }
  if (max_steps < 0) return InvalidArgument("max_steps: {} must be >= 0", max_steps);
  if (threads < 0) return InvalidArgument("threads: {} must be >= 0", threads);
  return Status::Ok();
}

nlohmann::json TrainConfig::ToJson() const {
  return {{"optimizer", optimizer}, {"lr", lr},         {"momentum", momentum},
          {"weight_decay", weight_decay}, {"batch_size", batch_size}, {"epochs", epochs},
          {"max_steps", max_steps}, {"seed", seed},     {"threads", threads},
          {"shuffle", shuffle}};
}

Result<TrainConfig> TrainConfig::FromJson(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object()) return InvalidArgument("{}: training config is not an object", where);
  TrainConfig c;
  try {
    c.optimizer = j.value("optimizer", c.optimizer);
    c.lr = j.value("lr", c.lr);
    c.momentum = j.value("momentum", c.momentum);
    c.weight_decay = j.value("weight_decay", c.weight_decay);
    c.batch_size = j.value("batch_size", c.batch_size);
    c.epochs = j.value("epochs", c.epochs);
    c.max_steps = j.value("max_steps", c.max_steps);
    c.seed = j.value("seed", c.seed);
    c.threads = j.value("threads", c.threads);
    c.shuffle = j.value("shuffle", c.shuffle);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument("{}: training config: {}", where, e.what());
  }
  Status s = c.Validate();
  if (!s.ok()) return s.WithContext(fmt::format("{}: training config", where));
  return c;
}

nlohmann::json TrainStats::ToJson() const {
  return {{"steps", steps},     {"samples", samples},
          {"epochs_completed", epochs_completed}, {"seconds", seconds},
          {"samples_per_second", samples_per_second}, {"epoch_loss", epoch_loss}};
}

Result<TrainStats> Train(Model& model, const Dataset& data, const TrainConfig& config,
                         ProgressSink* progress, Clock* clock, const EpochEndHook& on_epoch_end) {
  SL_RETURN_IF_ERROR(config.Validate());
  const ModelSpec& spec = model.spec();
  SL_RETURN_IF_ERROR(CheckCompatible(spec.input, spec.num_classes, data));
  if (data.size() == 0) return InvalidArgument("dataset '{}' is empty", data.name);
  if (config.threads > 0) torch::set_num_threads(config.threads);
  torch::manual_seed(config.seed);

  Net& net = *model.impl().net;
  TrainModeGuard mode(net);
  auto optimizer = MakeOptimizer(net, config);
  Batcher batcher(data);

  const int64_t n = data.size();
  const int64_t batches = (n + config.batch_size - 1) / config.batch_size;
  int64_t epochs = config.epochs;
  int64_t total_steps = epochs * batches;
  if (config.max_steps > 0) {
    epochs = (config.max_steps + batches - 1) / batches;
    total_steps = config.max_steps;
  }

  std::vector<int64_t> order(n);
  torch::Tensor order_t = torch::from_blob(order.data(), {n}, torch::kLong);
  TrainStats stats;
  const TimePoint start = clock->Now();
  TimePoint last_report = start;
  const double interval = progress ? progress->interval_seconds() : 0;

  for (int64_t epoch = 1; epoch <= epochs && stats.steps < total_steps; ++epoch) {
    std::iota(order.begin(), order.end(), 0);
    if (config.shuffle) Shuffle(order, config.seed * 1000003ULL + static_cast<uint64_t>(epoch));
    // The running loss sum stays a tensor; it is read (.item()) only when reported.
    torch::Tensor loss_sum = torch::zeros({}, torch::kDouble);
    int64_t epoch_samples = 0;
    int64_t batch = 0;
    for (int64_t begin = 0; begin < n && stats.steps < total_steps; begin += config.batch_size) {
      const int64_t end = std::min(n, begin + config.batch_size);
      Batch b = batcher.Gather(order_t.slice(0, begin, end));
      optimizer->zero_grad();
      torch::Tensor loss = torch::cross_entropy_loss(net.Forward(b), b.y);
      loss.backward();
      optimizer->step();
      loss_sum.add_(loss.detach(), static_cast<double>(b.size));
      ++batch;
      ++stats.steps;
      epoch_samples += b.size;
      stats.samples += b.size;

      const bool epoch_end = end == n || stats.steps == total_steps;
      if (epoch_end && on_epoch_end) {
        const double epoch_loss = loss_sum.item<double>() / static_cast<double>(epoch_samples);
        net.eval();
        Status s = on_epoch_end(epoch, epoch_loss);
        net.train();
        SL_RETURN_IF_ERROR(s);
      }
      if (progress == nullptr && !epoch_end) continue;
      const TimePoint now = clock->Now();
      if (!epoch_end && SecondsBetween(last_report, now) < interval) continue;
      last_report = now;
      ProgressEvent e;
      e.phase = "train";
      e.epoch = epoch;
      e.epochs = epochs;
      e.batch = batch;
      e.batches = batches;
      e.step = stats.steps;
      e.total_steps = total_steps;
      e.loss = loss_sum.item<double>() / static_cast<double>(epoch_samples);
      e.elapsed_seconds = SecondsBetween(start, now);
      e.samples_per_second = e.elapsed_seconds > 0 ? stats.samples / e.elapsed_seconds : 0;
      e.eta_seconds = stats.steps > 0 ? e.elapsed_seconds / stats.steps * (total_steps - stats.steps) : 0;
      if (epoch_end) {
        stats.epoch_loss.push_back(e.loss);
        if (end == n) ++stats.epochs_completed;
        if (progress) progress->EpochDone(e);
      } else {
        progress->Update(e);
      }
    }
  }
  stats.seconds = SecondsBetween(start, clock->Now());
  stats.samples_per_second = stats.seconds > 0 ? stats.samples / stats.seconds : 0;
  if (progress) progress->Finish();
  return stats;
}

}  // namespace sl::ml

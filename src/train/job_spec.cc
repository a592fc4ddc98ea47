#include "train/job_spec.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

namespace sl::train {

Result<FaultInjection> FaultInjection::Parse(std::string_view text) {
  FaultInjection f;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t c = text.find(':', start);
    parts.emplace_back(text.substr(start, c == std::string_view::npos ? c : c - start));
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  static const char* kKinds[] = {"crash", "hang", "fail", "oom", "corrupt", "slow"};
  bool known = false;
  for (const char* k : kKinds) known |= parts[0] == k;
  if (!known || parts.size() < 2 || parts.size() > 4) {
    return InvalidArgument("fault '{}': expected KIND:SHARD[:ATTEMPT[:ROUND]] with KIND one of "
                           "crash, hang, fail, oom, corrupt, slow", text);
  }
  f.kind = parts[0];
  try {
    f.shard = std::stoll(parts[1]);
    if (parts.size() > 2) f.attempt = std::stoll(parts[2]);
    if (parts.size() > 3) f.round = std::stoll(parts[3]);
  } catch (const std::exception&) {
    return InvalidArgument("fault '{}': SHARD, ATTEMPT and ROUND must be integers", text);
  }
  return f;
}

Status JobSpec::Validate() const {
  if (workers < 1 || workers > 1000) return InvalidArgument("workers: {} not in 1..1000", workers);
  if (epochs < 1) return InvalidArgument("epochs: {} (must be >= 1)", epochs);
  if (rounds_per_epoch < 1) return InvalidArgument("rounds-per-epoch: {} (must be >= 1)", rounds_per_epoch);
  if (evaluate_every < 0) return InvalidArgument("evaluate-every: {} (must be >= 0)", evaluate_every);
  SL_RETURN_IF_ERROR(server.Validate());
  if (lr_schedule != "constant" && lr_schedule != "cosine" && lr_schedule != "tail") {
    return InvalidArgument("lr-schedule: '{}' is not 'constant' or 'cosine'", lr_schedule);
  }
  if (memory_mb < 128) return InvalidArgument("memory: {} MB (must be >= 128)", memory_mb);
  if (preprocess_memory_mb != 0 && preprocess_memory_mb < 128) {
    return InvalidArgument("memory: preprocess={} MB (must be >= 128)", preprocess_memory_mb);
  }
  if (timeout_s <= 0) return InvalidArgument("timeout: {} s (must be > 0)", timeout_s);
  if (max_retries < 0) return InvalidArgument("max-retries: {} (must be >= 0)", max_retries);
  if (speculative_after != 0 && speculative_after < 1) {
    return InvalidArgument("speculative-after: {} (0 = off, else >= 1)", speculative_after);
  }
  return local.Validate();
}

nlohmann::json DatasetOptionsToJson(const ml::data::DatasetOptions& o) {
  return {{"name", o.name},
          {"path", o.path},
          {"seed", o.seed},
          {"validation_fraction", o.validation_fraction},
          {"test_fraction", o.test_fraction},
          {"train_limit", o.train_limit},
          {"normalize", o.normalize},
          {"featurizer", o.featurizer.ToJson()},
          {"image_shape", {o.image_channels, o.image_height, o.image_width}}};
}

Result<ml::data::DatasetOptions> DatasetOptionsFromJson(const nlohmann::json& j, std::string_view where) {
  ml::data::DatasetOptions o;
  try {
    o.name = j.at("name").get<std::string>();
    o.path = j.at("path").get<std::string>();
    o.seed = j.at("seed").get<uint64_t>();
    o.validation_fraction = j.at("validation_fraction").get<double>();
    o.test_fraction = j.at("test_fraction").get<double>();
    o.train_limit = j.at("train_limit").get<int64_t>();
    o.normalize = j.at("normalize").get<bool>();
    if (j.contains("image_shape")) {  // absent in specs written before image folders
      const auto shape = j.at("image_shape").get<std::vector<int64_t>>();
      if (shape.size() != 3) return InvalidArgument("{}: data.image_shape: not [C, H, W]", where);
      o.image_channels = shape[0];
      o.image_height = shape[1];
      o.image_width = shape[2];
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument("{}: data: {}", where, e.what());
  }
  auto f = ml::data::TextFeaturizerConfig::FromJson(j.value("featurizer", nlohmann::json::object()));
  if (!f.ok()) return InvalidArgument("{}: data.featurizer: {}", where, f.status().message());
  o.featurizer = *f;
  return o;
}

nlohmann::json JobSpec::ToJson() const {
  nlohmann::json faults_json = nlohmann::json::array();
  for (const auto& f : faults) {
    faults_json.push_back({{"kind", f.kind}, {"shard", f.shard}, {"attempt", f.attempt}, {"round", f.round}});
  }
  return {{"format", "straightline-serverless-job/1"},
          {"job_id", job_id},
          {"data", DatasetOptionsToJson(data)},
          {"model_name", model_name},
          {"hparams", hparams},
          {"model", model_resolved ? model.ToJson() : nlohmann::json(nullptr)},
          {"local", local.ToJson()},
          {"workers", workers},
          {"epochs", epochs},
          {"rounds_per_epoch", rounds_per_epoch},
          {"provider", provider},
          {"memory_mb", memory_mb},
          {"preprocess_provider", preprocess_provider},
          {"preprocess_memory_mb", preprocess_memory_mb},
          {"timeout_s", timeout_s},
          {"max_retries", max_retries},
          {"speculative_after", speculative_after},
          {"evaluate_every", evaluate_every},
          {"server_lr", server.lr},
          {"server_momentum", server.momentum},
          {"lr_schedule", lr_schedule},
          {"out_dir", out_dir},
          {"faults", faults_json}};
}

JobSpec::Range JobSpec::ShardRange(int64_t train_samples, int64_t shard) const {
  return {train_samples * shard / workers, train_samples * (shard + 1) / workers};
}

JobSpec::Range JobSpec::ChunkRange(int64_t shard_samples, int64_t round) const {
  const int64_t chunk = round % rounds_per_epoch;
  return {shard_samples * chunk / rounds_per_epoch, shard_samples * (chunk + 1) / rounds_per_epoch};
}

int64_t JobSpec::UpdateSamples(int64_t train_samples, int64_t round, int64_t shard) const {
  // ml::Train's TrainStats::samples for the chunk at epochs = 1 (as the train-shard handler
  // runs it): the whole chunk, or with max_steps the samples of that many steps — whole passes
  // over the chunk, then full batches of the next one (only an epoch's last batch is smaller).
  const int64_t n = ChunkRange(ShardRange(train_samples, shard).size(), round).size();
  if (n <= 0 || local.batch_size < 1) return 0;
  if (local.max_steps <= 0) return n;
  const int64_t batches = (n + local.batch_size - 1) / local.batch_size;
  return local.max_steps / batches * n + local.max_steps % batches * local.batch_size;
}

double JobSpec::LocalLr(int64_t round) const {
  if (lr_schedule == "constant" || total_rounds() <= 1) return local.lr;
  if (lr_schedule == "tail") {
    const double total = static_cast<double>(total_rounds());
    const double tail = std::max(1.0, std::round(total * 0.25));
    const double left = total - static_cast<double>(round);  // rounds left, this one included
    return left > tail ? local.lr : local.lr * (left - 0.5) / tail;
  }
  // The middle of the round's share of the job, so the last round still moves (a schedule that
  // reaches zero at the round's start would make it a no-op).
  const double progress = (static_cast<double>(round) + 0.5) / static_cast<double>(total_rounds());
  return local.lr * 0.5 * (1.0 + std::cos(std::numbers::pi * std::min(1.0, progress)));
}

bool JobSpec::EvaluatesAfter(int64_t round) const {
  if (round + 1 == total_rounds()) return true;
  const int64_t every = evaluate_every > 0 ? evaluate_every : rounds_per_epoch;
  return (round + 1) % every == 0;
}

Result<JobSpec> JobSpec::FromJson(const nlohmann::json& j, std::string_view where) {
  JobSpec s;
  try {
    if (j.at("format").get<std::string>() != "straightline-serverless-job/1") {
      return InvalidArgument("{}: format '{}' is not straightline-serverless-job/1", where,
                             j.at("format").get<std::string>());
    }
    s.job_id = j.at("job_id").get<std::string>();
    SL_ASSIGN_OR_RETURN(s.data, DatasetOptionsFromJson(j.at("data"), where));
    s.model_name = j.at("model_name").get<std::string>();
    s.hparams = j.at("hparams");
    if (!j.at("model").is_null()) {
      SL_ASSIGN_OR_RETURN(s.model, ml::ModelSpec::FromJson(j.at("model"), where));
      s.model_resolved = true;
    }
    SL_ASSIGN_OR_RETURN(s.local, ml::TrainConfig::FromJson(j.at("local"), where));
    s.workers = j.at("workers").get<int64_t>();
    s.epochs = j.at("epochs").get<int64_t>();
    s.rounds_per_epoch = j.at("rounds_per_epoch").get<int64_t>();
    s.provider = j.at("provider").get<std::string>();
    s.memory_mb = j.at("memory_mb").get<int64_t>();
    s.preprocess_provider = j.value("preprocess_provider", std::string());  // absent before 2026-12-07
    s.preprocess_memory_mb = j.value("preprocess_memory_mb", int64_t{0});
    s.timeout_s = j.at("timeout_s").get<double>();
    s.max_retries = j.at("max_retries").get<int64_t>();
    s.speculative_after = j.at("speculative_after").get<double>();
    s.server.lr = j.value("server_lr", 1.0);
    s.server.momentum = j.value("server_momentum", 0.0);
    s.lr_schedule = j.value("lr_schedule", std::string("constant"));
    if (j.contains("evaluate_every")) {
      s.evaluate_every = j.at("evaluate_every").get<int64_t>();
    } else if (j.contains("evaluate_every_round")) {  // job.json written before evaluate_every
      s.evaluate_every = j.at("evaluate_every_round").get<bool>() ? 1 : 0;
    }
    s.out_dir = j.at("out_dir").get<std::string>();
    for (const auto& f : j.at("faults")) {
      s.faults.push_back({f.at("round").get<int64_t>(), f.at("shard").get<int64_t>(),
                          f.at("attempt").get<int64_t>(), f.at("kind").get<std::string>()});
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument("{}: {}", where, e.what());
  }
  SL_RETURN_IF_ERROR(s.Validate());
  return s;
}

std::string JobKeys::Shard(int64_t shard) { return fmt::format("shards/shard-{:04d}.bin", shard); }
std::string JobKeys::Model(int64_t version) { return fmt::format("models/v{:04d}.weights", version); }
std::string JobKeys::Velocity(int64_t version) { return fmt::format("models/v{:04d}.velocity", version); }
std::string JobKeys::RoundRecord(int64_t round) { return fmt::format("rounds/r{:04d}.json", round); }
std::string JobKeys::Update(int64_t round, int64_t shard) {
  return fmt::format("updates/r{:04d}/shard-{:04d}.update", round, shard);
}

}  // namespace sl::train

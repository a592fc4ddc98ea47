#include "train/run_record.h"

#include <utility>

namespace sl::train {
namespace {

nlohmann::json AttemptJson(const ShardAttempt& a) {
  return {{"round", a.round},
          {"shard", a.shard},
          {"attempt", a.attempt},
          {"speculative", a.speculative},
          {"request_id", a.request_id},
          {"outcome", AttemptOutcomeName(a.outcome)},
          {"error", a.error},
          {"cold_start", a.cold_start},
          {"init_ms", a.init_ms},
          {"duration_ms", a.duration_ms},
          {"billed_ms", a.billed_ms},
          {"queued_ms", a.queued_ms},
          {"memory_mb", a.memory_mb},
          {"max_memory_mb", a.max_memory_mb},
          {"cost_usd", a.cost_usd},
          {"download_model_ms", a.download_model_ms},
          {"download_shard_ms", a.download_shard_ms},
          {"compute_ms", a.compute_ms},
          {"upload_ms", a.upload_ms},
          {"samples", a.samples},
          {"steps", a.steps},
          {"loss", a.loss},
          {"store_retries", a.store_retries},
          {"store_bytes_read", a.store_bytes_read},
          {"store_bytes_written", a.store_bytes_written},
          {"store_read_requests", a.store_read_requests},
          {"store_write_requests", a.store_write_requests},
          {"store_list_requests", a.store_list_requests}};
}

ShardAttempt AttemptFromJson(const nlohmann::json& j) {
  ShardAttempt a;
  a.round = j.at("round").get<int64_t>();
  a.shard = j.at("shard").get<int64_t>();
  a.attempt = j.at("attempt").get<int64_t>();
  a.speculative = j.at("speculative").get<bool>();
  a.request_id = j.at("request_id").get<std::string>();
  auto outcome = ParseAttemptOutcome(j.at("outcome").get<std::string>());
  if (!outcome.ok()) throw nlohmann::json::other_error::create(501, std::string(outcome.status().message()), &j);
  a.outcome = *outcome;
  a.error = j.at("error").get<std::string>();
  a.cold_start = j.at("cold_start").get<bool>();
  a.init_ms = j.at("init_ms").get<double>();
  a.duration_ms = j.at("duration_ms").get<double>();
  a.billed_ms = j.at("billed_ms").get<double>();
  a.queued_ms = j.at("queued_ms").get<double>();
  a.memory_mb = j.at("memory_mb").get<int64_t>();
  a.max_memory_mb = j.at("max_memory_mb").get<int64_t>();
  a.cost_usd = j.at("cost_usd").get<double>();
  a.download_model_ms = j.at("download_model_ms").get<double>();
  a.download_shard_ms = j.at("download_shard_ms").get<double>();
  a.compute_ms = j.at("compute_ms").get<double>();
  a.upload_ms = j.at("upload_ms").get<double>();
  a.samples = j.at("samples").get<int64_t>();
  a.steps = j.at("steps").get<int64_t>();
  a.loss = j.at("loss").get<double>();
  a.store_retries = j.value("store_retries", int64_t{0});  // absent before 2026-12-07
  // Store transfer counts: absent before 2026-12-07 (issue 20).
  a.store_bytes_read = j.value("store_bytes_read", int64_t{0});
  a.store_bytes_written = j.value("store_bytes_written", int64_t{0});
  a.store_read_requests = j.value("store_read_requests", int64_t{0});
  a.store_write_requests = j.value("store_write_requests", int64_t{0});
  a.store_list_requests = j.value("store_list_requests", int64_t{0});
  return a;
}

constexpr std::pair<AttemptOutcome, std::string_view> kOutcomeNames[] = {
    {AttemptOutcome::kOk, "ok"},
    {AttemptOutcome::kAcceptedLate, "accepted-late"},
    {AttemptOutcome::kFunctionError, "function-error"},
    {AttemptOutcome::kTimeout, "timeout"},
    {AttemptOutcome::kOutOfMemory, "out-of-memory"},
    {AttemptOutcome::kCrash, "crash"},
    {AttemptOutcome::kThrottled, "throttled"},
    {AttemptOutcome::kInvalidUpdate, "invalid-update"},
    {AttemptOutcome::kPlatformError, "platform-error"},
};

}  // namespace

std::string_view AttemptOutcomeName(AttemptOutcome o) {
  for (const auto& [outcome, name] : kOutcomeNames) {
    if (outcome == o) return name;
  }
  return "function-error";  // unreachable: every enumerator is listed
}

Result<AttemptOutcome> ParseAttemptOutcome(std::string_view name) {
  for (const auto& [outcome, n] : kOutcomeNames) {
    if (n == name) return outcome;
  }
  return InvalidArgument("unknown attempt outcome '{}'", name);
}

nlohmann::json RunRecord::RoundToJson(const RoundRecord& r) {
  nlohmann::json attempts_json = nlohmann::json::array();
  for (const auto& a : r.attempts) attempts_json.push_back(AttemptJson(a));
  return {{"round", r.round},
          {"wall_ms", r.wall_ms},
          {"write_model_ms", r.write_model_ms},
          {"map_ms", r.map_ms},
          {"straggler_wait_ms", r.straggler_wait_ms},
          {"aggregate_ms", r.aggregate_ms},
          {"evaluate_ms", r.evaluate_ms},
          {"checkpoint_ms", r.checkpoint_ms},
          {"checkpoint_wait_ms", r.checkpoint_wait_ms},
          {"train_loss", r.train_loss},
          {"validation_accuracy", r.validation_accuracy},
          {"validation_loss", r.validation_loss},
          {"retries", r.retries},
          {"speculative", r.speculative},
          {"attempts", attempts_json}};
}

Result<RoundRecord> RunRecord::RoundFromJson(const nlohmann::json& rj, std::string_view where) {
  RoundRecord rr;
  try {
    rr.round = rj.at("round").get<int64_t>();
    rr.wall_ms = rj.at("wall_ms").get<double>();
    rr.write_model_ms = rj.at("write_model_ms").get<double>();
    rr.map_ms = rj.at("map_ms").get<double>();
    rr.straggler_wait_ms = rj.at("straggler_wait_ms").get<double>();
    rr.aggregate_ms = rj.at("aggregate_ms").get<double>();
    rr.evaluate_ms = rj.at("evaluate_ms").get<double>();
    rr.checkpoint_ms = rj.at("checkpoint_ms").get<double>();
    rr.checkpoint_wait_ms = rj.value("checkpoint_wait_ms", -1.0);  // absent before it existed
    rr.train_loss = rj.at("train_loss").get<double>();
    rr.validation_accuracy = rj.at("validation_accuracy").get<double>();
    rr.validation_loss = rj.value("validation_loss", -1.0);  // absent before 2026-12-07
    rr.retries = rj.at("retries").get<int64_t>();
    rr.speculative = rj.at("speculative").get<int64_t>();
    for (const auto& a : rj.at("attempts")) rr.attempts.push_back(AttemptFromJson(a));
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument("{}: round record: {}", where, e.what());
  }
  return rr;
}

nlohmann::json RunRecord::ToJson(size_t rounds_from) const {
  nlohmann::json pre = nlohmann::json::array();
  for (const auto& a : preprocessing) pre.push_back(AttemptJson(a));
  nlohmann::json rounds_json = nlohmann::json::array();
  for (size_t i = rounds_from; i < rounds.size(); ++i) rounds_json.push_back(RoundToJson(rounds[i]));
  nlohmann::json out = {{"job_id", job_id},
                        {"provider", provider},
                        {"host", host},
                        {"store", store},
                        {"memory_mb", memory_mb},
                        {"workers", workers},
                        {"preprocessing", pre},
                        {"preprocessing_wall_ms", preprocessing_wall_ms},
                        {"rounds", rounds_json},
                        {"test_accuracy", test_accuracy},
                        {"final_evaluate_ms", final_evaluate_ms},
                        {"coordinator_store_retries", coordinator_store_retries}};
  if (!preprocess_provider.empty() && preprocess_provider != provider) out["preprocess_provider"] = preprocess_provider;
  if (preprocess_memory_mb > 0 && preprocess_memory_mb != memory_mb) out["preprocess_memory_mb"] = preprocess_memory_mb;
  return out;
}

Result<RunRecord> RunRecord::FromJson(const nlohmann::json& j, std::string_view where) {
  RunRecord r;
  try {
    r.job_id = j.at("job_id").get<std::string>();
    r.provider = j.at("provider").get<std::string>();
    r.host = j.value("host", std::string("local"));  // absent before 2026-12-07
    r.store = j.value("store", std::string());      // absent before 2026-12-07
    r.memory_mb = j.at("memory_mb").get<int64_t>();
    r.preprocess_provider = j.value("preprocess_provider", std::string());  // absent: the same as provider
    r.preprocess_memory_mb = j.value("preprocess_memory_mb", int64_t{0});
    r.workers = j.at("workers").get<int64_t>();
    for (const auto& a : j.at("preprocessing")) r.preprocessing.push_back(AttemptFromJson(a));
    r.preprocessing_wall_ms = j.at("preprocessing_wall_ms").get<double>();
    for (const auto& rj : j.at("rounds")) {
      SL_ASSIGN_OR_RETURN(RoundRecord rr, RoundFromJson(rj, where));
      r.rounds.push_back(std::move(rr));
    }
    r.test_accuracy = j.at("test_accuracy").get<double>();
    r.final_evaluate_ms = j.value("final_evaluate_ms", 0.0);  // absent before 2026-12-04
    r.coordinator_store_retries = j.value("coordinator_store_retries", int64_t{0});  // absent before 2026-12-07
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument("{}: run record: {}", where, e.what());
  }
  return r;
}

}  // namespace sl::train

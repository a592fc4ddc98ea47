#include "train/run_report.h"

#include <algorithm>

#include <fmt/format.h>

namespace sl::train {
namespace {

bool Accepted(const ShardAttempt& a) { return a.outcome == AttemptOutcome::kOk; }

StageSummary SumAttempts(std::string stage, const std::vector<ShardAttempt>& attempts) {
  StageSummary s;
  s.stage = std::move(stage);
  for (const auto& a : attempts) {
    ++s.invocations;
    s.cold_starts += a.cold_start;
    s.failed += !Accepted(a) && a.outcome != AttemptOutcome::kAcceptedLate;
    s.speculative += a.speculative;
    s.t_total_s += a.duration_ms / 1000;
    s.t_parallel_s = std::max(s.t_parallel_s, (a.init_ms + a.duration_ms) / 1000);
    s.download_s += (a.download_model_ms + a.download_shard_ms) / 1000;
    s.compute_s += a.compute_ms / 1000;
    s.upload_s += a.upload_ms / 1000;
    s.init_s += a.init_ms / 1000;
    s.queued_s += a.queued_ms / 1000;
    s.gb_s += a.billed_ms / 1000 * static_cast<double>(a.memory_mb) / 1024;
    s.cost_usd += a.cost_usd;
    s.store_retries += a.store_retries;
    s.store_io += faas::StoreTransfer{.bytes_read = a.store_bytes_read,
                                      .bytes_written = a.store_bytes_written,
                                      .read_requests = a.store_read_requests,
                                      .write_requests = a.store_write_requests,
                                      .list_requests = a.store_list_requests};
  }
  return s;
}

// Prices a stage's store traffic (nothing without the functions' profile).
void PriceStoreIo(StageSummary* s, const RunRecord& record, const faas::ProviderProfile* profile,
                  const faas::ProviderProfile* store_cloud) {
  if (profile == nullptr) return;
  faas::TransferPrice p = faas::PriceTransfer(*profile, store_cloud, record.store, s->store_io);
  s->transfer_usd = p.transfer_usd;
  s->store_request_usd = p.request_usd;
}

int64_t Requests(const faas::StoreTransfer& t) { return t.read_requests + t.write_requests + t.list_requests; }

void Add(StageSummary* into, const StageSummary& s, bool parallel_sum) {
  into->invocations += s.invocations;
  into->cold_starts += s.cold_starts;
  into->failed += s.failed;
  into->speculative += s.speculative;
  into->t_total_s += s.t_total_s;
  into->t_parallel_s = parallel_sum ? into->t_parallel_s + s.t_parallel_s : std::max(into->t_parallel_s, s.t_parallel_s);
  into->wall_s += s.wall_s;
  into->download_s += s.download_s;
  into->compute_s += s.compute_s;
  into->upload_s += s.upload_s;
  into->init_s += s.init_s;
  into->queued_s += s.queued_s;
  into->straggler_wait_s += s.straggler_wait_s;
  into->aggregate_s += s.aggregate_s;
  into->evaluate_s += s.evaluate_s;
  into->write_model_s += s.write_model_s;
  into->checkpoint_s += s.checkpoint_s;
  into->provider_cold_start_s += s.provider_cold_start_s;
  into->gb_s += s.gb_s;
  into->cost_usd += s.cost_usd;
  into->store_retries += s.store_retries;
  into->store_io += s.store_io;
  into->transfer_usd += s.transfer_usd;
  into->store_request_usd += s.store_request_usd;
}

nlohmann::json StageJson(const StageSummary& s) {
  return {{"stage", s.stage},
          {"provider", s.provider},
          {"memory_mb", s.memory_mb},
          {"invocations", s.invocations},
          {"cold_starts", s.cold_starts},
          {"failed", s.failed},
          {"speculative", s.speculative},
          {"t_total_s", s.t_total_s},
          {"t_parallel_s", s.t_parallel_s},
          {"wall_s", s.wall_s},
          {"download_s", s.download_s},
          {"compute_s", s.compute_s},
          {"upload_s", s.upload_s},
          {"init_s", s.init_s},
          {"queued_s", s.queued_s},
          {"straggler_wait_s", s.straggler_wait_s},
          {"aggregate_s", s.aggregate_s},
          {"evaluate_s", s.evaluate_s},
          {"write_model_s", s.write_model_s},
          {"checkpoint_s", s.checkpoint_s},
          {"provider_cold_start_s", s.provider_cold_start_s},
          {"gb_s", s.gb_s},
          {"cost_usd", s.cost_usd},
          {"store_retries", s.store_retries},
          {"store_bytes_read", s.store_io.bytes_read},
          {"store_bytes_written", s.store_io.bytes_written},
          {"store_read_requests", s.store_io.read_requests},
          {"store_write_requests", s.store_io.write_requests},
          {"store_list_requests", s.store_io.list_requests},
          {"transfer_usd", s.transfer_usd},
          {"store_request_usd", s.store_request_usd},
          {"loss", s.loss},
          {"validation_accuracy", s.validation_accuracy}};
}

std::string Row(const StageSummary& s) {
  std::string acc = s.validation_accuracy >= 0 ? fmt::format("{:.4f}", s.validation_accuracy) : "-";
  return fmt::format("{:<11} {:>4} {:>4} {:>4} {:>9.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} "
                     "{:>8.2f} {:>8.2f} {:>8.1f} {:>11.6f} {:>7}\n",
                     s.stage, s.invocations, s.cold_starts, s.failed, s.t_total_s, s.t_parallel_s, s.download_s,
                     s.compute_s, s.upload_s, s.straggler_wait_s, s.aggregate_s + s.evaluate_s,
                     s.write_model_s + s.checkpoint_s, s.queued_s, s.wall_s, s.gb_s, s.cost_usd, acc);
}

}  // namespace

RunSummary Summarize(const RunRecord& record, double local_cpus, const faas::ProviderProfile* profile,
                     const faas::ProviderProfile* store_cloud, const faas::ProviderProfile* preprocess_profile) {
  RunSummary out;
  const double cold_s = profile != nullptr ? profile->cold_start_mean_ms / 1000 : 0;
  const faas::ProviderProfile* pre_profile = preprocess_profile != nullptr ? preprocess_profile : profile;
  out.preprocessing = SumAttempts("preprocess", record.preprocessing);
  out.preprocessing.provider = record.PreprocessProvider();
  out.preprocessing.memory_mb = record.PreprocessMemoryMb();
  PriceStoreIo(&out.preprocessing, record, pre_profile, store_cloud);
  out.preprocessing.provider_cold_start_s =
      static_cast<double>(out.preprocessing.cold_starts) * (pre_profile != nullptr ? pre_profile->cold_start_mean_ms / 1000 : 0);
  out.preprocessing.wall_s = record.preprocessing_wall_ms / 1000;
  out.training.stage = "training";
  out.training.provider = record.provider;
  out.training.memory_mb = record.memory_mb;
  for (const auto& r : record.rounds) {
    StageSummary s = SumAttempts(fmt::format("round-{}", r.round), r.attempts);
    s.provider = record.provider;
    s.memory_mb = record.memory_mb;
    PriceStoreIo(&s, record, profile, store_cloud);
    // The next round waits for the part of the checkpoint written on the coordinator's thread
    // (all of it in records that do not say; the rest overlaps the next round's functions).
    s.wall_s = (r.wall_ms + (r.checkpoint_wait_ms >= 0 ? r.checkpoint_wait_ms : r.checkpoint_ms)) / 1000;
    s.straggler_wait_s = r.straggler_wait_ms / 1000;
    s.aggregate_s = r.aggregate_ms / 1000;
    s.evaluate_s = r.evaluate_ms / 1000;
    s.write_model_s = r.write_model_ms / 1000;
    s.checkpoint_s = r.checkpoint_ms / 1000;
    s.provider_cold_start_s = static_cast<double>(s.cold_starts) * cold_s;
    s.loss = r.train_loss;
    s.validation_accuracy = r.validation_accuracy;
    Add(&out.training, s, /*parallel_sum=*/true);
    out.training.loss = s.loss;
    out.training.validation_accuracy = s.validation_accuracy;
    out.rounds.push_back(std::move(s));
  }
  out.total = out.preprocessing;
  out.total.stage = "total";
  Add(&out.total, out.training, /*parallel_sum=*/true);
  if (out.preprocessing.provider != out.training.provider) out.total.provider.clear();
  if (out.preprocessing.memory_mb != out.training.memory_mb) out.total.memory_mb = 0;
  out.total.loss = out.training.loss;
  out.total.validation_accuracy = out.training.validation_accuracy;
  out.test_accuracy = record.test_accuracy;
  out.store_cloud = faas::CloudOfStoreUri(record.store);
  if (profile != nullptr) {
    out.function_cloud = profile->network.cloud;
    out.transfer_unpriced = faas::PriceTransfer(*profile, store_cloud, record.store, out.total.store_io).unpriced;
  }
  if (out.training.wall_s > 0 && local_cpus > 0) {
    out.overhead_share = std::clamp(1.0 - (out.training.compute_s / local_cpus) / out.training.wall_s, 0.0, 1.0);
  }
  return out;
}

namespace {

// Where a run's function durations come from, by the host that ran them.
std::string DurationsSource(const RunRecord& record) {
  if (record.host == "lambda") return "durations and cold starts from the Lambda platform's own REPORT lines";
  if (record.host == "http") return "durations as the caller's round trips (an upper bound: HTTP functions report none)";
  return "durations, init (our processes' cold starts)";
}

}  // namespace

std::string RunReportText(const RunRecord& record, const RunSummary& s) {
  // A job whose stages ran under different providers or sizes says which ran what.
  const std::string where =
      record.PreprocessProvider() == record.provider && record.PreprocessMemoryMb() == record.memory_mb
          ? fmt::format("{} MB under {}", record.memory_mb, record.provider)
          : fmt::format("preprocessing {} MB under {}, training {} MB under {}", record.PreprocessMemoryMb(),
                        record.PreprocessProvider(), record.memory_mb, record.provider);
  std::string out = fmt::format(
      "run report: job {}, {} workers, {}, functions on the {} host\n"
      "measured: {}; phase timings and wall times here; from the profile: billing rounding and prices\n\n",
      record.job_id, record.workers, where, record.host, DurationsSource(record));
  out += fmt::format("{:<11} {:>4} {:>4} {:>4} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>11} "
                     "{:>7}\n",
                     "stage", "inv", "cold", "fail", "T_total s", "T_par s", "downl s", "comp s", "upl s", "wait s",
                     "aggr s", "ckpt s", "queued s", "wall s", "GB-s", "cost $", "val acc");
  out += Row(s.preprocessing);
  const size_t n = s.rounds.size();
  for (size_t i = 0; i < n; ++i) {
    // Long jobs: the first and last three rounds; all rounds are in the JSON.
    if (n > 8 && i == 3) out += fmt::format("{:<11} ... {} more rounds\n", "", n - 6);
    if (n > 8 && i >= 3 && i + 3 < n) continue;
    out += Row(s.rounds[i]);
  }
  out += Row(s.training);
  out += Row(s.total);
  out += fmt::format("\nT_total = {:.2f} s, T_parallel = {:.2f} s (eq. 5: Σ over stages of max T_i), "
                     "{} invocations ({} cold), {:.1f} GB-s, billed ${:.6f}\n",
                     s.total.t_total_s, s.total.t_parallel_s, s.total.invocations, s.total.cold_starts, s.total.gb_s,
                     s.total.cost_usd);
  if (s.total.provider_cold_start_s > 0) {
    out += fmt::format("emulated provider cold-start overhead ({} cold starts × the profile's mean): {:.2f} s, not in "
                       "the measured times above\n",
                       s.total.cold_starts, s.total.provider_cold_start_s);
  }
  out += fmt::format("aggr s = aggregation + evaluation; ckpt s = global model upload + job checkpoint (coordinator)\n");
  out += fmt::format("training overhead share (round wall time not computing gradients on this machine): {:.1f} %\n",
                     100 * s.overhead_share);
  if (record.final_evaluate_ms > 0) {
    out += fmt::format("final evaluation (test split, after the rounds; the last round scored the whole validation split): {:.2f} s\n",
                       record.final_evaluate_ms / 1000);
  }
  if (s.total.store_retries > 0 || record.coordinator_store_retries > 0) {
    out += fmt::format("object store: {} transient errors retried with backoff inside the functions, {} by the "
                       "coordinator\n",
                       s.total.store_retries, record.coordinator_store_retries);
  }
  if (Requests(s.total.store_io) > 0) {
    const double mib = 1024.0 * 1024.0;
    out += fmt::format("object store {} ({}) from functions in {}: {:.2f} MiB read, {:.2f} MiB written, {} requests; "
                       "transfer between clouds ${:.6f}{}, store requests ${:.6f} (both from the profiles' network prices, "
                       "not in the billed cost above)\n",
                       record.store, s.store_cloud.empty() ? "no cloud" : s.store_cloud,
                       s.function_cloud.empty() ? "an unstated cloud" : s.function_cloud,
                       static_cast<double>(s.total.store_io.bytes_read) / mib,
                       static_cast<double>(s.total.store_io.bytes_written) / mib, Requests(s.total.store_io),
                       s.total.transfer_usd, s.store_cloud == s.function_cloud ? " (same cloud: none)" : "",
                       s.total.store_request_usd);
    for (const auto& u : s.transfer_unpriced) out += fmt::format("  not priced: {}\n", u);
  }
  if (s.test_accuracy >= 0) out += fmt::format("test accuracy {:.4f}\n", s.test_accuracy);
  return out;
}

nlohmann::json RunReportJson(const RunRecord& record, const RunSummary& s) {
  nlohmann::json rounds = nlohmann::json::array();
  for (const auto& r : s.rounds) rounds.push_back(StageJson(r));
  return {{"job_id", record.job_id},
          {"provider", record.provider},
          {"memory_mb", record.memory_mb},
          {"stage_providers",
           {{"preprocess", {{"provider", record.PreprocessProvider()}, {"memory_mb", record.PreprocessMemoryMb()}}},
            {"train", {{"provider", record.provider}, {"memory_mb", record.memory_mb}}}}},
          {"workers", record.workers},
          {"preprocessing", StageJson(s.preprocessing)},
          {"rounds", rounds},
          {"training", StageJson(s.training)},
          {"total", StageJson(s.total)},
          {"overhead_share", s.overhead_share},
          {"final_evaluate_s", record.final_evaluate_ms / 1000},
          {"test_accuracy", s.test_accuracy},
          {"store_retries", {{"functions", s.total.store_retries}, {"coordinator", record.coordinator_store_retries}}},
          {"transfer",
           {{"store", record.store},
            {"store_cloud", s.store_cloud},
            {"function_cloud", s.function_cloud},
            {"bytes_read", s.total.store_io.bytes_read},
            {"bytes_written", s.total.store_io.bytes_written},
            {"requests", Requests(s.total.store_io)},
            {"transfer_usd", s.total.transfer_usd},
            {"store_request_usd", s.total.store_request_usd},
            {"unpriced", s.transfer_unpriced}}},
          {"host", record.host},
          {"measured", {DurationsSource(record), "phase timings", "wall times", "queueing"}},
          {"from_profile", {"billing rounding", "prices", "provider cold-start overhead (provider_cold_start_s)"}},
          {"record", record.ToJson()}};
}

}  // namespace sl::train

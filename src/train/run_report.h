// The run report of a serverless training job: the RunRecord (run_record.h) summed per stage
// (preprocessing, every round, all rounds) into the figures of the framework paper — T_total =
// Σ T_i (the billed handler durations), T_parallel = max_i (init_i + T_i) per stage, summed over
// the stages that run one after another (eq. 5) — plus cold starts, retries, where the time went
// (download, compute, upload, waiting for stragglers, aggregation, evaluation), GB-seconds and the
// billed cost. Readable table and JSON.
//
// Measured here: every duration, init (our process's cold start), phase timing, wall time.
// From the provider profile: billed rounding and prices (already in each attempt's cost), and —
// when Summarize is given the profile — the provider's platform cold-start overhead (emulated:
// cold starts × cold_start.mean_ms), reported on its own, never added to measured times.
// Thread safety: pure functions.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faas/economics/provider_profile.h"
#include "faas/economics/transfer_pricing.h"
#include "train/run_record.h"

namespace sl::train {

struct StageSummary {
  std::string stage;           // "preprocess", "round-3", "training"
  // Which provider profile and memory size ran the stage's functions ("" / 0 for "total" when
  // the stages differ: `train --provider preprocess=P1,train=P2`).
  std::string provider;
  int64_t memory_mb = 0;
  int64_t invocations = 0;
  int64_t cold_starts = 0;
  int64_t failed = 0;          // attempts that did not produce an accepted output
  int64_t speculative = 0;
  double t_total_s = 0;        // Σ duration
  double t_parallel_s = 0;     // max (init + duration); for "training": Σ over rounds
  double wall_s = 0;           // measured on this machine
  double download_s = 0;       // Σ model + shard download inside the functions
  double compute_s = 0;        // Σ local training
  double upload_s = 0;         // Σ update upload
  double init_s = 0;           // Σ cold-start init of our processes
  double queued_s = 0;         // Σ waiting for local capacity (this machine only; never billed)
  double straggler_wait_s = 0;
  double aggregate_s = 0;
  double evaluate_s = 0;
  double write_model_s = 0;    // coordinator: global model upload before the round
  double checkpoint_s = 0;     // coordinator: job checkpoint after the round
  double provider_cold_start_s = 0;  // emulated from the profile (0 without one)
  double gb_s = 0;
  double cost_usd = 0;
  int64_t store_retries = 0;   // Σ transient store errors retried inside the functions
  // The functions' object-store traffic as they reported it (store/transfer_counts.h) and its
  // price (faas/economics/transfer_pricing.h; needs the profile): egress between the functions'
  // cloud and the store's — 0 within one cloud — and the store's request fees. Neither is in
  // cost_usd, the functions' own bill.
  faas::StoreTransfer store_io;
  double transfer_usd = 0;
  double store_request_usd = 0;
  double loss = 0;
  double validation_accuracy = -1;
};

struct RunSummary {
  StageSummary preprocessing;
  std::vector<StageSummary> rounds;
  StageSummary training;       // all rounds together
  StageSummary total;          // preprocessing + training
  double test_accuracy = -1;
  // Of the wall time of the training rounds, the share not spent computing gradients on this
  // machine's `local_cpus` cores: 1 − (Σ compute / local_cpus) / Σ round wall. A round's wall
  // runs from writing model N to the checkpoint after model N+1, progress evaluations included;
  // compute is the local training inside the functions (not loading or serializing weights).
  // Data loading, preprocessing and the final evaluation are outside (reported on their own).
  double overhead_share = 0;
  // Transfer pricing context: the functions' and the store's clouds ("" = none stated / local
  // store), and what could not be priced (a cloud without prices in the profiles).
  std::string function_cloud;
  std::string store_cloud;
  std::vector<std::string> transfer_unpriced;
};

// `profile` (optional): the provider the record ran under, for the emulated cold-start overhead
// and transfer pricing. `store_cloud` (optional): a profile of the store's cloud
// (faas::LoadStoreCloudProfile(faas::CloudOfStoreUri(record.store))), for its egress and request
// prices when it is not the functions' cloud; without it such a transfer is listed as unpriced.
// `preprocess_profile` (optional): the preprocessing stage's provider when it is not `profile`'s
// (record.preprocess_provider); null = `profile` for every stage.
RunSummary Summarize(const RunRecord& record, double local_cpus, const faas::ProviderProfile* profile = nullptr,
                     const faas::ProviderProfile* store_cloud = nullptr,
                     const faas::ProviderProfile* preprocess_profile = nullptr);
std::string RunReportText(const RunRecord& record, const RunSummary& summary);
nlohmann::json RunReportJson(const RunRecord& record, const RunSummary& summary);

}  // namespace sl::train

// Small inputs for the report's tests, built with the writers' own code (RunRecord::ToJson,
// RunReportJson, ProviderComparisonJson, RecordToJson) so that the fixtures have the shapes the
// commands write. Test-only.
#pragma once
#include <chrono>
#include <vector>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "faas/economics/invocation_record.h"
#include "train/report/provider_comparison.h"
#include "train/run_record.h"
#include "train/run_report.h"

namespace sl::report::testing {

// `rounds` rounds of `workers` attempts each (one cold start per shard in round 0), loss falling
// by 0.5 per round from 2.0, validation scored every second round (0.5, 0.6, ...), every attempt
// $0.001, plus one preprocessing attempt of $0.002.
inline train::RunRecord MakeRecord(int rounds = 4, int workers = 2, const std::string& provider = "aws-lambda") {
  train::RunRecord r;
  r.job_id = "job-1";
  r.provider = provider;
  r.store = "file:///tmp/report-fixture";
  r.memory_mb = 1024;
  r.workers = workers;
  train::ShardAttempt pre;
  pre.outcome = train::AttemptOutcome::kOk;
  pre.duration_ms = 3000;
  pre.billed_ms = 3000;
  pre.memory_mb = 1024;
  pre.cost_usd = 0.002;
  pre.cold_start = true;
  r.preprocessing.push_back(pre);
  r.preprocessing_wall_ms = 3500;
  for (int i = 0; i < rounds; ++i) {
    train::RoundRecord rr;
    rr.round = i;
    rr.wall_ms = 10000 + 1000 * i;
    rr.checkpoint_wait_ms = 100;
    rr.train_loss = 2.0 - 0.5 * i;
    rr.validation_accuracy = i % 2 == 1 ? 0.5 + 0.05 * i : -1;
    rr.validation_loss = i % 2 == 1 ? 1.0 / (i + 1) : -1;
    for (int s = 0; s < workers; ++s) {
      train::ShardAttempt a;
      a.round = i;
      a.shard = s;
      a.outcome = train::AttemptOutcome::kOk;
      a.cold_start = i == 0;
      a.init_ms = i == 0 ? 200 : 0;
      a.duration_ms = 8000;
      a.billed_ms = 8000;
      a.memory_mb = 1024;
      a.compute_ms = 7000;
      a.cost_usd = 0.001;
      rr.attempts.push_back(a);
    }
    r.rounds.push_back(rr);
  }
  r.test_accuracy = 0.875;
  return r;
}

// `train --compare-providers --json` output for two providers.
inline std::string MakeComparisonJson() {
  train::ProviderComparison c;
  for (const char* p : {"aws-lambda", "gcp-functions"}) {
    train::ProviderRun run;
    run.provider = p;
    run.display_name = p;
    run.memory_mb = 1024;
    run.summary = train::Summarize(MakeRecord(2, 2, p), 1);
    run.test_accuracy = 0.8;
    c.runs.push_back(run);
  }
  train::VmBaseline vm;
  vm.vm = "ec2-c5.large";
  vm.hourly_usd = 0.085;
  vm.wall_s = 60;
  vm.wall_cost_usd = 0.0014;
  vm.work_s = 40;
  vm.work_cost_usd = 0.0009;
  c.vms.push_back(vm);
  return train::ProviderComparisonJson(c).dump(2);
}

// `load --json-out` for phases "warm" and "ramp" over tiers local and function.
inline std::string MakeLoadJson() {
  auto row = [](const char* phase, const char* tier, int requests, int failures, double p50, double p99) {
    nlohmann::json j = {{"phase", phase}, {"tier", tier}, {"requests", requests}, {"failures", failures},
                        {"failure_rate", requests ? static_cast<double>(failures) / requests : 0},
                        {"mean_ms", p50}, {"p50_ms", p50}, {"p90_ms", (p50 + p99) / 2}, {"p95_ms", p99},
                        {"p99_ms", p99}, {"max_ms", p99 * 2}, {"throughput_per_s", 10}};
    if (std::string(tier) == "all") {
      j["sessions"] = requests / 2;
      j["failed_sessions"] = failures;
      j["session_mean_ms"] = 2 * p50;
      j["session_p50_ms"] = 2 * p50;
      j["session_p99_ms"] = 2 * p99;
    }
    return j;
  };
  nlohmann::json j = {
      {"target", "http://127.0.0.1:8080"}, {"model", "m"}, {"wall_s", 20.0}, {"session_requests", 2},
      {"concurrency", 64}, {"dropped_sessions", 0}, {"payloads", nlohmann::json::array()},
      {"phases", {{{"name", "warm"}, {"duration_s", 10}, {"arrival_rate", 5}, {"ramp_to", 5}},
                  {{"name", "ramp"}, {"duration_s", 10}, {"arrival_rate", 5}, {"ramp_to", 50}}}},
      {"groups",
       {row("warm", "local", 100, 0, 3, 8), row("warm", "all", 100, 0, 3, 8), row("ramp", "local", 300, 3, 4, 20),
        row("ramp", "function", 200, 10, 40, 900), row("ramp", "all", 500, 13, 5, 700),
        row("all", "local", 400, 3, 4, 18), row("all", "function", 200, 10, 40, 900),
        row("all", "all", 600, 13, 4, 650)}}};
  return j.dump(2);
}

// MakeLoadJson() with a "timeline" of `seconds` seconds as `straightline load` writes it: sessions
// ramp 10, 20, ...; every 4th second one refused session; placements under the given policy's
// rules ("straightline": local_capacity then frequent_small to function once f_t > F = 25;
// "adaptive": fastest on local and container); f_t = 1.5 x the sessions; second 1 answers nothing.
inline std::string MakeTimelineLoadJson(const std::string& policy, int seconds = 6) {
  nlohmann::json j = nlohmann::json::parse(MakeLoadJson());
  nlohmann::json t = {{"bucket_s", 1}};
  std::vector<nlohmann::json> cols(14, nlohmann::json::array());
  enum { kT, kLaunched, kCompleted, kFailed, kRefused, kLength, kReq, kReqFailed, kP50, kP90, kP99, kFMean, kFMax, kF };
  nlohmann::json a = nlohmann::json::array(), b = nlohmann::json::array(), a_failed = nlohmann::json::array(),
                 b_failed = nlohmann::json::array();
  for (int i = 0; i < seconds; ++i) {
    const int n = 10 * (i + 1);
    const int failed = i % 4 == 3 ? 1 : 0;
    const bool silent = i == 1;
    cols[kT].push_back(i);
    cols[kLaunched].push_back(n);
    cols[kCompleted].push_back(n - failed);
    cols[kFailed].push_back(failed);
    cols[kRefused].push_back(failed);
    cols[kLength].push_back(silent ? nlohmann::json(nullptr) : nlohmann::json(5.0 + i));
    cols[kReq].push_back(2 * n);
    cols[kReqFailed].push_back(failed);
    cols[kP50].push_back(silent ? nlohmann::json(nullptr) : nlohmann::json(2.0 + i));
    cols[kP90].push_back(silent ? nlohmann::json(nullptr) : nlohmann::json(4.0 + i));
    cols[kP99].push_back(silent ? nlohmann::json(nullptr) : nlohmann::json(9.0 + i));
    cols[kFMean].push_back(1.5 * n);
    cols[kFMax].push_back(2.0 * n);
    cols[kF].push_back(25.0);
    const bool frequent = 1.5 * n > 25;
    a.push_back(policy == "straightline" && frequent ? 0 : n);
    b.push_back(policy == "straightline" ? (frequent ? n : 0) : n);
    a_failed.push_back(0);
    b_failed.push_back(failed);  // the second tier fails the refused session's request
  }
  const char* names[] = {"t_s", "sessions_launched", "sessions_completed", "sessions_failed", nullptr,
                         "session_mean_ms", "requests", "request_failures", "p50_ms", "p90_ms", "p99_ms",
                         "f_t_mean", "f_t_max", "F"};
  for (int c = 0; c < 14; ++c) {
    if (names[c] != nullptr) t[names[c]] = cols[static_cast<size_t>(c)];
  }
  nlohmann::json zeros = nlohmann::json::array();
  for (int i = 0; i < seconds; ++i) zeros.push_back(0);
  t["sessions_failed_by_cause"] = {{"refused", cols[kRefused]}, {"timeout", zeros}};
  if (policy == "straightline") {
    t["placements"] = {{{"tier", "local"}, {"rule", "local_capacity"}, {"counts", a}, {"failed", a_failed}},
                       {{"tier", "function"}, {"rule", "frequent_small"}, {"counts", b}, {"failed", b_failed}}};
  } else {
    t["placements"] = {{{"tier", "local"}, {"rule", "fastest"}, {"counts", a}, {"failed", a_failed}},
                       {{"tier", "container"}, {"rule", "fastest"}, {"counts", b}, {"failed", b_failed}}};
  }
  j["timeline"] = t;
  return j.dump(2);
}

// A model folder's manifest.json with `epochs` per-epoch entries (ml/train_job.cc's shape).
inline std::string MakeManifestJson(int epochs = 3) {
  nlohmann::json e = nlohmann::json::array();
  for (int i = 1; i <= epochs; ++i) {
    e.push_back({{"epoch", i}, {"train_loss", 1.0 / i}, {"validation_loss", 1.2 / i},
                 {"validation_accuracy", 0.7 + 0.05 * i}});
  }
  nlohmann::json j = {{"format_version", 1},
                      {"format", "native"},
                      {"model", {{"name", "cnn"}, {"hparams", nlohmann::json::object()}}},
                      {"dataset", {{"name", "fashion-mnist"}}},
                      {"training", {{"config", {{"epochs", epochs}}}, {"epochs", e}}},
                      {"metrics", {{"test", {{"accuracy", 0.87}, {"loss", 0.4}, {"samples", 100}}}}},
                      {"weights", {{"file", "weights.pt"}, {"sha256", "00"}, {"bytes", 1}}}};
  return j.dump(2);
}

// A ledger of `n` invocations of two functions, one second apart, the first of each cold.
inline std::string MakeLedgerText(int n = 6) {
  std::string out;
  const auto t0 = WallTime(std::chrono::seconds(1'800'000'000));
  for (int i = 0; i < n; ++i) {
    faas::InvocationRecord r;
    r.request_id = fmt::format("req-{}", i);
    r.function = i % 2 ? "predict" : "train-shard";
    r.provider = "aws-lambda";
    r.memory_mb = 1024;
    r.cold_start = i < 2;
    r.init_ms = i < 2 ? 150 : 0;
    r.duration_ms = 100 + 10 * i;
    r.billed_ms = r.duration_ms;
    r.cost_usd = 0.0000017 * (i + 1);
    r.start_time = t0 + std::chrono::seconds(i);
    out += faas::RecordToJson(r).dump() + "\n";
  }
  return out;
}

}  // namespace sl::report::testing

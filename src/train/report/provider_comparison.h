// The provider comparison of a serverless training job (`straightline train --compare-providers`):
// the same job run once under each provider profile, then per provider and per task
// (preprocessing, training) the training minutes (T_total = Σ T_i and T_parallel by eq. 5) and
// the billed cost — the shape of the framework paper's Tables 1 and 2 — plus the same work on one
// always-on VM (the "traditional cloud" baseline), all from the runs' records (the ledgers). A
// separate column prices the functions' object-store traffic when the store is in another cloud
// than the provider (faas/economics/transfer_pricing.h), another the store's request fees.
//
// The runs themselves are a callback, so this is testable without a platform: the CLI's callback
// runs the coordinator with the provider's profile (its CPU-per-memory rule becomes the
// functions' cgroup CPU quota, billing follows the profile), a test's returns a fixed RunRecord.
//
// Measured in each run: durations, our processes' init, phase timings, wall times. Emulated from
// the profiles: prices, billing rounding/minimums, the provider's platform cold-start overhead
// (cold_start.mean_ms × cold starts, shown separately, never added to measured times), VM prices.
//
// Failure contract: NOT_FOUND for an unknown profile name (as LoadProviderProfile), INVALID_ARGUMENT
// for an empty list, a VM profile given as a provider, or a duplicate; the first failing run's
// status with "provider <name>: " prepended.
// Thread safety: pure functions apart from the callback and reading profiles/.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "faas/economics/provider_profile.h"
#include "train/run_record.h"
#include "train/run_report.h"

namespace sl::train {

// Short names the issue uses → profile names (both accepted; unknown names pass through).
std::string CanonicalProviderName(const std::string& name);

struct ProviderRun {
  std::string provider;          // profile name
  std::string display_name;
  int64_t memory_mb = 0;         // the size the run used (from its record)
  double vcpu = 0;               // what that size buys under the provider's CPU rule
  RunSummary summary;
  double provider_cold_start_s = 0;  // emulated: cold starts × the profile's mean cold start
  double test_accuracy = -1;
};

struct VmBaseline {
  std::string vm;                // VM profile name
  double hourly_usd = 0;
  double vcpus = 0;
  std::string from_provider;     // whose run's times are used (the fastest wall time)
  double wall_s = 0;             // that run's measured wall time on this machine
  double wall_cost_usd = 0;
  double work_s = 0;             // Σ T_i of that run over the VM's vCPUs (a CPU-bound estimate)
  double work_cost_usd = 0;
};

struct ProviderComparison {
  std::vector<ProviderRun> runs;
  std::vector<VmBaseline> vms;
};

// One run's row: `record` summarised (Summarize) under `profile` (the provider it ran under) and
// `store_cloud` (optional, as Summarize's).
ProviderRun ProviderRunOf(const RunRecord& record, const faas::ProviderProfile& profile,
                          const faas::ProviderProfile* store_cloud, double local_cpus);

using RunUnderProvider = std::function<Result<RunRecord>(const faas::ProviderProfile& profile)>;

// Runs `run` once per provider (in order) and summarises every run with Summarize(record,
// local_cpus). `vms`: VM profiles for the baseline.
Result<ProviderComparison> CompareProviders(
    const std::vector<std::string>& providers, const RunUnderProvider& run, double local_cpus,
    const std::vector<std::string>& vms = {"ec2-c5.large", "ec2-m5.large", "gce-e2-standard-2"});

// The always-on VM baselines of `runs` (CompareProviders' `vms` step, also used by `straightline
// report` for runs given as records): each VM does the job of the run with the shortest measured
// wall time. Empty for no runs; NOT_FOUND for an unknown VM profile.
Result<std::vector<VmBaseline>> VmBaselines(const std::vector<ProviderRun>& runs,
                                            const std::vector<std::string>& vms = {"ec2-c5.large", "ec2-m5.large",
                                                                                   "gce-e2-standard-2"});

std::string ProviderComparisonText(const ProviderComparison& c);
nlohmann::json ProviderComparisonJson(const ProviderComparison& c);

}  // namespace sl::train

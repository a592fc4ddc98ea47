#include "train/report/provider_comparison.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "faas/economics/pricing.h"
#include "faas/economics/transfer_pricing.h"

namespace sl::train {

std::string CanonicalProviderName(const std::string& name) {
  static const std::map<std::string, std::string> kAliases = {
      {"aws", "aws-lambda"},           {"lambda", "aws-lambda"},
      {"gcp", "gcp-functions"},        {"gcf", "gcp-functions"},
      {"google", "gcp-functions"},     {"azure", "azure-functions"},
      {"ibm-cloud-functions", "ibm"},  {"ibm-functions", "ibm"},
      {"oci", "oracle"},               {"oracle-functions", "oracle"},
  };
  auto it = kAliases.find(name);
  return it == kAliases.end() ? name : it->second;
}

ProviderRun ProviderRunOf(const RunRecord& record, const faas::ProviderProfile& profile,
                          const faas::ProviderProfile* store_cloud, double local_cpus) {
  ProviderRun r;
  r.provider = profile.name;
  r.display_name = profile.display_name;
  r.memory_mb = record.memory_mb;
  r.vcpu = faas::VcpuForMemory(profile, record.memory_mb);
  // A run whose preprocessing ran under another provider (train --provider preprocess=P1,train=P2)
  // is labelled with both, so every figure and table built from it says which provider ran what.
  std::optional<faas::ProviderProfile> pre;
  if (record.PreprocessProvider() != record.provider) {
    if (auto p = faas::LoadProviderProfile(record.PreprocessProvider()); p.ok()) pre = std::move(*p);
    r.provider = fmt::format("preprocess={},train={}", record.PreprocessProvider(), profile.name);
    r.display_name = fmt::format("preprocessing under {}, training under {}", record.PreprocessProvider(), profile.display_name);
  }
  r.summary = Summarize(record, local_cpus, &profile, store_cloud, pre ? &*pre : nullptr);
  r.provider_cold_start_s = r.summary.total.provider_cold_start_s;
  r.test_accuracy = record.test_accuracy;
  return r;
}

Result<ProviderComparison> CompareProviders(const std::vector<std::string>& providers, const RunUnderProvider& run,
                                            double local_cpus, const std::vector<std::string>& vms) {
  if (providers.empty()) return InvalidArgument("CompareProviders: no provider to compare");
  std::vector<faas::ProviderProfile> profiles;
  std::set<std::string> seen;
  for (const auto& raw : providers) {
    SL_ASSIGN_OR_RETURN(faas::ProviderProfile p, faas::LoadProviderProfile(CanonicalProviderName(raw)));
    if (p.kind != faas::ProfileKind::kFunction) {
      return InvalidArgument("CompareProviders: '{}' is a VM profile, not a function provider", p.name);
    }
    if (!seen.insert(p.name).second) return InvalidArgument("CompareProviders: '{}' is listed twice", p.name);
    profiles.push_back(std::move(p));
  }
  ProviderComparison out;
  // Profiles of the store clouds met so far (each run may use its own store), for transfer prices.
  std::map<std::string, std::optional<faas::ProviderProfile>> store_clouds;
  for (const auto& p : profiles) {
    Result<RunRecord> record = run(p);
    if (!record.ok()) {
      return Status(record.status().code(), fmt::format("provider {}: {}", p.name, record.status().message()));
    }
    const std::string cloud = faas::CloudOfStoreUri(record->store);
    if (!store_clouds.count(cloud)) {
      auto sc = faas::LoadStoreCloudProfile(cloud);
      store_clouds[cloud] = sc.ok() ? *sc : std::nullopt;  // none: the run's summary lists it unpriced
    }
    const auto& sc = store_clouds[cloud];
    out.runs.push_back(ProviderRunOf(*record, p, sc ? &*sc : nullptr, local_cpus));
  }
  SL_ASSIGN_OR_RETURN(out.vms, VmBaselines(out.runs, vms));
  return out;
}

Result<std::vector<VmBaseline>> VmBaselines(const std::vector<ProviderRun>& runs, const std::vector<std::string>& vms) {
  std::vector<VmBaseline> out;
  if (runs.empty()) return out;
  // The VM does the job of the run with the shortest measured wall time.
  const ProviderRun& ref = *std::min_element(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
    return a.summary.total.wall_s < b.summary.total.wall_s;
  });
  for (const auto& name : vms) {
    SL_ASSIGN_OR_RETURN(faas::ProviderProfile vm, faas::LoadProviderProfile(name));
    VmBaseline v;
    v.vm = vm.name;
    v.hourly_usd = vm.vm_hourly_usd;
    v.vcpus = vm.vm_vcpus;
    v.from_provider = ref.provider;
    v.wall_s = ref.summary.total.wall_s;
    v.work_s = ref.summary.total.t_total_s / std::max(1.0, vm.vm_vcpus);
    SL_ASSIGN_OR_RETURN(v.wall_cost_usd, faas::VmCost(vm, v.wall_s));
    SL_ASSIGN_OR_RETURN(v.work_cost_usd, faas::VmCost(vm, v.work_s));
    out.push_back(v);
  }
  return out;
}

namespace {

nlohmann::json TaskJson(const StageSummary& s) {
  return {{"t_total_min", s.t_total_s / 60}, {"t_parallel_min", s.t_parallel_s / 60}, {"wall_min", s.wall_s / 60},
          {"invocations", s.invocations},    {"cold_starts", s.cold_starts},          {"gb_s", s.gb_s},
          {"cost_usd", s.cost_usd},          {"transfer_usd", s.transfer_usd}, {"store_request_usd", s.store_request_usd},
          {"store_bytes_read", s.store_io.bytes_read}, {"store_bytes_written", s.store_io.bytes_written}};
}

}  // namespace

std::string ProviderComparisonText(const ProviderComparison& c) {
  std::string out =
      "Training minutes and cost per provider and task (the framework paper's Tables 1 and 2), this run:\n";
  out += fmt::format("{:<16} {:>6} {:>5} | {:>9} {:>9} {:>10} | {:>9} {:>9} {:>10} | {:>10} {:>10} {:>10} {:>4} {:>8} "
                     "{:>8}\n",
                     "provider", "MB", "vCPU", "prep Ttot", "prep Tpar", "prep $", "train Ttot", "train Tpar",
                     "train $", "total $", "transfer $", "store req $", "cold", "+cold s", "test acc");
  for (const auto& r : c.runs) {
    const auto& p = r.summary.preprocessing;
    const auto& t = r.summary.training;
    std::string acc = r.test_accuracy >= 0 ? fmt::format("{:.4f}", r.test_accuracy) : "-";
    out += fmt::format(
        "{:<16} {:>6} {:>5.2f} | {:>7.3f}mn {:>7.3f}mn {:>10.6f} | {:>8.3f}mn {:>8.3f}mn {:>10.6f} | {:>10.6f} {:>10.6f} "
        "{:>10.6f} {:>4} {:>8.1f} {:>8}\n",
        r.provider, r.memory_mb, r.vcpu, p.t_total_s / 60, p.t_parallel_s / 60, p.cost_usd, t.t_total_s / 60,
        t.t_parallel_s / 60, t.cost_usd, r.summary.total.cost_usd, r.summary.total.transfer_usd,
        r.summary.total.store_request_usd, r.summary.total.cold_starts, r.provider_cold_start_s, acc);
  }
  for (const auto& r : c.runs) {
    for (const auto& u : r.summary.transfer_unpriced) out += fmt::format("{}: not priced: {}\n", r.provider, u);
  }
  if (!c.vms.empty()) {
    out += fmt::format("\nThe same training on one always-on VM (traditional cloud), times of the {} run:\n",
                       c.vms.front().from_provider);
    out += fmt::format("{:<20} {:>9} {:>5} {:>10} {:>12} {:>10} {:>12}\n", "vm", "$/hour", "vCPU", "wall s",
                       "$ for wall", "work s", "$ for work");
    for (const auto& v : c.vms) {
      out += fmt::format("{:<20} {:>9.4f} {:>5.1f} {:>10.1f} {:>12.6f} {:>10.1f} {:>12.6f}\n", v.vm, v.hourly_usd,
                         v.vcpus, v.wall_s, v.wall_cost_usd, v.work_s, v.work_cost_usd);
    }
  }
  out +=
      "\nMeasured in this run: every function's duration under its provider's CPU-per-memory rule (a cgroup CPU "
      "quota here), our processes' init, phase timings, wall times. Emulated from the provider profiles: prices, "
      "billing rounding and minimums, memory sizes, VM prices, and '+cold s' = cold starts × the provider's "
      "platform cold-start mean (not in the measured times). Ttot = Σ T_i, Tpar = Σ over rounds of max T_i "
      "(eq. 5). VM 'wall' = the job's wall time on this machine; VM 'work' = Σ T_i over the VM's vCPUs "
      "(CPU-bound estimate); both with the VM's billing minimum. 'transfer $' = the functions' object-store "
      "traffic between their cloud and the store's (bytes read priced at the store cloud's egress, bytes written at "
      "the functions' cloud's; 0 within one cloud or for a local store), 'store req $' = the store's request fees; "
      "neither is in 'total $', the functions' bill (prices: the profiles' network sections, docs/providers.md).\n";
  return out;
}

nlohmann::json ProviderComparisonJson(const ProviderComparison& c) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& r : c.runs) {
    runs.push_back({{"provider", r.provider},
                    {"display_name", r.display_name},
                    {"memory_mb", r.memory_mb},
                    {"vcpu", r.vcpu},
                    {"preprocess", TaskJson(r.summary.preprocessing)},
                    {"training", TaskJson(r.summary.training)},
                    {"total", TaskJson(r.summary.total)},
                    {"provider_cold_start_s", r.provider_cold_start_s},
                    {"overhead_share", r.summary.overhead_share},
                    {"test_accuracy", r.test_accuracy}});
  }
  nlohmann::json vms = nlohmann::json::array();
  for (const auto& v : c.vms) {
    vms.push_back({{"vm", v.vm},
                   {"hourly_usd", v.hourly_usd},
                   {"vcpus", v.vcpus},
                   {"from_provider", v.from_provider},
                   {"wall_s", v.wall_s},
                   {"cost_for_wall_usd", v.wall_cost_usd},
                   {"work_s", v.work_s},
                   {"cost_for_work_usd", v.work_cost_usd}});
  }
  return {{"providers", runs},
          {"vms", vms},
          {"measured", {"durations", "init of our processes", "phase timings", "wall times"}},
          {"emulated",
           {"prices", "billing rounding and minimums", "provider cold-start overhead", "VM prices",
            "transfer and store request prices"}}};
}

}  // namespace sl::train

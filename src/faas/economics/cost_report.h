// Cost reports over an invocation ledger: what `straightline cost` prints.
//
// For each group (function or provider) and each pricing view — the records' own providers, then
// every --reprice target — it computes:
//   T_total    = Σ T_i            (measured handler durations, seconds)
//   T_parallel = Σ_stages max_i (init_i + T_i)   (stages run one after another; without stage tags
//                the whole group is one stage, i.e. max T_i — eq. 5 of the StraightLine paper)
//   T_parallel+cold = as above, plus the profile's platform cold-start mean for cold invocations
//                (emulated: our processes' init is measured, the provider's overhead is not)
//   GB-s, vCPU-s, GHz-s and cost C_total = Σ N_i·T_i·C_i after each provider's rounding,
//   minimums and request fees (pricing.h);
//   apart from it, the functions' object-store traffic (bytes, requests) and its price: egress
//   between the view's function cloud and the store's, and the store's request fees
//   (transfer_pricing.h) — repricing under another provider moves the functions to its cloud.
// Repricing keeps the measured work: durations (optionally scaled by the single-thread CPU ratio
// min(1,vCPU_src)/min(1,vCPU_dst) when scale_cpu is set), init times and peak memory; memory is
// mapped to the target's nearest allowed size. Prices, rounding and overheads come from the
// target profile. Throttled records count as invocations but are not billed.
// The VM comparison prices one always-on VM for the ledger's wall span (measured on this machine)
// and for the CPU work alone (Σ T_i·min(1,vCPU_i) spread over the VM's vCPUs, CPU-bound guess).
//
// Failure contract: NOT_FOUND when a record's provider has no profile (message names the provider
// and the first request id using it); errors from PriceInvocation name the request id.
// Thread safety: pure functions.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "faas/economics/invocation_record.h"
#include "faas/economics/provider_profile.h"

namespace sl::faas {

struct CostOptions {
  enum class GroupBy { kFunction, kProvider };
  GroupBy group_by = GroupBy::kFunction;
  std::vector<std::string> reprice;  // target profile names
  bool free_tier = false;            // subtract one month's free tier per provider
  bool scale_cpu = false;            // reprice: scale durations by the vCPU ratio
  std::vector<std::string> vms = {"ec2-c5.large", "ec2-m5.large", "gce-e2-standard-2"};
  // How profiles are found (tests may inject); default LoadProviderProfile.
  std::function<Result<ProviderProfile>(const std::string&)> load_profile;
};

struct UsageTotals {
  int64_t invocations = 0;
  int64_t throttled = 0;
  int64_t cold_starts = 0;
  int64_t errors = 0;  // any outcome other than success and throttled
  double t_total_s = 0;
  double init_total_s = 0;
  double t_parallel_s = 0;
  double t_parallel_cold_s = 0;
  double billed_s = 0;
  double gb_s = 0;
  double vcpu_s = 0;
  double ghz_s = 0;
  double compute_usd = 0;
  double request_usd = 0;
  double cost_usd = 0;
  // Object-store traffic the functions reported (InvocationRecord::store*) and its price under
  // this view's profiles (transfer_pricing.h); not part of cost_usd.
  int64_t store_bytes_read = 0;
  int64_t store_bytes_written = 0;
  int64_t store_requests = 0;
  double transfer_usd = 0;
  double store_request_usd = 0;
};

struct StageTotals {
  std::string stage;
  UsageTotals totals;
};

struct GroupReport {
  std::string key;       // function name or provider name
  std::string provider;  // pricing profile, "mixed" if several
  UsageTotals totals;
  std::vector<StageTotals> stages;  // only when some record of the group carries a stage tag
};

struct FreeTierCredit {
  std::string provider;
  double usd = 0;  // subtracted from the view's total
};

struct PricingView {
  std::string title;     // "as recorded" or "repriced under gcp-functions"
  std::string target;    // "" for as recorded
  std::vector<GroupReport> groups;
  UsageTotals total;
  std::vector<FreeTierCredit> free_tier;  // when CostOptions::free_tier
  double total_after_free_tier_usd = 0;
  std::vector<std::string> notes;  // memory remaps, CPU scaling, unpriced items
};

struct VmComparison {
  std::string profile;
  double hourly_usd = 0;
  double span_s = 0;
  double span_cost_usd = 0;
  double work_s = 0;
  double work_cost_usd = 0;
  double month_usd = 0;  // 730 h always on
};

struct CostReport {
  std::string ledger;
  std::string group_by;             // "function" | "provider"
  int64_t records = 0;
  double wall_span_s = 0;           // first start → last end, this machine
  double recorded_cost_usd = 0;     // Σ cost_usd written in the ledger
  PricingView recorded;             // recomputed under each record's provider
  std::vector<PricingView> repriced;
  std::vector<VmComparison> vms;
  std::vector<std::string> measured;  // which figures are measured here
  std::vector<std::string> emulated;  // which are taken from profiles
};

Result<CostReport> BuildCostReport(const std::vector<InvocationRecord>& records,
                                   const CostOptions& options, const std::string& ledger_name = "");

std::string FormatCostReport(const CostReport& report);
nlohmann::json CostReportToJson(const CostReport& report);

}  // namespace sl::faas

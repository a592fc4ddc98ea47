// `straightline cost`: what a ledger's invocations cost per function / provider, under their own
// provider profiles and, with --reprice, under others; with the always-on VM comparison.
#include <fmt/format.h>

#include "cli/commands.h"
#include "common/flags.h"
#include "faas/economics/cost_report.h"
#include "faas/economics/ledger.h"

namespace sl::cli {

int RunCost(const Args& args) {
  FlagSet flags("straightline cost",
                "Cost of the invocations in a ledger: T_total, T_parallel, GB-s and USD per "
                "function or provider, under each record's provider profile and optionally "
                "repriced under others, with an always-on VM comparison, and the functions' "
                "object-store traffic with its transfer (egress between clouds) and request "
                "prices, apart from the total. Durations, init times, memory and store bytes are "
                "measured; prices, rounding and platform overheads come from profiles/ (see "
                "docs/providers.md).");
  std::string ledger, by = "function";
  std::vector<std::string> reprice, vms;
  bool free_tier = false, json = false, scale_cpu = false;
  flags.String("ledger", &ledger, "the ledger file (JSON Lines), e.g. <state_dir>/ledger.jsonl");
  flags.String("by", &by, "group by 'function' or 'provider'");
  flags.List("reprice", &reprice,
             "also price the same measured work under these profiles (comma-separated or "
             "repeated; 'all' = every function profile)");
  flags.Bool("free-tier", &free_tier, "subtract one month's free tier per provider");
  flags.Bool("scale-cpu", &scale_cpu,
             "when repricing, scale durations by the single-thread vCPU ratio (CPU-bound guess)");
  flags.List("vm", &vms, "VM profiles to compare with (default ec2-c5.large,ec2-m5.large,"
                         "gce-e2-standard-2; 'none' to skip)");
  flags.Bool("json", &json, "print the report as JSON");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (ledger.empty()) {
    fmt::print(stderr, "--ledger: required (the ledger file to read)\n");
    return 2;
  }
  faas::CostOptions options;
  if (by == "function") {
    options.group_by = faas::CostOptions::GroupBy::kFunction;
  } else if (by == "provider") {
    options.group_by = faas::CostOptions::GroupBy::kProvider;
  } else {
    fmt::print(stderr, "--by: '{}' is not 'function' or 'provider'\n", by);
    return 2;
  }
  options.free_tier = free_tier;
  options.scale_cpu = scale_cpu;
  for (const std::string& name : SplitCommaList(reprice)) {
    if (name != "all") {
      options.reprice.push_back(name);
      continue;
    }
    auto names = faas::ListProviderProfiles();
    if (!names.ok()) {
      fmt::print(stderr, "--reprice all: {}\n", names.status().ToString());
      return 1;
    }
    for (const std::string& n : *names) {
      auto p = faas::LoadProviderProfile(n);
      if (p.ok() && p->kind == faas::ProfileKind::kFunction) options.reprice.push_back(n);
    }
  }
  if (flags.IsSet("vm")) {
    options.vms.clear();
    for (const std::string& v : SplitCommaList(vms)) {
      if (v != "none") options.vms.push_back(v);
    }
  }

  auto records = faas::ReadLedger(ledger);
  if (!records.ok()) {
    fmt::print(stderr, "straightline cost: {}\n", records.status().ToString());
    return 1;
  }
  auto report = faas::BuildCostReport(*records, options, ledger);
  if (!report.ok()) {
    fmt::print(stderr, "straightline cost: {}: {}\n", ledger, report.status().ToString());
    return report.status().code() == Code::kNotFound ||
                   report.status().code() == Code::kInvalidArgument
               ? 2 : 1;
  }
  if (json) {
    fmt::print("{}\n", faas::CostReportToJson(*report).dump(2));
  } else {
    fmt::print("{}", faas::FormatCostReport(*report));
  }
  return 0;
}

}  // namespace sl::cli

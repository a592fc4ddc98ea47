// The keep-alive study (issue 21 §2): one workload against several keep-alive policies, each
// policy spec built by the platform's MakeKeepAlivePolicy (one policy object per unit, as the
// platform has one per function), and the outcome per app and per policy: the distribution over
// apps of the cold-start percentage and the total wasted memory time — the two axes of Shahrad
// et al.'s Pareto figure (ATC 2020, Fig. 15/16).
//
// Failure contract: INVALID_ARGUMENT naming the spec for a policy MakeKeepAlivePolicy rejects,
// or for an empty list. Thread safety: pure; a report is a value.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "faas/economics/provider_profile.h"
#include "trace/keep_alive_sim.h"
#include "trace/workload.h"

namespace sl::trace {

struct AppOutcome {
  std::string app;
  double memory_mb = 0;
  UnitOutcome outcome;  // summed over the app's units
  double cold_start_pct() const {
    return outcome.invocations ? 100.0 * outcome.cold_starts / outcome.invocations : 0;
  }
};

struct PolicyOutcome {
  std::string spec;  // as given: "fixed:10m", "hybrid"
  std::string name;  // the policy's Name(): "fixed(600s)", "hybrid-histogram"
  std::vector<AppOutcome> apps;  // apps with at least one invocation, in workload order
  // Over apps: cold-start % at these quantiles (linear interpolation between order statistics).
  std::vector<std::pair<double, double>> cold_pct_quantiles;
  double cold_pct_mean = 0;
  int64_t invocations = 0, cold_starts = 0, prewarms = 0;
  double wasted_gb_s = 0;
  double idle_hours = 0;  // instance-hours loaded but idle, not weighted by memory (the paper's
                          // "wasted memory time")
  double seconds = 0;  // simulation time of this policy (wall clock, for the report only)
};

struct StudyReport {
  std::vector<std::string> notes;  // the workload's assumptions and the model's
  std::string provider;            // profile the specs were resolved against
  SimOptions sim;
  int64_t invocations = 0;
  double horizon_s = 0;
  std::vector<PolicyOutcome> policies;
};

// Quantile q in [0, 1] of values (need not be sorted), linear between order statistics
// (numpy's default); 0 for none.
double Quantile(std::vector<double> values, double q);

// clock times each policy's simulation for the report (null: Clock::Real()); the results do not
// depend on it.
Result<StudyReport> RunKeepAliveStudy(const Workload& workload,
                                      const std::vector<std::string>& policy_specs,
                                      const faas::ProviderProfile& profile, const SimOptions& sim,
                                      Clock* clock = nullptr);

nlohmann::json StudyToJson(const StudyReport& report, bool per_app);
// A table: one row per policy (cold-start % quantiles, wasted GB-s, relative to the first).
std::string FormatStudy(const StudyReport& report);

}  // namespace sl::trace

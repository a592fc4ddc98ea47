#include "trace/keep_alive_study.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace sl::trace {
namespace {

constexpr double kQuantiles[] = {0.25, 0.5, 0.75, 0.9, 0.99};

double MeanKeepAlive(const UnitOutcome& o) {
  int64_t n = 0;
  for (const auto& [reason, k] : o.decisions) n += k;
  return n ? o.keep_alive_s_sum / static_cast<double>(n) : 0;
}

}  // namespace

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

Result<StudyReport> RunKeepAliveStudy(const Workload& workload,
                                      const std::vector<std::string>& policy_specs,
                                      const faas::ProviderProfile& profile, const SimOptions& sim,
                                      Clock* clock) {
  if (policy_specs.empty()) return InvalidArgument("keep-alive study: no policies given");
  if (sim.instance_concurrency < 0) {
    return InvalidArgument("instance concurrency {}: want >= 0 (0: unlimited)", sim.instance_concurrency);
  }
  if (sim.cold_start < Nanos(0)) return InvalidArgument("cold start: want >= 0");
  if (!clock) clock = Clock::Real();
  StudyReport report;
  report.notes = workload.notes;
  report.notes.push_back(
      sim.instance_concurrency == 0
          ? "one instance per unit serving any number of invocations at once (Shahrad et al.'s "
            "model: an app is loaded or not)"
          : fmt::format("{} invocation(s) per instance at once, more instances on demand (the "
                        "platform's model)", sim.instance_concurrency));
  report.provider = profile.name;
  report.sim = sim;
  report.invocations = workload.invocations;
  report.horizon_s = std::chrono::duration<double>(workload.horizon).count();
  // Apps in workload order; an app may have several units (per-function keep-alive).
  std::map<std::string, size_t> app_index;
  std::vector<std::pair<std::string, double>> apps;  // app, memory summed over its units
  std::vector<size_t> unit_app(workload.units.size());
  for (size_t i = 0; i < workload.units.size(); ++i) {
    const auto& u = workload.units[i];
    auto [it, added] = app_index.emplace(u.app, apps.size());
    if (added) apps.emplace_back(u.app, 0.0);
    apps[it->second].second += u.memory_mb;
    unit_app[i] = it->second;
  }
  // Every spec is checked before any is simulated (a typo in the last one fails at once).
  std::vector<std::string> names;
  for (const std::string& spec : policy_specs) {
    SL_ASSIGN_OR_RETURN(auto policy, faas::MakeKeepAlivePolicy(spec, profile));
    names.push_back(policy->Name());
  }
  for (size_t s = 0; s < policy_specs.size(); ++s) {
    const std::string& spec = policy_specs[s];
    const TimePoint t0 = clock->Now();
    PolicyOutcome po;
    po.spec = spec;
    po.name = names[s];
    std::vector<AppOutcome> per_app(apps.size());
    for (size_t a = 0; a < apps.size(); ++a) {
      per_app[a].app = apps[a].first;
      per_app[a].memory_mb = apps[a].second;
    }
    for (size_t i = 0; i < workload.units.size(); ++i) {
      // One policy per unit, as the platform makes one per function (platform.cc).
      SL_ASSIGN_OR_RETURN(auto policy, faas::MakeKeepAlivePolicy(spec, profile));
      UnitOutcome u = SimulateUnit(workload.units[i], workload.horizon, *policy, sim);
      UnitOutcome& sum = per_app[unit_app[i]].outcome;
      sum.invocations += u.invocations;
      sum.cold_starts += u.cold_starts;
      sum.instances_started += u.instances_started;
      sum.prewarms += u.prewarms;
      sum.idle_seconds += u.idle_seconds;
      sum.wasted_gb_s += u.wasted_gb_s;
      sum.keep_alive_s_sum += u.keep_alive_s_sum;
      for (const auto& [reason, n] : u.decisions) sum.decisions[reason] += n;
    }
    std::vector<double> pct;
    for (auto& a : per_app) {
      po.wasted_gb_s += a.outcome.wasted_gb_s;  // idle memory counts even for an app never called
      po.idle_hours += a.outcome.idle_seconds / 3600;
      po.prewarms += a.outcome.prewarms;
      if (a.outcome.invocations == 0) continue;
      po.invocations += a.outcome.invocations;
      po.cold_starts += a.outcome.cold_starts;
      pct.push_back(a.cold_start_pct());
      po.apps.push_back(std::move(a));
    }
    for (double q : kQuantiles) po.cold_pct_quantiles.emplace_back(q, Quantile(pct, q));
    double sum = 0;
    for (double p : pct) sum += p;
    po.cold_pct_mean = pct.empty() ? 0 : sum / static_cast<double>(pct.size());
    po.seconds = SecondsBetween(t0, clock->Now());
    report.policies.push_back(std::move(po));
  }
  return report;
}

nlohmann::json StudyToJson(const StudyReport& r, bool per_app) {
  nlohmann::json j;
  j["provider"] = r.provider;
  j["invocations"] = r.invocations;
  j["horizon_s"] = r.horizon_s;
  j["instance_concurrency"] = r.sim.instance_concurrency;
  j["cold_start_ms"] = std::chrono::duration<double, std::milli>(r.sim.cold_start).count();
  j["notes"] = r.notes;
  j["policies"] = nlohmann::json::array();
  const double base = r.policies.empty() ? 0 : r.policies.front().wasted_gb_s;
  for (const auto& p : r.policies) {
    nlohmann::json pj;
    pj["spec"] = p.spec;
    pj["name"] = p.name;
    pj["apps"] = p.apps.size();
    pj["invocations"] = p.invocations;
    pj["cold_starts"] = p.cold_starts;
    pj["prewarms"] = p.prewarms;
    pj["cold_start_pct_mean"] = p.cold_pct_mean;
    nlohmann::json q = nlohmann::json::object();
    for (const auto& [k, v] : p.cold_pct_quantiles) q[fmt::format("p{:g}", k * 100)] = v;
    pj["cold_start_pct_over_apps"] = q;
    pj["wasted_gb_s"] = p.wasted_gb_s;
    pj["wasted_vs_first"] = base > 0 ? nlohmann::json(p.wasted_gb_s / base) : nlohmann::json();
    pj["idle_instance_hours"] = p.idle_hours;
    pj["simulation_s"] = p.seconds;
    if (per_app) {
      nlohmann::json apps = nlohmann::json::array();
      for (const auto& a : p.apps) {
        apps.push_back({{"app", a.app},
                        {"memory_mb", a.memory_mb},
                        {"invocations", a.outcome.invocations},
                        {"cold_starts", a.outcome.cold_starts},
                        {"cold_start_pct", a.cold_start_pct()},
                        {"prewarms", a.outcome.prewarms},
                        {"idle_s", a.outcome.idle_seconds},
                        {"wasted_gb_s", a.outcome.wasted_gb_s},
                        {"decisions", a.outcome.decisions},
                        {"mean_keep_alive_s", MeanKeepAlive(a.outcome)}});
      }
      pj["per_app"] = std::move(apps);
    }
    j["policies"].push_back(std::move(pj));
  }
  return j;
}

std::string FormatStudy(const StudyReport& r) {
  std::string out;
  for (const auto& n : r.notes) out += fmt::format("# {}\n", n);
  out += fmt::format("# {} invocations over {:.0f} s; cold-start % over apps; wasted = GB-s loaded "
                     "but idle\n", r.invocations, r.horizon_s);
  out += fmt::format("{:<18} {:<20} {:>5} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>12} {:>8} {:>8} {:>7}\n",
                     "POLICY", "NAME", "APPS", "COLD", "P25%", "P50%", "P75%", "P90%", "P99%",
                     "WASTED_GB_S", "VS_1ST", "IDLE_H", "SIM_S");
  const double base = r.policies.empty() ? 0 : r.policies.front().wasted_gb_s;
  for (const auto& p : r.policies) {
    out += fmt::format("{:<18} {:<20} {:>5} {:>8}", p.spec, p.name, p.apps.size(), p.cold_starts);
    for (const auto& [q, v] : p.cold_pct_quantiles) out += fmt::format(" {:>7.2f}", v);
    out += fmt::format(" {:>12.0f} {:>8} {:>8.1f} {:>7.3f}\n", p.wasted_gb_s,
                       base > 0 ? fmt::format("{:.3f}", p.wasted_gb_s / base) : "-", p.idle_hours,
                       p.seconds);
  }
  return out;
}

}  // namespace sl::trace

#include "trace/replay/replay_report.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "trace/keep_alive_study.h"

namespace sl::trace {
namespace {

struct Tally {
  int64_t planned = 0, sent = 0, completed = 0, failed = 0, cold = 0;
  std::map<std::string, int64_t> errors;
  std::map<std::string, int64_t> tiers;  // gateway: where the answered requests ran
  std::vector<double> latency_ms;
  double billed_gb_s = 0, cost_usd = 0, init_ms_sum = 0, queued_ms_sum = 0, max_lag_ms = 0;
  double idle_s = 0, wasted_gb_s = 0;
  int64_t sim_cold = 0;
  double sim_idle_s = 0, sim_wasted_gb_s = 0;

  void Add(const CallResult& c, int64_t memory_mb) {
    ++planned;
    if (!c.done) return;
    ++sent;
    max_lag_ms = std::max(max_lag_ms, c.send_lag_ms);
    if (c.ok) {
      ++completed;
    } else {
      ++failed;
      ++errors[c.error];
    }
    if (!c.tier.empty()) ++tiers[c.tier];
    cold += c.cold;
    if (c.cold) init_ms_sum += c.init_ms;
    latency_ms.push_back(c.latency_ms);
    billed_gb_s += c.billed_ms / 1000 * static_cast<double>(memory_mb) / 1024;
    cost_usd += c.cost_usd;
    queued_ms_sum += c.queued_ms;
  }
  void Merge(const Tally& t) {
    planned += t.planned, sent += t.sent, completed += t.completed, failed += t.failed;
    cold += t.cold;
    for (const auto& [k, v] : t.errors) errors[k] += v;
    for (const auto& [k, v] : t.tiers) tiers[k] += v;
    latency_ms.insert(latency_ms.end(), t.latency_ms.begin(), t.latency_ms.end());
    billed_gb_s += t.billed_gb_s, cost_usd += t.cost_usd, init_ms_sum += t.init_ms_sum;
    queued_ms_sum += t.queued_ms_sum, max_lag_ms = std::max(max_lag_ms, t.max_lag_ms);
    idle_s += t.idle_s, wasted_gb_s += t.wasted_gb_s;
    sim_cold += t.sim_cold, sim_idle_s += t.sim_idle_s, sim_wasted_gb_s += t.sim_wasted_gb_s;
  }
  nlohmann::json Json(bool host, bool idle, bool sim) const {
    nlohmann::json j = {{"planned", planned}, {"sent", sent}, {"completed", completed},
                        {"failed", failed}, {"errors", errors},
                        {"latency_ms", {{"p50", Quantile(latency_ms, 0.5)},
                                        {"p95", Quantile(latency_ms, 0.95)},
                                        {"p99", Quantile(latency_ms, 0.99)},
                                        {"max", Quantile(latency_ms, 1.0)}}},
                        {"max_send_lag_ms", max_lag_ms}};
    if (!host) j["tiers"] = tiers;
    if (host) {
      j["cold_starts"] = cold;
      j["mean_init_ms"] = cold ? init_ms_sum / static_cast<double>(cold) : 0.0;
      j["billed_gb_s"] = billed_gb_s;
      j["cost_usd"] = cost_usd;
      j["queued_ms_total"] = queued_ms_sum;
    }
    if (idle) {
      j["idle_instance_s"] = idle_s;
      j["wasted_gb_s"] = wasted_gb_s;
    }
    if (sim) {
      j["simulated"] = {{"cold_starts", sim_cold}, {"idle_instance_s", sim_idle_s},
                        {"wasted_gb_s", sim_wasted_gb_s}};
    }
    return j;
  }
};

}  // namespace

nlohmann::json ReplayReportJson(const ReplayPlan& plan, const ReplayResult& result,
                                const ReplaySimulation* sim) {
  const bool host = result.target != "gateway";
  const bool idle = result.idle_measured;
  std::vector<Tally> per(plan.functions.size());
  for (size_t i = 0; i < plan.calls.size(); ++i) {
    const auto f = static_cast<size_t>(plan.calls[i].function);
    per[f].Add(result.calls[i], host ? result.memory_mb[f] : 0);
  }
  Tally total;
  nlohmann::json functions = nlohmann::json::array();
  for (size_t f = 0; f < per.size(); ++f) {
    Tally& t = per[f];
    if (idle) {
      t.idle_s = result.idle_trace_s[f];
      t.wasted_gb_s = t.idle_s * static_cast<double>(result.memory_mb[f]) / 1024;
    }
    if (sim != nullptr) {
      const UnitOutcome& u = sim->functions[f];
      t.sim_cold = u.cold_starts;
      t.sim_idle_s = u.idle_seconds;
      t.sim_wasted_gb_s = u.wasted_gb_s;
    }
    const ReplayFunction& rf = plan.functions[f];
    nlohmann::json j = t.Json(host, idle, sim != nullptr);
    j["name"] = rf.name;
    j["app"] = rf.app;
    j["function"] = rf.function;
    j["trace_memory_mb"] = rf.memory_mb;
    if (host) {
      j["memory_mb"] = result.memory_mb[f];
      j["touched_mb"] = result.touch_mb[f];
    }
    functions.push_back(std::move(j));
    total.Merge(t);
  }
  const ReplayOptions& o = plan.options;
  nlohmann::json report = {
      {"target", result.target},
      {"changes", {{"minutes", {o.minute_begin, o.minute_end}},
                   {"speed", o.speed},
                   {"scale", o.scale},
                   {"functions_sampled", plan.functions.size()},
                   {"functions_with_invocations", plan.functions_with_calls},
                   {"functions_in_trace", plan.trace_functions},
                   {"arrivals", std::string(ArrivalModeName(o.arrivals))},
                   {"durations_compressed", o.scale_durations},
                   {"seed", o.seed}}},
      {"notes", plan.notes},
      {"measured_vs_emulated", result.notes},
      {"trace_window_s", std::chrono::duration<double>(plan.trace_horizon).count()},
      {"replay_window_s", std::chrono::duration<double>(plan.replay_horizon).count()},
      {"wall_s", result.wall_s},
      {"functions", std::move(functions)},
      {"total", total.Json(host, idle, sim != nullptr)}};
  report["changes"]["minutes"][1] = o.minute_begin + static_cast<int64_t>(
      std::llround(std::chrono::duration<double>(plan.trace_horizon).count() / 60));
  if (host) report["keep_alive"] = result.keep_alive.empty() ? "fixed" : result.keep_alive;
  if (sim != nullptr) {
    report["simulator"] = {{"policy", sim->policy}, {"cold_start_trace_s", sim->cold_start_trace_s}};
    auto rel = [](double measured, double simulated) {
      return simulated == 0 ? (measured == 0 ? 0.0 : 1.0) : (measured - simulated) / simulated;
    };
    report["simulator"]["cold_starts_rel_diff"] =
        rel(static_cast<double>(total.cold), static_cast<double>(total.sim_cold));
    if (idle) report["simulator"]["wasted_gb_s_rel_diff"] = rel(total.wasted_gb_s, total.sim_wasted_gb_s);
  }
  return report;
}

std::string ReplayReportTable(const nlohmann::json& r, size_t max_rows) {
  std::string out;
  for (const auto& n : r["notes"]) out += fmt::format("  {}\n", n.get<std::string>());
  for (const auto& n : r["measured_vs_emulated"]) out += fmt::format("  {}\n", n.get<std::string>());
  if (r.contains("keep_alive")) out += fmt::format("  keep-alive policy: {}\n", r["keep_alive"].get<std::string>());
  const bool host = r["target"] != "gateway";
  const bool idle = r["total"].contains("wasted_gb_s");
  const bool sim = r.contains("simulator");
  out += fmt::format("\n{:<24} {:>6} {:>6} {:>6} {:>6}", "function", "MB", "sent", "ok", "failed");
  if (host) out += fmt::format(" {:>5} {:>9}", "cold", "billedGBs");
  out += fmt::format(" {:>8} {:>8} {:>8}", "p50 ms", "p95 ms", "p99 ms");
  if (idle) out += fmt::format(" {:>9}", "wastedGBs");
  if (sim) out += fmt::format(" {:>8} {:>9}", "sim cold", "simwasted");
  out += "\n";
  auto row = [&](const std::string& name, const nlohmann::json& j) {
    out += fmt::format("{:<24} {:>6} {:>6} {:>6} {:>6}", name,
                       j.contains("memory_mb") ? std::to_string(j["memory_mb"].get<int64_t>()) : "",
                       j["sent"].get<int64_t>(), j["completed"].get<int64_t>(), j["failed"].get<int64_t>());
    if (host) out += fmt::format(" {:>5} {:>9.3f}", j["cold_starts"].get<int64_t>(), j["billed_gb_s"].get<double>());
    const auto& l = j["latency_ms"];
    out += fmt::format(" {:>8.1f} {:>8.1f} {:>8.1f}", l["p50"].get<double>(), l["p95"].get<double>(),
                       l["p99"].get<double>());
    if (idle) out += fmt::format(" {:>9.1f}", j["wasted_gb_s"].get<double>());
    if (sim) {
      out += fmt::format(" {:>8} {:>9.1f}", j["simulated"]["cold_starts"].get<int64_t>(),
                         j["simulated"]["wasted_gb_s"].get<double>());
    }
    out += "\n";
  };
  std::vector<const nlohmann::json*> fns;
  for (const auto& f : r["functions"]) fns.push_back(&f);
  std::stable_sort(fns.begin(), fns.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
    return (*a)["planned"].get<int64_t>() > (*b)["planned"].get<int64_t>();
  });
  for (size_t i = 0; i < fns.size() && i < max_rows; ++i) row((*fns[i])["name"].get<std::string>(), *fns[i]);
  if (fns.size() > max_rows) out += fmt::format("... {} more functions (--json-out has them all)\n", fns.size() - max_rows);
  row("total", r["total"]);
  if (!r["total"]["errors"].empty()) out += fmt::format("failures by kind: {}\n", r["total"]["errors"].dump());
  if (r["total"].contains("tiers")) out += fmt::format("answered by tier: {}\n", r["total"]["tiers"].dump());
  out += fmt::format("trace window {:.0f} s replayed in {:.1f} s (wall {:.1f} s); sends at most {:.1f} ms late\n",
                     r["trace_window_s"].get<double>(), r["replay_window_s"].get<double>(),
                     r["wall_s"].get<double>(), r["total"]["max_send_lag_ms"].get<double>());
  if (idle) {
    out += "wasted GB-s: idle instance time in trace time x the function's memory\n";
  }
  if (sim) {
    const auto& s = r["simulator"];
    out += fmt::format("simulator ({}, cold starts of the replay's measured init, mean {:.2f} s of trace time): cold starts {:+.1f} %",
                       s["policy"].get<std::string>(), s["cold_start_trace_s"].get<double>(),
                       100 * s["cold_starts_rel_diff"].get<double>());
    if (s.contains("wasted_gb_s_rel_diff")) {
      out += fmt::format(", wasted GB-s {:+.1f} %", 100 * s["wasted_gb_s_rel_diff"].get<double>());
    }
    out += " (replay vs simulator)\n";
  }
  return out;
}

}  // namespace sl::trace

#include "serve/sim/sim_report.h"

#include <fmt/format.h>

#include "serve/load/load_report.h"

namespace sl::serve::sim {
namespace {

nlohmann::json FitJson(const ServiceFit& f) {
  return {{"measured", f.measured}, {"per_request_ms", f.a_ms}, {"per_sample_ms", f.m_ms},
          {"lognormal_sigma", f.sigma}, {"sizes", f.points}};
}

}  // namespace

nlohmann::json SimResultJson(const load::LoadSpec& spec, const PlacementSimResult& r) {
  const std::vector<load::GroupStats> rows = load::Summarize(spec, r.load);
  nlohmann::json j = nlohmann::json::parse(load::ReportJson(spec, r.load, rows));
  j.erase("target");
  j["policy"] = r.policy;
  j["simulated"] = {{"events", r.events}, {"simulated_s", r.simulated_s}, {"wall_ms", r.wall_ms}};
  j["placements"] = r.placements;
  nlohmann::json tiers = nlohmann::json::array();
  for (const TierSummary& t : r.tiers) {
    tiers.push_back({{"tier", t.tier}, {"answered_ok", t.stats.answered_ok},
                     {"refused", t.stats.refused}, {"expired", t.stats.expired},
                     {"starts", t.stats.starts}, {"stops", t.stats.stops},
                     {"peak_replicas", t.stats.peak_replicas}, {"cost_usd", t.stats.cost_usd}});
  }
  j["tiers"] = tiers;
  // The tiers' state per second, in the shape of load's "timeline" (one array per key).
  nlohmann::json ts;
  ts["bucket_s"] = 1;
  ts["note"] = "each tier's state at the end of the second (simulated)";
  std::vector<std::pair<const char*, int64_t TierSecond::*>> keys = {
      {"local_queued", &TierSecond::local_queued},
      {"local_inflight", &TierSecond::local_inflight},
      {"container_replicas", &TierSecond::container_replicas},
      {"container_queued", &TierSecond::container_queued},
      {"function_instances", &TierSecond::function_instances},
      {"function_inflight", &TierSecond::function_inflight}};
  nlohmann::json t_s = nlohmann::json::array();
  for (size_t i = 0; i < r.tier_seconds.size(); ++i) t_s.push_back(i + 1);
  ts["t_s"] = t_s;
  for (const auto& [name, field] : keys) {
    nlohmann::json v = nlohmann::json::array();
    for (const TierSecond& sec : r.tier_seconds) v.push_back(sec.*field);
    ts[name] = v;
  }
  j["tier_timeline"] = ts;
  return j;
}

nlohmann::json SimReportJson(const PlacementSimOptions& o, const std::vector<PlacementSimResult>& runs) {
  const Topology& t = o.topology;
  nlohmann::json j;
  j["simulate"] = "placement";
  j["calibration"] = {{"file", o.calibration.file}, {"model", o.calibration.model},
                      {"frequency_threshold_per_s", o.placer.frequency_threshold},
                      {"size_threshold_bytes", o.placer.size_threshold},
                      {"local", FitJson(o.calibration.local)},
                      {"container", FitJson(o.calibration.container)},
                      {"function", FitJson(o.calibration.function)},
                      {"container_start_ms", o.calibration.container_start_ms},
                      {"function_init_ms", o.calibration.function_start_ms},
                      {"warm_factor", o.calibration.warm_factor},
                      {"cpu_fraction", o.topology.cpu_fraction},
                      {"cpu_fraction_derivation", o.calibration.cpu_fraction_note}};
  j["topology"] = {{"tiers", nlohmann::json::array()},
                   {"shared_cores", t.shared_cores},
                   {"local_cores", t.local_cores},
                   {"local_threads", t.local_threads},
                   {"local_queue", t.local_options.queue_limit},
                   {"max_batch", t.local_options.max_batch},
                   {"container_replicas", {t.container_options.min_replicas, t.container_options.max_replicas}},
                   {"replica_concurrency", t.container_options.replica_concurrency},
                   {"queue_per_replica", t.container_options.queue_per_replica},
                   {"cpus_per_replica", t.container_options.cpus_per_replica},
                   {"provider", o.profile.name},
                   {"function_memory_mb", t.function_options.memory_mb},
                   {"function_concurrency", t.function_options.concurrency_limit},
                   {"keep_alive_s", std::chrono::duration<double>(t.function_options.keep_alive).count()},
                   {"request_timeout_ms", t.request_timeout_ms}};
  if (t.local) j["topology"]["tiers"].push_back("local");
  if (t.container) j["topology"]["tiers"].push_back("container");
  if (t.function) j["topology"]["tiers"].push_back("function");
  nlohmann::json pol = nlohmann::json::array();
  for (const PlacementSimResult& r : runs) pol.push_back(SimResultJson(o.spec, r));
  j["policies"] = pol;
  return j;
}

std::string SimReportTable(const load::LoadSpec& spec, const std::vector<PlacementSimResult>& runs) {
  std::string s;
  for (const PlacementSimResult& r : runs) {
    s += fmt::format("== policy {} ({} simulated s, {} events, {:.0f} ms)\n", r.policy,
                     fmt::format("{:.1f}", r.simulated_s), r.events, r.wall_ms);
    s += load::ReportTable(load::Summarize(spec, r.load));
    std::string pl;
    for (const auto& [tier, rules] : r.placements) {
      for (const auto& [rule, n] : rules) pl += fmt::format(" {}/{}={}", tier, rule, n);
    }
    s += "placements:" + pl + "\n";
    for (const TierSummary& t : r.tiers) {
      s += fmt::format("tier {:<9} ok {:>9} refused {:>8} expired {:>6} starts {:>6} stops {:>6} peak {:>5} cost ${:.4f}\n",
                       t.tier, t.stats.answered_ok, t.stats.refused, t.stats.expired, t.stats.starts,
                       t.stats.stops, t.stats.peak_replicas, t.stats.cost_usd);
    }
  }
  return s;
}

std::string DescribeModel(const PlacementSimOptions& o) {
  const Topology& t = o.topology;
  const Calibration& c = o.calibration;
  std::string cores = t.shared_cores > 0 ? fmt::format("all tiers share {:g} cores", t.shared_cores)
                                         : fmt::format("tiers on their own machines: local {:g} cores", t.local_cores);
  return fmt::format(
      "# model: {}; local service {:.3f} ms at 1 sample, {:.3f} at 32 (sigma {:.2f}), {:.0f} % of it CPU; container {}; "
      "function {} (provider {}, {} MB, limit {}, cold start: INIT {:.0f} ms{}, keep-alive {:.0f} s); "
      "F={:.0f}/s D={}\n",
      cores, c.local.MeanMs(1), c.local.MeanMs(32), c.local.sigma, 100 * t.cpu_fraction,
      t.container ? fmt::format("{}..{} replicas x {} at a time, start {:.0f} ms", t.container_options.min_replicas,
                                t.container_options.max_replicas, t.container_options.replica_concurrency,
                                t.container_options.start_ms)
                  : "not deployed",
      t.function ? "deployed" : "not deployed", o.profile.name, t.function_options.memory_mb,
      t.function_options.concurrency_limit, t.function_options.init_ms,
      t.function_options.profile_cold_start
          ? fmt::format(" + the profile's {:.0f}±{:.0f} ms", o.profile.cold_start_mean_ms, o.profile.cold_start_sd_ms)
          : std::string(),
      std::chrono::duration<double>(t.function_options.keep_alive).count(),
      o.placer.frequency_threshold, FormatBytes(o.placer.size_threshold));
}

}  // namespace sl::serve::sim

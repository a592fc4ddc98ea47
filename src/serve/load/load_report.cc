#include "serve/load/load_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

namespace sl::serve::load {
namespace {

GroupStats Finish(const std::string& phase, const std::string& tier, const GroupAccumulator& a,
                  const SessionAccumulator* sessions, double seconds) {
  GroupStats g;
  g.phase = phase;
  g.tier = tier;
  g.requests = a.requests;
  g.failures = a.failures;
  g.failure_rate = a.requests ? static_cast<double>(a.failures) / static_cast<double>(a.requests) : 0;
  g.mean_ms = a.response_ms.mean_ms();
  g.p50_ms = a.response_ms.Percentile(50);
  g.p90_ms = a.response_ms.Percentile(90);
  g.p95_ms = a.response_ms.Percentile(95);
  g.p99_ms = a.response_ms.Percentile(99);
  g.max_ms = a.response_ms.max_ms();
  g.throughput_per_s = seconds > 0 ? static_cast<double>(a.requests) / seconds : 0;
  if (sessions != nullptr) {
    g.sessions = sessions->sessions;
    g.failed_sessions = sessions->failed;
    g.session_mean_ms = sessions->length_ms.mean_ms();
    g.session_p50_ms = sessions->length_ms.Percentile(50);
    g.session_p99_ms = sessions->length_ms.Percentile(99);
  }
  return g;
}

// Mean of `sum` over `n`, or null when nothing was counted.
nlohmann::json MeanOrNull(double sum, int64_t n) {
  return n > 0 ? nlohmann::json(sum / static_cast<double>(n)) : nlohmann::json(nullptr);
}
nlohmann::json Round3(double v) { return std::round(v * 1000) / 1000; }

}  // namespace

double Percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double rank = std::ceil(p / 100.0 * static_cast<double>(v.size()));
  size_t idx = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(v.size()))) - 1;
  return v[idx];
}

std::vector<GroupStats> Summarize(const LoadSpec& spec, const LoadResult& result) {
  std::vector<GroupStats> rows;
  if (result.recorded == nullptr) return rows;
  const LoadRecorder& rec = *result.recorded;
  const size_t np = spec.phases.size();
  // Phase np: every phase.
  std::vector<std::map<std::string, GroupAccumulator>> tiers(np + 1);
  std::vector<GroupAccumulator> all(np + 1);
  std::vector<SessionAccumulator> sessions(np + 1);
  for (size_t p = 0; p < np && p < rec.phases(); ++p) {
    for (const auto& [tier, acc] : rec.PhaseTiers(p)) {
      for (size_t idx : {p, np}) {
        for (GroupAccumulator* a : {&tiers[idx][tier], &all[idx]}) {
          a->requests += acc.requests;
          a->failures += acc.failures;
          a->response_ms.Merge(acc.response_ms);
        }
      }
    }
    const SessionAccumulator& s = rec.PhaseSessions(p);
    for (size_t idx : {p, np}) {
      sessions[idx].sessions += s.sessions;
      sessions[idx].failed += s.failed;
      sessions[idx].length_ms.Merge(s.length_ms);
    }
  }
  for (size_t i = 0; i <= np; ++i) {
    const std::string name = i < np ? spec.phases[i].name : "all";
    const double secs = i < np ? spec.phases[i].duration_s : result.wall_s;
    rows.push_back(Finish(name, "all", all[i], &sessions[i], secs));
    for (const auto& [tier, acc] : tiers[i]) rows.push_back(Finish(name, tier, acc, nullptr, secs));
  }
  return rows;
}

nlohmann::json TimelineJson(const LoadRecorder& rec) {
  const std::vector<SecondStats>& sec = rec.seconds();
  const std::vector<PlacementKey>& keys = rec.placement_keys();
  nlohmann::json t;
  t["bucket_s"] = 1;
  t["note"] =
      "per second of the session's arrival since the load's start (its requests in the same second); "
      "percentiles of the requests answered, from a log-linear histogram (within 1.6 %); null: nothing "
      "to measure in that second";
  nlohmann::json t_s = nlohmann::json::array(), launched = nlohmann::json::array(),
                 completed = nlohmann::json::array(), failed = nlohmann::json::array(),
                 session_ms = nlohmann::json::array(), requests = nlohmann::json::array(),
                 req_failed = nlohmann::json::array(), p50 = nlohmann::json::array(),
                 p90 = nlohmann::json::array(), p99 = nlohmann::json::array(),
                 f_mean = nlohmann::json::array(), f_max = nlohmann::json::array(),
                 F = nlohmann::json::array();
  std::array<nlohmann::json, kFailureCauses> by_cause;
  for (auto& c : by_cause) c = nlohmann::json::array();
  std::vector<nlohmann::json> placed(keys.size(), nlohmann::json::array());
  std::vector<nlohmann::json> placed_failed(keys.size(), nlohmann::json::array());
  for (size_t i = 0; i < sec.size(); ++i) {
    const SecondStats& s = sec[i];
    t_s.push_back(i);
    launched.push_back(s.sessions_launched);
    completed.push_back(s.sessions_completed);
    failed.push_back(s.sessions_failed);
    for (size_t c = 0; c < by_cause.size(); ++c) by_cause[c].push_back(s.failed_by_cause[c]);
    session_ms.push_back(s.sessions_completed > 0 ? Round3(s.session_ms_sum / static_cast<double>(s.sessions_completed))
                                                  : nlohmann::json(nullptr));
    requests.push_back(s.requests);
    req_failed.push_back(s.request_failures);
    const bool any = s.response_ms.count() > 0;
    p50.push_back(any ? Round3(s.response_ms.Percentile(50)) : nlohmann::json(nullptr));
    p90.push_back(any ? Round3(s.response_ms.Percentile(90)) : nlohmann::json(nullptr));
    p99.push_back(any ? Round3(s.response_ms.Percentile(99)) : nlohmann::json(nullptr));
    const nlohmann::json mean = MeanOrNull(s.f_t_sum, s.f_t_samples);
    f_mean.push_back(mean.is_null() ? mean : Round3(mean.get<double>()));
    f_max.push_back(s.f_t_samples > 0 ? Round3(s.f_t_max) : nlohmann::json(nullptr));
    F.push_back(s.threshold >= 0 ? nlohmann::json(s.threshold) : nlohmann::json(nullptr));
    for (size_t k = 0; k < keys.size(); ++k) {
      placed[k].push_back(k < s.placements.size() ? s.placements[k] : 0);
      placed_failed[k].push_back(k < s.placement_failures.size() ? s.placement_failures[k] : 0);
    }
  }
  t["t_s"] = t_s;
  t["sessions_launched"] = launched;
  t["sessions_completed"] = completed;
  t["sessions_failed"] = failed;
  nlohmann::json causes = nlohmann::json::object();
  for (size_t c = 0; c < by_cause.size(); ++c) {
    causes[std::string(FailureCauseName(static_cast<FailureCause>(c)))] = by_cause[c];
  }
  t["sessions_failed_by_cause"] = causes;
  t["session_mean_ms"] = session_ms;
  t["requests"] = requests;
  t["request_failures"] = req_failed;
  t["p50_ms"] = p50;
  t["p90_ms"] = p90;
  t["p99_ms"] = p99;
  nlohmann::json placements = nlohmann::json::array();
  for (size_t k = 0; k < keys.size(); ++k) {
    placements.push_back(
        {{"tier", keys[k].tier}, {"rule", keys[k].rule}, {"counts", placed[k]}, {"failed", placed_failed[k]}});
  }
  t["placements"] = placements;
  t["f_t_mean"] = f_mean;
  t["f_t_max"] = f_max;
  t["F"] = F;
  return t;
}

std::string ReportJson(const LoadSpec& spec, const LoadResult& result,
                       const std::vector<GroupStats>& rows) {
  nlohmann::json j;
  j["target"] = spec.target;
  j["model"] = spec.model;
  j["wall_s"] = result.wall_s;
  j["session_requests"] = spec.session_requests;
  j["concurrency"] = spec.concurrency;
  j["dropped_sessions"] = result.dropped_sessions;
  nlohmann::json payloads = nlohmann::json::array();
  for (size_t i = 0; i < spec.payloads.size(); ++i) {
    payloads.push_back({{"kind", spec.payloads[i].kind}, {"weight", spec.payloads[i].weight},
                        {"batch", spec.payloads[i].batch},
                        {"bytes", i < result.payload_bytes.size() ? result.payload_bytes[i] : 0}});
  }
  j["payloads"] = payloads;
  nlohmann::json phases = nlohmann::json::array();
  for (const Phase& p : spec.phases) {
    phases.push_back({{"name", p.name}, {"duration_s", p.duration_s},
                      {"arrival_rate", p.arrival_rate}, {"ramp_to", p.EndRate()}});
  }
  j["phases"] = phases;
  nlohmann::json out = nlohmann::json::array();
  for (const GroupStats& g : rows) {
    nlohmann::json r = {{"phase", g.phase}, {"tier", g.tier}, {"requests", g.requests},
                        {"failures", g.failures}, {"failure_rate", g.failure_rate},
                        {"mean_ms", g.mean_ms}, {"p50_ms", g.p50_ms}, {"p90_ms", g.p90_ms},
                        {"p95_ms", g.p95_ms}, {"p99_ms", g.p99_ms}, {"max_ms", g.max_ms},
                        {"throughput_per_s", g.throughput_per_s}};
    if (g.tier == "all") {
      r["sessions"] = g.sessions;
      r["failed_sessions"] = g.failed_sessions;
      r["session_mean_ms"] = g.session_mean_ms;
      r["session_p50_ms"] = g.session_p50_ms;
      r["session_p99_ms"] = g.session_p99_ms;
    }
    out.push_back(r);
  }
  j["groups"] = out;
  std::string text = j.dump(2);  // "{\n  ...\n}"
  if (result.recorded != nullptr) {
    // One line per series rather than one per number (dump(2) would spread a 3-minute ramp's
    // timeline over ~20,000 lines).
    const nlohmann::json timeline = TimelineJson(*result.recorded);
    std::string block = ",\n  \"timeline\": {";
    bool first = true;
    for (const auto& [key, value] : timeline.items()) {
      block += fmt::format("{}\n    {}: {}", first ? "" : ",", nlohmann::json(key).dump(), value.dump());
      first = false;
    }
    block += "\n  }";
    text.insert(text.size() - 2, block);
  }
  return text + "\n";
}

std::string ReportCsv(const std::vector<GroupStats>& rows) {
  std::string s =
      "phase,tier,requests,failures,failure_rate,mean_ms,p50_ms,p90_ms,p95_ms,p99_ms,max_ms,"
      "throughput_per_s,sessions,failed_sessions,session_mean_ms,session_p50_ms,session_p99_ms\n";
  for (const GroupStats& g : rows) {
    s += fmt::format("{},{},{},{},{:.6f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.2f},{},{},{:.3f},{:.3f},{:.3f}\n",
                     g.phase, g.tier, g.requests, g.failures, g.failure_rate, g.mean_ms, g.p50_ms,
                     g.p90_ms, g.p95_ms, g.p99_ms, g.max_ms, g.throughput_per_s, g.sessions,
                     g.failed_sessions, g.session_mean_ms, g.session_p50_ms, g.session_p99_ms);
  }
  return s;
}

std::string ReportTable(const std::vector<GroupStats>& rows) {
  std::string s = fmt::format("{:<10} {:<15} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>9} {:>9}\n",
                              "phase", "tier", "requests", "failed", "fail%", "p50ms", "p99ms",
                              "req/s", "sessions", "sess_p50");
  for (const GroupStats& g : rows) {
    s += fmt::format("{:<10} {:<15} {:>8} {:>8} {:>7.2f} {:>8.2f} {:>8.2f} {:>8.1f} {:>9} {:>9}\n",
                     g.phase, g.tier, g.requests, g.failures, 100 * g.failure_rate, g.p50_ms,
                     g.p99_ms, g.throughput_per_s, g.tier == "all" ? std::to_string(g.sessions) : "",
                     g.tier == "all" ? fmt::format("{:.2f}", g.session_p50_ms) : "");
  }
  return s;
}

}  // namespace sl::serve::load

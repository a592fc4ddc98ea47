#include "serve/load/load_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

namespace sl::serve::load {
namespace {

struct Acc {
  std::vector<float> ms;
  int64_t requests = 0, failures = 0;
  std::vector<float> session_ms;
  int64_t sessions = 0, failed_sessions = 0;
};

bool Good(const RequestRecord& r) { return r.status >= 200 && r.status < 300; }

GroupStats Finish(const std::string& phase, const std::string& tier, Acc& a, double seconds) {
  GroupStats g;
  g.phase = phase;
  g.tier = tier;
  g.requests = a.requests;
  g.failures = a.failures;
  g.failure_rate = a.requests ? static_cast<double>(a.failures) / static_cast<double>(a.requests) : 0;
  if (!a.ms.empty()) {
    double sum = 0;
    for (float v : a.ms) sum += v;
    g.mean_ms = sum / static_cast<double>(a.ms.size());
  }
  g.p50_ms = Percentile(a.ms, 50);
  g.p90_ms = Percentile(a.ms, 90);
  g.p95_ms = Percentile(a.ms, 95);
  g.p99_ms = Percentile(a.ms, 99);
  g.max_ms = Percentile(a.ms, 100);
  g.throughput_per_s = seconds > 0 ? static_cast<double>(a.requests) / seconds : 0;
  g.sessions = a.sessions;
  g.failed_sessions = a.failed_sessions;
  if (!a.session_ms.empty()) {
    double sum = 0;
    for (float v : a.session_ms) sum += v;
    g.session_mean_ms = sum / static_cast<double>(a.session_ms.size());
  }
  g.session_p50_ms = Percentile(a.session_ms, 50);
  g.session_p99_ms = Percentile(a.session_ms, 99);
  return g;
}

}  // namespace

double Percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double rank = std::ceil(p / 100.0 * static_cast<double>(v.size()));
  size_t idx = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(v.size()))) - 1;
  return v[idx];
}

std::vector<GroupStats> Summarize(const LoadSpec& spec, const LoadResult& result) {
  const size_t np = spec.phases.size();
  std::vector<Acc> phase_all(np + 1);  // [np] = all phases
  std::vector<std::map<std::string, Acc>> phase_tier(np + 1);
  for (const RequestRecord& r : result.requests) {
    std::string tier = r.tier.empty() ? "none" : r.tier;
    for (size_t idx : {static_cast<size_t>(r.phase), np}) {
      for (Acc* a : {&phase_all[idx], &phase_tier[idx][tier]}) {
        a->requests++;
        if (!Good(r)) a->failures++;
        if (r.status != 0) a->ms.push_back(r.response_ms);  // no response: no response time
      }
    }
  }
  for (const SessionRecord& s : result.sessions) {
    for (size_t idx : {static_cast<size_t>(s.phase), np}) {
      Acc& a = phase_all[idx];
      a.sessions++;
      if (!s.ok) a.failed_sessions++;
      if (s.ok) a.session_ms.push_back(s.length_ms);
    }
  }
  std::vector<GroupStats> rows;
  for (size_t i = 0; i <= np; ++i) {
    const std::string name = i < np ? spec.phases[i].name : "all";
    const double secs = i < np ? spec.phases[i].duration_s : result.wall_s;
    rows.push_back(Finish(name, "all", phase_all[i], secs));
    for (auto& [tier, acc] : phase_tier[i]) rows.push_back(Finish(name, tier, acc, secs));
  }
  return rows;
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
  return j.dump(2) + "\n";
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

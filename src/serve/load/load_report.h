// Load report: failure rate, session length and response-time percentiles per phase and per tier
// (and overall), from a LoadResult, as JSON and CSV; the JSON also carries the run's "timeline"
// (per second: sessions launched / completed / failed by cause, session length, requests and
// their p50/p90/p99, placements per tier and rule, f_t and F; see TimelineJson).
// Percentiles come from the recorder's histograms (latency_histogram.h: within 1.6 %).
// Thread safety: plain functions on values.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/load/load_runner.h"

namespace sl::serve::load {

struct GroupStats {
  std::string phase;   // phase name, or "all"
  std::string tier;    // tier name, "all", or "none" (no response / no header)
  int64_t requests = 0;
  int64_t failures = 0;
  double failure_rate = 0;
  double mean_ms = 0, p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  double throughput_per_s = 0;  // requests / phase duration (phase rows), / wall (all)
  // Sessions (tier "all" rows only).
  int64_t sessions = 0;
  int64_t failed_sessions = 0;
  double session_mean_ms = 0, session_p50_ms = 0, session_p99_ms = 0;
};

// Nearest-rank percentile of `v` (sorted in place); 0 for an empty vector.
double Percentile(std::vector<float>& v, double p);

std::vector<GroupStats> Summarize(const LoadSpec& spec, const LoadResult& result);
// The "timeline" object of the JSON report, column-wise: "t_s" (second index), one array per
// series with one entry per second (null where the second had nothing to measure), "placements"
// as [{"tier", "rule", "counts": [...], "failed": [...]}] (failed: of the counts, answered with an
// error), "sessions_failed_by_cause" as {cause: [...]}.
nlohmann::json TimelineJson(const LoadRecorder& recorder);
std::string ReportJson(const LoadSpec& spec, const LoadResult& result,
                       const std::vector<GroupStats>& rows);
std::string ReportCsv(const std::vector<GroupStats>& rows);
std::string ReportTable(const std::vector<GroupStats>& rows);

}  // namespace sl::serve::load

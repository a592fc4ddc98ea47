// The placement simulator's report (issue 21 §5): per policy, the rows `straightline load`
// reports (serve/load/load_report.h: failure rate, p50/p99, sessions, per phase and per tier —
// the same code on the simulated records), placements by tier and rule, each tier's starts,
// refusals and billed cost, and a per-second series; as JSON (`--json-out`) and as a table.
// Thread safety: plain functions on values.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/sim/placement_sim.h"

namespace sl::serve::sim {

// One policy's report: load's ReportJson for the simulated run, plus "policy", "simulated"
// (events, simulated and wall time), "placements", "tiers" and "series".
nlohmann::json SimResultJson(const load::LoadSpec& spec, const PlacementSimResult& r);
// The whole run: calibration, topology and one entry per policy.
nlohmann::json SimReportJson(const PlacementSimOptions& base, const std::vector<PlacementSimResult>& runs);
// A table per policy (load's ReportTable) with the placements and tier lines under it.
std::string SimReportTable(const load::LoadSpec& spec, const std::vector<PlacementSimResult>& runs);
// One line describing the topology and the service model (what the numbers are of).
std::string DescribeModel(const PlacementSimOptions& o);

}  // namespace sl::serve::sim

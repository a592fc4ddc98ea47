// The charts of the two servers' dashboards (issue 19 §3), as specs over the metrics each server
// already keeps (names as registered in serve/gateway.cc, faas/platform*.cc and
// faas/front/lambda_front.cc) plus the values only the server process can add, named here.
// Pure data: this library links neither serve nor faas; the CLI adds the extra values.
// Thread safety: pure functions.
#pragma once

#include <vector>

#include "dashboard/dashboard.h"

namespace sl::dashboard {

// Values `serve` adds to its metrics for its dashboard (not on /metrics):
inline constexpr const char* kPlacerFrequency = "sl_dashboard_placer_frequency";  // f_t now, req/s
inline constexpr const char* kPlacerThreshold = "sl_dashboard_placer_threshold";  // F, req/s
// {tier}: each deployed tier's TierState now (the gateway's own gauges move only on a scrape).
inline constexpr const char* kTierQueued = "sl_dashboard_tier_queued";
inline constexpr const char* kTierInflight = "sl_dashboard_tier_inflight";
inline constexpr const char* kTierReplicas = "sl_dashboard_tier_replicas";

// Request rate by outcome, f_t against F, placements per tier, response-time p50/p95/p99, queue
// depths and requests running per tier, warm replicas and cold starts per tier, billed cost so far.
std::vector<ChartSpec> ServeCharts();
// Invocations per function and outcome, errors and throttles, duration p50/p95/p99 and the
// front's response time, concurrency and the Event queue, warm instances and cold starts per
// function, cost so far per function.
std::vector<ChartSpec> PlatformCharts();

}  // namespace sl::dashboard

#include "dashboard/server_charts.h"

namespace sl::dashboard {
namespace {

SeriesSpec Rate(std::string name, std::string metric, std::string group_by = "", Labels match = {}) {
  return {std::move(name), std::move(metric), std::move(match), std::move(group_by), SeriesKind::kRate};
}
SeriesSpec Value(std::string name, std::string metric, std::string group_by = "", Labels match = {}) {
  return {std::move(name), std::move(metric), std::move(match), std::move(group_by), SeriesKind::kValue};
}
std::vector<SeriesSpec> Percentiles(const std::string& histogram, const std::string& prefix = "") {
  std::vector<SeriesSpec> out;
  for (auto [name, q] : {std::pair{"p50", 0.5}, std::pair{"p95", 0.95}, std::pair{"p99", 0.99}}) {
    out.push_back({prefix + name, histogram, {}, "", SeriesKind::kQuantile, q, 1000});
  }
  return out;
}

}  // namespace

std::vector<ChartSpec> ServeCharts() {
  std::vector<ChartSpec> c;
  c.push_back({"requests", "Requests answered per second", "requests/s",
               "Measured: inference answers of the gateway each second, by outcome "
               "(sl_serve_requests_total).",
               {Rate("", "sl_serve_requests_total", "outcome")}});
  c.push_back({"frequency", "Request frequency f_t against the threshold F", "requests/s",
               "Measured: the placer's f_t over its window, sampled each second; F is the "
               "threshold of Algorithm 1 (from --frequency-threshold or the thresholds file).",
               {Value("f_t", kPlacerFrequency), Value("F", kPlacerThreshold)}});
  c.push_back({"placements", "Placements per tier per second", "placements/s",
               "Measured: the placer's decisions each second by tier (sl_serve_placements_total).",
               {Rate("", "sl_serve_placements_total", "tier")}});
  c.push_back({"latency", "Response time percentiles", "response time (ms)",
               "Measured: the gateway's response time of the requests answered in each second, "
               "interpolated in its histogram buckets (sl_serve_request_duration_seconds).",
               Percentiles("sl_serve_request_duration_seconds")});
  c.push_back({"queues", "Queue depth and requests running per tier", "requests",
               "Measured: each tier's queue and requests in flight, sampled each second.",
               {Value("queued", kTierQueued, "tier"), Value("running", kTierInflight, "tier")}});
  c.push_back({"instances", "Warm replicas and cold starts per tier", "replicas; starts/s",
               "Measured: local workers, running containers and warm function instances; requests "
               "that paid a cold start or container start, per second.",
               {Value("warm", kTierReplicas, "tier"), Rate("cold starts/s", "sl_serve_cold_starts_total", "tier")}});
  c.push_back({"cost", "Billed cost so far", "cost (USD)",
               "Billed by the provider profile's prices (emulated), per tier, cumulative "
               "(sl_serve_billed_cost_usd_total); local and container tiers bill nothing per request.",
               {Value("", "sl_serve_billed_cost_usd_total", "tier")}});
  return c;
}

std::vector<ChartSpec> PlatformCharts() {
  std::vector<ChartSpec> c;
  c.push_back({"invocations", "Invocations per second", "invocations/s",
               "Measured: invocations finished each second, by function (sl_faas_invocations_total).",
               {Rate("", "sl_faas_invocations_total", "function")}});
  c.push_back({"errors", "Errors and throttles per second", "per second",
               "Measured: function errors and throttled invocations each second.",
               {Rate("errors", "sl_faas_errors_total"), Rate("throttles", "sl_faas_throttles_total")}});
  auto latency = Percentiles("sl_faas_duration_seconds", "duration ");
  for (auto& s : Percentiles("sl_front_request_duration_seconds", "front ")) {
    if (s.name != "front p50") latency.push_back(std::move(s));
  }
  c.push_back({"latency", "Duration and response time percentiles", "time (ms)",
               "Measured: function durations finished in each second (sl_faas_duration_seconds) and "
               "the Invoke API's response time at the front (p95, p99).",
               std::move(latency)});
  c.push_back({"concurrency", "Concurrent executions and queued events", "invocations",
               "Measured: invocations running now per function, and Event invocations waiting.",
               {Value("running", "sl_faas_concurrent_executions", "function"),
                Value("event queue", "sl_front_event_queue_depth")}});
  c.push_back({"instances", "Warm instances and cold starts", "instances; starts/s",
               "Measured: initialised instances per function (idle or busy); cold starts per second.",
               {Value("warm", "sl_faas_warm_instances", "function"),
                Rate("cold starts/s", "sl_faas_cold_starts_total", "function")}});
  c.push_back({"cost", "Cost so far", "cost (USD)",
               "Billed by each function's provider profile (emulated prices), cumulative, per "
               "function (sl_faas_cost_usd_total).",
               {Value("", "sl_faas_cost_usd_total", "function")}});
  return c;
}

}  // namespace sl::dashboard

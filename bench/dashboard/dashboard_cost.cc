// What the live dashboard costs the server, measured in-process (issue 19 §3): the once-a-second
// sample (the registry's Render(), the parse, the derived series) and the drawing of the state a
// polling page gets (every chart's SVG from a full 300-second history, the JSON). The registry
// is rebuilt from a captured /metrics text (FILE; `curl -H "Authorization: Bearer $T"
// URL/metrics`), each sample a gauge with the same name and labels, so its Render() writes as
// many lines; without FILE, a gateway-like registry of 3 tiers x 4 outcomes and 3 latency
// histograms. Prints microseconds per sample and per drawing, and their share of one core at
// 1 Hz. Usage: dashboard_cost [METRICS_TEXT_FILE|""] [ITERATIONS]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "common/metrics.h"
#include "dashboard/dashboard.h"
#include "dashboard/server_charts.h"

using namespace sl;
using namespace sl::dashboard;

namespace {

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

void FillFromText(MetricsRegistry& reg, const std::string& text) {
  auto samples = ParsePrometheusText(text);
  if (!samples.ok()) {
    fmt::print(stderr, "{}\n", samples.status().ToString());
    std::exit(2);
  }
  for (const auto& s : *samples) {
    std::vector<std::string> names, values;
    for (const auto& [k, v] : s.labels) names.push_back(k), values.push_back(v);
    auto fam = reg.AddGauge(s.name, "replayed", names);
    if (!fam.ok()) continue;  // a name seen with other labels: skip
    if (auto g = (*fam)->WithLabels(values); g.ok()) (*g)->Set(s.value);
  }
}

void FillGatewayLike(MetricsRegistry& reg) {
  auto* req = *reg.AddCounter("sl_serve_requests_total", "r", {"model", "tier", "outcome"});
  auto* lat = *reg.AddHistogram("sl_serve_request_duration_seconds", "l", {"tier"},
                                {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50});
  auto* pl = *reg.AddCounter("sl_serve_placements_total", "p", {"policy", "tier", "rule"});
  for (const char* t : {"local", "container", "function"}) {
    for (const char* o : {"ok", "client_error", "refused", "failed"}) (*req->WithLabels({"m", t, o}))->Inc(1000);
    for (int i = 0; i < 1000; ++i) (*lat->WithLabels({t}))->Observe(0.001 * (i % 50));
    for (const char* r : {"frequent_small", "large", "local_capacity"}) (*pl->WithLabels({"straightline", t, r}))->Inc(10);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 200;
  MetricsRegistry reg;
  if (argc > 1 && argv[1][0] != '\0') {
    std::ifstream in(argv[1]);
    std::stringstream ss;
    ss << in.rdbuf();
    FillFromText(reg, ss.str());
  } else {
    FillGatewayLike(reg);
  }
  FakeClock clock;
  int64_t tick = 0;
  DashboardOptions o;
  o.charts = ServeCharts();
  o.clock = &clock;
  Dashboard d(o, [&]() -> Result<std::vector<MetricSample>> {
    SL_ASSIGN_OR_RETURN(auto s, ParsePrometheusText(reg.Render()));
    // The values serve adds, moving so that every series has a new point each second.
    s.push_back({kPlacerFrequency, {}, static_cast<double>(tick % 97)});
    s.push_back({kPlacerThreshold, {}, 500});
    for (const char* t : {"local", "container", "function"}) {
      s.push_back({kTierQueued, {{"tier", t}}, static_cast<double>(tick % 7)});
      s.push_back({kTierInflight, {{"tier", t}}, static_cast<double>(tick % 5)});
      s.push_back({kTierReplicas, {{"tier", t}}, 2});
    }
    return s;
  });
  const size_t lines = [&] { size_t n = 0; for (char c : reg.Render()) n += c == '\n'; return n; }();
  // Fill the 300-s history first (not timed), then time samples and drawings.
  for (int i = 0; i < 300; ++i, ++tick) {
    clock.Advance(std::chrono::seconds(1));
    (void)d.SampleNow();
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i, ++tick) {
    clock.Advance(std::chrono::seconds(1));
    (void)d.SampleNow();
  }
  const auto t1 = std::chrono::steady_clock::now();
  size_t bytes = 0;
  for (int i = 0; i < iterations; ++i, ++tick) {
    clock.Advance(std::chrono::seconds(1));
    (void)d.SampleNow();  // a new sample, so that StateJson draws again
    bytes = d.StateJson().size();
  }
  const auto t2 = std::chrono::steady_clock::now();
  const double sample_us = Seconds(t1 - t0) / iterations * 1e6;
  const double draw_us = Seconds(t2 - t1) / iterations * 1e6 - sample_us;
  fmt::print("registry: {} lines of /metrics text; history: 300 samples of {} charts\n", lines, o.charts.size());
  fmt::print("sample (Render + parse + derive): {:.1f} us; drawing the state ({} KB JSON): {:.1f} us\n",
             sample_us, bytes / 1024, draw_us);
  fmt::print("at 1 Hz with a page open: {:.3f} % of one core\n", (sample_us + draw_us) / 1e6 * 100);
  return 0;
}

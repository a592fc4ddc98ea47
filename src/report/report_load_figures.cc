// A load report's per-second series as figures (figure_builders.h), issue 19.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "report/figure_builders.h"
#include "report/html_report.h"
#include "report/svg_chart.h"

namespace sl::report {
namespace {

constexpr const char* kSection = "Serving under load";
constexpr const char* kMeasured =
    "Measured by `straightline load` on this machine (open-loop sessions over loopback), per second of the "
    "sessions' arrival: a session and its requests count in the second it arrived, so a second's launched and "
    "failed sessions are the same cohort. Function-tier requests ran on this machine's function platform under "
    "the provider profile's memory, CPU and concurrency limits (emulated); no provider platform overhead is "
    "added to the times.";

struct TimedLoad {
  const ReportInput* in;
  std::string name;    // legend prefix: the input's label, with its policy when known
  std::string policy;  // PolicyOfLoad
};

std::string PolicyTitle(const std::string& policy) {
  if (policy == "straightline") return "Algorithm 1";
  if (policy == "adaptive") return "adaptive";
  if (policy == "fixed") return "fixed tier";
  return "";
}

std::vector<TimedLoad> TimedLoads(const std::vector<ReportInput>& inputs) {
  std::vector<TimedLoad> out;
  for (const auto& in : inputs) {
    if (in.kind != InputKind::kLoadReport || in.load.timeline.empty()) continue;
    TimedLoad t{&in, in.label, PolicyOfLoad(in.load)};
    if (!t.policy.empty()) t.name = fmt::format("{} ({})", in.label, PolicyTitle(t.policy));
    out.push_back(std::move(t));
  }
  return out;
}

std::string Named(bool several, const TimedLoad& t, const std::string& series) {
  return several ? fmt::format("{}: {}", t.name, series) : series;
}

LineSeries Over(std::string name, const std::vector<double>& t, const std::vector<double>& v, double scale = 1) {
  LineSeries s{std::move(name), {}};
  s.points.reserve(t.size());
  for (size_t i = 0; i < t.size() && i < v.size(); ++i) s.points.emplace_back(t[i], v[i] * scale);
  return s;
}

double MaxOf(const std::vector<LineSeries>& series) {
  double m = 0;
  for (const auto& s : series) {
    for (const auto& [x, y] : s.points) {
      if (std::isfinite(y)) m = std::max(m, y);
    }
  }
  return m;
}

// Placements per second, one line per (tier, rule) with any placement, for one load.
LineChartSpec PlacementsChart(const TimedLoad& t) {
  const LoadTimeline& tl = t.in->load.timeline;
  LineChartSpec c;
  c.title = PolicyTitle(t.policy).empty() ? fmt::format("Placements per second: {}", t.in->label)
                                          : fmt::format("{}: {}", PolicyTitle(t.policy), t.in->label);
  c.x_label = "time since the load's start (s)";
  c.y_label = "requests placed per second";
  for (const auto& p : tl.placements) {
    const bool any = std::any_of(p.counts.begin(), p.counts.end(), [](double v) { return v > 0; });
    if (any) c.series.push_back(Over(fmt::format("{} ({})", p.tier, p.rule), tl.t_s, p.counts));
  }
  return c;
}

// Per second (launched, failure %) or (launched, session ms) pairs sorted by sessions launched:
// the papers' "against the number of sessions". Seconds without a value are left out.
LineSeries AgainstSessions(std::string name, const LoadTimeline& tl, bool failure_rate) {
  LineSeries s{std::move(name), {}};
  for (size_t i = 0; i < tl.t_s.size(); ++i) {
    const double n = tl.sessions_launched[i];
    if (!(n > 0)) continue;
    const double y = failure_rate ? 100 * tl.sessions_failed[i] / n : tl.session_mean_ms[i];
    if (std::isfinite(y)) s.points.emplace_back(n, y);
  }
  std::stable_sort(s.points.begin(), s.points.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return s;
}

}  // namespace

std::string SideBySideSvg(const std::vector<std::string>& svgs) {
  if (svgs.size() == 1) return svgs[0];
  int width = 0, height = 0;
  std::string inner;
  for (const std::string& svg : svgs) {
    const auto [w, h] = SvgSize(svg);
    const size_t open = svg.find("<svg");
    const size_t body = open == std::string::npos ? open : svg.find('>', open);
    const size_t close = svg.rfind("</svg>");
    if (body == std::string::npos || close == std::string::npos || close < body) continue;
    // Each chart's content in a group shifted right (one <svg> per figure, as a figure's readers
    // and the browser test expect), with the chart root's text defaults.
    inner += fmt::format("<g class=\"panel\" transform=\"translate({},0)\" font-family=\"sans-serif\" "
                         "font-size=\"12\">\n{}</g>\n",
                         width, svg.substr(body + 1, close - body - 1));
    width += w;
    height = std::max(height, h);
  }
  return fmt::format(
      "<svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" font-size=\"12\" "
      "class=\"chart\" data-kind=\"side-by-side\">\n{}</svg>\n",
      width, height, width, height, inner);
}

void LoadTimelineFigures(const std::vector<ReportInput>& inputs, std::vector<Figure>* out) {
  const std::vector<TimedLoad> loads = TimedLoads(inputs);
  if (loads.empty()) return;
  const bool several = loads.size() > 1;
  const std::string x_label = "time since the load's start (s)";

  // Placements over time: one panel per load, side by side on one y scale.
  {
    std::vector<LineChartSpec> panels;
    for (const auto& t : loads) panels.push_back(PlacementsChart(t));
    const bool any = std::any_of(panels.begin(), panels.end(), [](const auto& p) { return !p.series.empty(); });
    if (any) {
      double y_max = 0;
      for (const auto& p : panels) y_max = std::max(y_max, MaxOf(p.series));
      std::vector<std::string> svgs;
      for (auto& p : panels) {
        if (several) {
          p.width = 480;
          p.y_min = 0;
          p.y_max = y_max > 0 ? y_max : 1;
        }
        svgs.push_back(LineChartSvg(p));
      }
      std::string policies;
      for (const auto& t : loads) {
        policies += fmt::format("{}{} ran under {}", policies.empty() ? "" : "; ", t.in->label,
                                t.policy.empty() ? "a policy its responses did not name" : "the " + t.policy + " policy");
      }
      out->push_back({"load-placements-time", kSection,
                      several ? "Placements over time per tier, side by side" : "Placements over time per tier",
                      fmt::format("Requests placed per second on each tier, with the rule that placed them (the "
                                  "gateway's X-Straightline-Rule header; Algorithm 1: frequent_small = f_t > F and "
                                  "r_d < D, large = r_d > D, then local / container capacity, overflow; adaptive: "
                                  "fastest predicted, start, within the SLO), 'none' for requests refused before a "
                                  "tier. {}. {}",
                                  policies, kMeasured),
                      SideBySideSvg(svgs)});
    }
  }

  LineChartSpec sessions, failure, length, latency, frequency;
  sessions.title = "Sessions per second";
  sessions.x_label = x_label;
  sessions.y_label = "sessions per second";
  failure.title = "Failure rate against the number of sessions";
  failure.x_label = "sessions launched per second";
  failure.y_label = "failed sessions (%)";
  length.title = "Session length against the number of sessions";
  length.x_label = "sessions launched per second";
  length.y_label = "mean session length (ms)";
  latency.title = "Response time over time";
  latency.x_label = x_label;
  latency.y_label = "response time (ms)";
  frequency.title = "Request frequency f_t against the threshold F";
  frequency.x_label = x_label;
  frequency.y_label = "requests per second";
  bool any_frequency = false;
  for (const auto& t : loads) {
    const LoadTimeline& tl = t.in->load.timeline;
    sessions.series.push_back(Over(Named(several, t, "launched"), tl.t_s, tl.sessions_launched));
    sessions.series.push_back(Over(Named(several, t, "completed"), tl.t_s, tl.sessions_completed));
    for (const auto& [cause, values] : tl.failed_by_cause) {
      const bool any = std::any_of(values.begin(), values.end(), [](double v) { return v > 0; });
      if (any) sessions.series.push_back(Over(Named(several, t, "failed: " + cause), tl.t_s, values));
    }
    failure.series.push_back(AgainstSessions(t.name, tl, true));
    length.series.push_back(AgainstSessions(t.name, tl, false));
    latency.series.push_back(Over(Named(several, t, "p50"), tl.t_s, tl.p50_ms));
    latency.series.push_back(Over(Named(several, t, "p90"), tl.t_s, tl.p90_ms));
    latency.series.push_back(Over(Named(several, t, "p99"), tl.t_s, tl.p99_ms));
    const bool has_f = std::any_of(tl.f_t_mean.begin(), tl.f_t_mean.end(), [](double v) { return std::isfinite(v); });
    if (has_f) {
      any_frequency = true;
      frequency.series.push_back(Over(Named(several, t, "f_t (mean)"), tl.t_s, tl.f_t_mean));
      frequency.series.push_back(Over(Named(several, t, "f_t (max)"), tl.t_s, tl.f_t_max));
      const bool has_threshold = std::any_of(tl.F.begin(), tl.F.end(), [](double v) { return std::isfinite(v); });
      if (has_threshold) frequency.series.push_back(Over(Named(several, t, "F"), tl.t_s, tl.F));
    }
  }
  out->push_back({"load-sessions-time", kSection, "Sessions launched, completed and failed per second",
                  fmt::format("Sessions arriving in each second, those whose every request succeeded, and those "
                              "that failed by the cause of the request that ended them (client-backlog: the "
                              "client's backlog was full, never sent; no-response: transport error or client "
                              "timeout; refused: 429/503; timeout: the gateway's 504; client-error / "
                              "server-error: other 4xx / 5xx). {}",
                              kMeasured),
                  LineChartSvg(sessions)});
  out->push_back({"load-failure-vs-sessions", kSection,
                  "Failure rate against the number of sessions (StraightLine Fig. 4)",
                  fmt::format("One point per second of the load: the share of that second's sessions that failed "
                              "against how many sessions arrived in it. {}",
                              kMeasured),
                  LineChartSvg(failure)});
  out->push_back({"load-length-vs-sessions", kSection,
                  "Session length against the number of sessions (StraightLine Fig. 5)",
                  fmt::format("One point per second of the load: the mean length (arrival to last answer) of that "
                              "second's completed sessions against how many sessions arrived in it. {}",
                              kMeasured),
                  LineChartSvg(length)});
  // Failure rate per tier per second (the placements the gateway named, over their rules; not
  // "none": refused before a tier, every one a failure, shown by the sessions figure).
  LineChartSpec tier_failures;
  tier_failures.title = "Failure rate per tier over time";
  tier_failures.x_label = x_label;
  tier_failures.y_label = "failed requests (%)";
  for (const auto& t : loads) {
    const LoadTimeline& tl = t.in->load.timeline;
    std::vector<std::string> tiers;
    for (const auto& p : tl.placements) {
      if (p.tier != "none" && std::find(tiers.begin(), tiers.end(), p.tier) == tiers.end()) tiers.push_back(p.tier);
    }
    for (const auto& tier : tiers) {
      std::vector<double> placed(tl.t_s.size(), 0), failed(tl.t_s.size(), 0);
      bool known = true;  // files before the "failed" series have NaN there
      for (const auto& p : tl.placements) {
        if (p.tier != tier) continue;
        for (size_t i = 0; i < tl.t_s.size(); ++i) {
          placed[i] += p.counts[i];
          failed[i] += p.failed[i];
          known = known && std::isfinite(p.failed[i]);
        }
      }
      if (!known) continue;
      LineSeries s{Named(several, t, tier), {}};
      for (size_t i = 0; i < tl.t_s.size(); ++i) {
        if (placed[i] > 0) s.points.emplace_back(tl.t_s[i], 100 * failed[i] / placed[i]);
      }
      if (!s.points.empty()) tier_failures.series.push_back(std::move(s));
    }
  }
  if (!tier_failures.series.empty()) {
    out->push_back({"load-tier-failures-time", kSection, "Failure rate per tier over time (StraightLine Fig. 6)",
                    fmt::format("Per second, the share of the requests each tier answered with an error (a 504 "
                                "after the tier took it counts as the tier's), over the placements the gateway "
                                "named; seconds in which a tier got no request are left out. {}",
                                kMeasured),
                    LineChartSvg(tier_failures)});
    // The distribution of those per-second failure rates, per tier (and per load, side by side).
    BoxPlotSpec box;
    box.title = "Distribution of the per-second failure rate per tier";
    box.x_label = "tier";
    box.y_label = "failed requests per second (%)";
    box.series_name = "per-second failure rate";
    for (const auto& s : tier_failures.series) {
      box.categories.push_back(s.name);
      std::vector<double> rates;
      for (const auto& [t, rate] : s.points) rates.push_back(rate);
      box.samples.push_back(std::move(rates));
    }
    out->push_back({"load-tier-failures-box", kSection,
                    "Distribution of the failure rate per tier (StraightLine Fig. 7)",
                    fmt::format("Box plots over the seconds of the previous figure: the box spans the first to "
                                "the third quartile of a tier's per-second failure rate, the line is the median, "
                                "the whiskers reach the lowest and highest second (each box's tooltip gives n and "
                                "the five numbers). {}",
                                kMeasured),
                    BoxPlotSvg(box)});
  }
  out->push_back({"load-latency-time", kSection, "Response-time percentiles over time (StraightLine Fig. 8)",
                  fmt::format("p50, p90 and p99 of the response time (request sent to answer) of the requests "
                              "answered in each second, from the load generator's log-linear histograms (within "
                              "1.6 % of the exact nearest-rank value). {}",
                              kMeasured),
                  LineChartSvg(latency)});
  if (any_frequency) {
    out->push_back({"load-frequency", kSection, "Request frequency f_t against the threshold F (Algorithm 1)",
                    fmt::format("f_t as the gateway measured it when placing each request (requests per second over "
                                "the placer's window, its X-Straightline-Frequency header), averaged and maximal "
                                "over each second's requests, and the threshold F it was compared with (the "
                                "serve's thresholds: calibrated on this machine or given). Algorithm 1 sends small "
                                "requests to the function tier while f_t > F. {}",
                                kMeasured),
                    LineChartSvg(frequency)});
  }
}

}  // namespace sl::report

#include "report/report_figures.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "report/figure_builders.h"
#include "report/svg_chart.h"

namespace sl::report {
namespace {

constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

constexpr const char* kTrainingMeasured =
    "Measured on this machine: every function's duration (run under the provider's CPU-per-memory rule as a "
    "cgroup CPU quota), our processes' init, wall times.";
constexpr const char* kEmulated =
    "Emulated from the provider profiles (profiles/, docs/providers.md): prices, billing rounding and minimums, "
    "memory sizes";

// Whether some input of these kinds is present more than once, so that legends and categories
// need the input's label to be told apart.
bool Several(const std::vector<ReportInput>& inputs, std::initializer_list<InputKind> kinds) {
  int n = 0;
  for (const auto& in : inputs) n += std::find(kinds.begin(), kinds.end(), in.kind) != kinds.end();
  return n > 1;
}

std::string Prefixed(bool several, const ReportInput& in, const std::string& name) {
  return several ? fmt::format("{}: {}", in.label, name) : name;
}

bool AnyNonZero(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x) && x != 0; });
}

// ---- training: per provider run -------------------------------------------------------------

struct ProviderRow {
  std::string name;
  const train::ProviderRun* run;
};

std::vector<ProviderRow> ProviderRows(const std::vector<ReportInput>& inputs) {
  const bool several = Several(inputs, {InputKind::kTrainingRun, InputKind::kProviderComparison});
  std::vector<ProviderRow> rows;
  for (const auto& in : inputs) {
    if (in.kind != InputKind::kTrainingRun && in.kind != InputKind::kProviderComparison) continue;
    for (const auto& r : in.comparison.runs) rows.push_back({Prefixed(several, in, r.provider), &r});
  }
  return rows;
}

void TrainingTables(const std::vector<ReportInput>& inputs, std::vector<Figure>* out) {
  const std::vector<ProviderRow> rows = ProviderRows(inputs);
  if (rows.empty()) return;
  std::vector<std::string> cats;
  for (const auto& r : rows) cats.push_back(r.name);

  BarChartSpec time;
  time.title = "Training time per task and provider";
  time.subtitle = "T_total = sum of the functions' durations; T_parallel = per stage the longest (init + duration)";
  time.x_label = "provider";
  time.y_label = "time (minutes)";
  time.categories = cats;
  time.series = {{"preprocess T_total", {}}, {"preprocess T_parallel", {}}, {"training T_total", {}},
                 {"training T_parallel", {}}};
  for (const auto& r : rows) {
    const auto& s = r.run->summary;
    time.series[0].values.push_back(s.preprocessing.t_total_s / 60);
    time.series[1].values.push_back(s.preprocessing.t_parallel_s / 60);
    time.series[2].values.push_back(s.training.t_total_s / 60);
    time.series[3].values.push_back(s.training.t_parallel_s / 60);
  }
  out->push_back({"train-time", "Training", "Time per task and provider (framework Tables 1–2, Fig. 2)",
                  fmt::format("{} T_parallel sums the stages' longest function (eq. 5); the providers' own "
                              "platform cold-start overhead is not in these times (emulated, reported apart in "
                              "the run report). One bar group per provider run.",
                              kTrainingMeasured),
                  BarChartSvg(time)});

  BarChartSpec cost;
  cost.title = "Billed cost per task and provider";
  cost.x_label = "provider";
  cost.y_label = "cost (USD)";
  cost.categories = cats;
  BarSeries prep{"preprocess", {}}, train{"training", {}}, transfer{"transfer between clouds", {}},
      requests{"store requests", {}};
  for (const auto& r : rows) {
    const auto& s = r.run->summary;
    prep.values.push_back(s.preprocessing.cost_usd);
    train.values.push_back(s.training.cost_usd);
    transfer.values.push_back(s.total.transfer_usd);
    requests.values.push_back(s.total.store_request_usd);
  }
  cost.series = {prep, train};
  if (AnyNonZero(transfer.values)) cost.series.push_back(transfer);
  if (AnyNonZero(requests.values)) cost.series.push_back(requests);
  out->push_back({"train-cost", "Training", "Cost per task and provider (framework Table 2, Fig. 2)",
                  fmt::format("Cost = the measured durations priced by each provider's profile. {}; transfer "
                              "between clouds and store request fees (shown only when not zero) from the "
                              "profiles' network prices. Durations measured on this machine.",
                              kEmulated),
                  BarChartSvg(cost)});

  // Where the time went, for runs with records (a comparison's JSON carries no phase times).
  BarChartSpec parts;
  parts.title = "Where the training time went";
  parts.subtitle = "functions: summed over all invocations; coordinator: its own wall time";
  parts.x_label = "training run";
  parts.y_label = "time (s)";
  parts.series = {{"functions: init (cold starts)", {}},     {"functions: download", {}},
                  {"functions: compute", {}},                {"functions: upload", {}},
                  {"functions: queued for capacity", {}},    {"coordinator: waiting for stragglers", {}},
                  {"coordinator: aggregate + evaluate", {}}, {"coordinator: write model + checkpoint", {}}};
  const bool several_runs = Several(inputs, {InputKind::kTrainingRun, InputKind::kProviderComparison});
  for (const auto& in : inputs) {
    if (in.kind != InputKind::kTrainingRun) continue;
    for (const auto& r : in.comparison.runs) {
      const train::StageSummary& t = r.summary.total;
      parts.categories.push_back(Prefixed(several_runs, in, r.provider));
      const double v[] = {t.init_s,       t.download_s,         t.compute_s,
                          t.upload_s,     t.queued_s,           t.straggler_wait_s,
                          t.aggregate_s + t.evaluate_s, t.write_model_s + t.checkpoint_s};
      for (size_t i = 0; i < parts.series.size(); ++i) parts.series[i].values.push_back(v[i]);
    }
  }
  if (!parts.categories.empty()) {
    out->push_back({"train-breakdown", "Training", "Where the training time went",
                    "Measured on this machine: the phases inside the functions as the handlers timed them (summed "
                    "over every invocation, so parallel functions add up), the wait for local capacity (never "
                    "billed), and the coordinator's own steps (wall time). Nothing here is emulated from the "
                    "provider profiles; the provider's platform cold-start overhead is not included.",
                    BarChartSvg(parts)});
  }

  // Against always-on VMs: each comparison's VMs do the job of its fastest run.
  const bool several = Several(inputs, {InputKind::kTrainingRun, InputKind::kProviderComparison});
  BarChartSpec vm;
  vm.title = "Serverless training against an always-on VM";
  vm.x_label = "provider or VM";
  vm.y_label = "cost (USD)";
  BarSeries functions{"functions (billed)", {}}, vm_wall{"VM for the job's wall time", {}},
      vm_work{"VM for the CPU work only", {}};
  for (const auto& r : rows) {
    vm.categories.push_back(r.name);
    functions.values.push_back(r.run->summary.total.cost_usd);
    vm_wall.values.push_back(kNoValue);
    vm_work.values.push_back(kNoValue);
  }
  bool any_vm = false;
  for (const auto& in : inputs) {
    if (in.kind != InputKind::kTrainingRun && in.kind != InputKind::kProviderComparison) continue;
    for (const auto& v : in.comparison.vms) {
      any_vm = true;
      vm.categories.push_back(Prefixed(several, in, v.vm));
      functions.values.push_back(kNoValue);
      vm_wall.values.push_back(v.wall_cost_usd);
      vm_work.values.push_back(v.work_cost_usd);
    }
  }
  if (!any_vm) return;
  vm.series = {functions, vm_wall, vm_work};
  out->push_back({"cost-vs-vm", "Training", "Cost against an always-on VM (framework Fig. 3)",
                  "The functions' bill next to one VM that does the same job: for the fastest run's measured wall "
                  "time on this machine, and for the CPU work alone (sum of durations over the VM's vCPUs, a "
                  "CPU-bound estimate), each with the VM's billing minimum. VM prices and the functions' prices are "
                  "emulated from the profiles; times are measured here.",
                  BarChartSvg(vm)});
}

// ---- training: per round --------------------------------------------------------------------

void RoundFigures(const std::vector<ReportInput>& inputs, std::vector<Figure>* out) {
  const bool several = Several(inputs, {InputKind::kTrainingRun});
  LineChartSpec loss, acc, time, cost;
  loss.title = "Training and validation loss per round";
  loss.x_label = "round";
  loss.y_label = "loss (cross-entropy)";
  acc.title = "Validation accuracy per round";
  acc.x_label = "round";
  acc.y_label = "validation accuracy (fraction)";
  acc.y_min = 0, acc.y_max = 1;
  time.title = "Wall time of each round";
  time.x_label = "round";
  time.y_label = "wall time (s)";
  cost.title = "Billed cost so far";
  cost.x_label = "round";
  cost.y_label = "cost (USD)";
  loss.x_integer = acc.x_integer = time.x_integer = cost.x_integer = true;
  std::vector<std::string> test_acc;
  bool any_acc = false;
  for (const auto& in : inputs) {
    if (in.kind != InputKind::kTrainingRun || in.record.rounds.empty()) continue;
    const std::string name = several ? in.label : fmt::format("{} ({})", in.label, in.record.provider);
    LineSeries l{name, {}}, a{name, {}}, t{name, {}}, c{name, {}}, vl{name + ": validation", {}};
    double so_far = 0;
    for (const auto& a0 : in.record.preprocessing) so_far += a0.cost_usd;
    for (const auto& r : in.record.rounds) {
      const double x = static_cast<double>(r.round);
      l.points.emplace_back(x, r.train_loss);
      if (r.validation_accuracy >= 0) a.points.emplace_back(x, r.validation_accuracy), any_acc = true;
      if (r.validation_loss >= 0) vl.points.emplace_back(x, r.validation_loss);
      const double wait = r.checkpoint_wait_ms >= 0 ? r.checkpoint_wait_ms : r.checkpoint_ms;
      t.points.emplace_back(x, (r.wall_ms + wait) / 1000);
      for (const auto& at : r.attempts) so_far += at.cost_usd;
      c.points.emplace_back(x, so_far);
    }
    if (in.record.test_accuracy >= 0) test_acc.push_back(fmt::format("{} {:.4f}", name, in.record.test_accuracy));
    loss.series.push_back(std::move(l));
    if (!vl.points.empty()) loss.series.push_back(std::move(vl));  // none in records before 2026-12-07
    acc.series.push_back(std::move(a));
    time.series.push_back(std::move(t));
    cost.series.push_back(std::move(c));
  }
  if (loss.series.empty()) return;
  out->push_back({"round-loss", "Training", "Training loss per round (StraightLine Fig. 3)",
                  "The sample-weighted mean of the accepted updates' local training losses in each round, measured "
                  "by the functions on this machine, and (': validation') the global model's loss on the validation "
                  "split where the coordinator scored it; nothing in it is emulated from the provider profiles. "
                  "Rounds are numbered from 0; an epoch is several rounds.",
                  LineChartSvg(loss)});
  if (any_acc) {
    if (!test_acc.empty()) {
      std::string s = "test accuracy of the final model: ";
      for (size_t i = 0; i < test_acc.size(); ++i) s += (i ? ", " : "") + test_acc[i];
      acc.subtitle = s;
    }
    out->push_back({"round-accuracy", "Training", "Validation accuracy per round (StraightLine Fig. 3)",
                    "Accuracy of the global model on the validation split, measured by the coordinator where it was "
                    "scored (at the end of every epoch by default, --evaluate-every N for more; the last point is "
                    "the final model's). Nothing in it is emulated from the provider profiles.",
                    LineChartSvg(acc)});
  }
  out->push_back({"round-time", "Training", "Wall time per round",
                  "Measured on this machine: from writing model N to model N+1 written, plus the part of the "
                  "checkpoint the coordinator waited for; the functions' durations within it are measured under "
                  "the provider's CPU rule. Not included: the provider's platform cold-start overhead (emulated).",
                  LineChartSvg(time)});
  out->push_back({"round-cost", "Training", "Billed cost so far, per round",
                  fmt::format("Preprocessing plus every attempt up to the round, retries and speculative backups "
                              "included. Durations measured here; {}.",
                              kEmulated),
                  LineChartSvg(cost)});
}

// ---- load reports -----------------------------------------------------------------------------

void LoadFigures(const std::vector<ReportInput>& inputs, std::vector<Figure>* out) {
  const bool several = Several(inputs, {InputKind::kLoadReport});
  BarChartSpec by_tier, by_phase, failures, placements;
  by_tier.title = "Response time per tier, all phases";
  by_tier.x_label = "tier";
  by_tier.y_label = "response time (ms)";
  by_tier.series = {{"p50", {}}, {"p90", {}}, {"p99", {}}};
  by_phase.title = "Response time and session length per phase";
  by_phase.x_label = "phase";
  by_phase.y_label = "time (ms)";
  by_phase.series = {{"p50", {}}, {"p99", {}}, {"session mean", {}}};
  failures.title = "Failure rate per phase and tier";
  failures.x_label = "phase";
  failures.y_label = "failed requests (%)";
  placements.title = "Requests placed per tier and phase";
  placements.x_label = "phase";
  placements.y_label = "requests";
  // Tiers in order of first appearance over all inputs; "all" last for failures.
  std::vector<std::string> tiers;
  for (const auto& in : inputs) {
    if (in.kind != InputKind::kLoadReport) continue;
    for (const auto& g : in.load.groups) {
      if (g.tier != "all" && std::find(tiers.begin(), tiers.end(), g.tier) == tiers.end()) tiers.push_back(g.tier);
    }
  }
  for (const auto& t : tiers) {
    failures.series.push_back({t, {}});
    placements.series.push_back({t, {}});
  }
  failures.series.push_back({"all tiers", {}});
  bool any = false;
  for (const auto& in : inputs) {
    if (in.kind != InputKind::kLoadReport) continue;
    any = true;
    for (const auto& g : in.load.groups) {
      if (g.phase == "all" && g.tier != "all") {
        by_tier.categories.push_back(Prefixed(several, in, g.tier));
        by_tier.series[0].values.push_back(g.p50_ms);
        by_tier.series[1].values.push_back(g.p90_ms);
        by_tier.series[2].values.push_back(g.p99_ms);
      }
    }
    for (const auto& phase : in.load.phases) {
      const std::string cat = Prefixed(several, in, phase);
      by_phase.categories.push_back(cat);
      failures.categories.push_back(cat);
      placements.categories.push_back(cat);
      const LoadGroup* all = nullptr;
      std::map<std::string, const LoadGroup*> per_tier;
      for (const auto& g : in.load.groups) {
        if (g.phase != phase) continue;
        if (g.tier == "all") all = &g;
        else per_tier[g.tier] = &g;
      }
      by_phase.series[0].values.push_back(all ? all->p50_ms : kNoValue);
      by_phase.series[1].values.push_back(all ? all->p99_ms : kNoValue);
      by_phase.series[2].values.push_back(all && all->sessions > 0 ? all->session_mean_ms : kNoValue);
      for (size_t i = 0; i < tiers.size(); ++i) {
        auto it = per_tier.find(tiers[i]);
        failures.series[i].values.push_back(it == per_tier.end() ? kNoValue : 100 * it->second->failure_rate);
        placements.series[i].values.push_back(it == per_tier.end() ? kNoValue
                                                                   : static_cast<double>(it->second->requests));
      }
      failures.series.back().values.push_back(all ? 100 * all->failure_rate : kNoValue);
    }
  }
  if (!any) return;
  constexpr const char* kMeasured =
      "Measured by `straightline load` on this machine (open-loop sessions over loopback); the tier is the one the "
      "gateway's placer chose (its response header), 'none' when no response named one. Function-tier requests "
      "ran on this machine's function platform under the provider profile's memory, CPU and concurrency limits "
      "(emulated); no provider platform overhead is added to the times.";
  if (!by_tier.categories.empty()) {
    out->push_back({"load-latency-tier", "Serving under load", "Response time per tier (StraightLine Fig. 8)",
                    fmt::format("Nearest-rank percentiles of the response time over all phases. {} A function "
                                "tier's cold starts are those of this machine's processes, not a provider's.",
                                kMeasured),
                    BarChartSvg(by_tier)});
  }
  if (!by_phase.categories.empty()) {
    out->push_back({"load-latency-phase", "Serving under load", "Response time and session length per phase",
                    fmt::format("Percentiles over every request of the phase, and the mean session length (first "
                                "request sent to last answer). {}",
                                kMeasured),
                    BarChartSvg(by_phase)});
    out->push_back({"load-failures", "Serving under load",
                    "Failure rate per phase and tier (StraightLine Figs. 4 and 6)",
                    fmt::format("Failed requests (error status, timeout or no answer) over requests, per tier and "
                                "for all tiers. {}",
                                kMeasured),
                    BarChartSvg(failures)});
    if (!tiers.empty()) {
      out->push_back({"load-placements", "Serving under load", "Placements per tier and phase",
                      fmt::format("How many requests the placer sent to each tier in each phase. {}", kMeasured),
                      BarChartSvg(placements)});
    }
  }
}

// ---- ledgers ----------------------------------------------------------------------------------

void LedgerFigures(const std::vector<ReportInput>& inputs, std::vector<Figure>* out) {
  const bool several = Several(inputs, {InputKind::kLedger});
  BarChartSpec inv, dur, cost, vm;
  inv.title = "Invocations, cold starts and errors per function";
  inv.x_label = "function";
  inv.y_label = "invocations";
  inv.series = {{"invocations", {}}, {"cold starts", {}}, {"errors", {}}, {"throttled", {}}};
  dur.title = "Duration per function";
  dur.x_label = "function";
  dur.y_label = "time (s)";
  dur.series = {{"T_total (sum of durations)", {}}, {"billed", {}}, {"init (cold starts)", {}}};
  cost.title = "Cost per function";
  cost.x_label = "function";
  cost.y_label = "cost (USD)";
  cost.series = {{"billed", {}}};
  vm.title = "The ledger's bill against an always-on VM";
  vm.x_label = "functions or VM";
  vm.y_label = "cost (USD)";
  BarSeries fn{"functions (billed)", {}}, vm_span{"VM for the ledger's wall span", {}},
      vm_work{"VM for the CPU work only", {}};
  LineChartSpec timeline;
  timeline.title = "Invocations and cold starts over time";
  timeline.x_label = "time since the ledger's first invocation (s)";
  timeline.y_label = "invocations started per interval";
  LineChartSpec concurrency, cost_time;
  concurrency.title = "Invocations in flight over time";
  concurrency.x_label = timeline.x_label;
  concurrency.y_label = "invocations in flight (peak per interval)";
  cost_time.title = "Billed cost over time";
  cost_time.x_label = timeline.x_label;
  cost_time.y_label = "cost so far (USD)";
  bool any = false;
  for (const auto& in : inputs) {
    if (in.kind != InputKind::kLedger) continue;
    any = true;
    for (const auto& g : in.cost.recorded.groups) {
      const std::string cat = Prefixed(several, in, g.key);
      const auto& t = g.totals;
      inv.categories.push_back(cat);
      inv.series[0].values.push_back(static_cast<double>(t.invocations));
      inv.series[1].values.push_back(static_cast<double>(t.cold_starts));
      inv.series[2].values.push_back(static_cast<double>(t.errors));
      inv.series[3].values.push_back(static_cast<double>(t.throttled));
      dur.categories.push_back(cat);
      dur.series[0].values.push_back(t.t_total_s);
      dur.series[1].values.push_back(t.billed_s);
      dur.series[2].values.push_back(t.init_total_s);
      cost.categories.push_back(cat);
      cost.series[0].values.push_back(t.cost_usd);
    }
    vm.categories.push_back(Prefixed(several, in, "functions"));
    fn.values.push_back(in.cost.recorded.total.cost_usd);
    vm_span.values.push_back(kNoValue);
    vm_work.values.push_back(kNoValue);
    for (const auto& v : in.cost.vms) {
      vm.categories.push_back(Prefixed(several, in, v.profile));
      fn.values.push_back(kNoValue);
      vm_span.values.push_back(v.span_cost_usd);
      vm_work.values.push_back(v.work_cost_usd);
    }
    // Per interval (about 40 of a round width over the ledger's span, first start to last end):
    // invocations started, cold starts, the most invocations in flight at once (accepted, not yet
    // finished: queued + init + duration) and the bill so far (each invocation's cost at its start).
    WallTime first = WallTime::max();
    for (const auto& r : in.invocations) first = std::min(first, r.start_time);
    auto since = [&](WallTime t) { return std::chrono::duration<double>(t - first).count(); };
    std::vector<std::pair<double, int>> events;  // (s since first, +1 start / -1 end)
    double span_s = 0;
    for (const auto& r : in.invocations) {
      const double start = since(r.start_time);
      const double end = start + (r.queued_ms + (r.cold_start ? r.init_ms : 0) + r.duration_ms) / 1000;
      events.emplace_back(start, +1);
      events.emplace_back(end, -1);
      span_s = std::max(span_s, end);
    }
    std::sort(events.begin(), events.end());  // at equal times the end (-1) comes first
    const Ticks t = NiceTicks(0, std::max(span_s, 1e-3), 40);
    const double w = t.step;
    const size_t n = static_cast<size_t>(std::floor(span_s / w)) + 1;
    auto bucket = [&](double at) { return std::min(n - 1, static_cast<size_t>(std::max(at, 0.0) / w)); };
    std::vector<double> started(n, 0), cold(n, 0), peak(n, 0), cost_at(n, 0);
    for (const auto& r : in.invocations) {
      const size_t b = bucket(since(r.start_time));
      started[b] += 1;
      cold[b] += r.cold_start;
      cost_at[b] += r.cost_usd;
    }
    // Sweep: a bucket's peak is the level carried into it (unless an event sits on its left edge,
    // which then decides it) and every level reached inside it.
    int level = 0;
    size_t carried = 0;  // buckets up to this one have the level carried into them
    for (const auto& [at, delta] : events) {
      const size_t b = bucket(at);
      for (; carried + 1 < b; ++carried) peak[carried + 1] = std::max(peak[carried + 1], static_cast<double>(level));
      if (carried < b) {
        if (at > static_cast<double>(b) * w + 1e-9) peak[b] = std::max(peak[b], static_cast<double>(level));
        carried = b;
      }
      level += delta;
      peak[b] = std::max(peak[b], static_cast<double>(level));
    }
    LineSeries s{Prefixed(several, in, "invocations"), {}}, c{Prefixed(several, in, "cold starts"), {}};
    LineSeries in_flight{Prefixed(several, in, "in flight (peak)"), {}}, bill{Prefixed(several, in, "billed"), {}};
    double so_far = 0;
    for (size_t i = 0; i < n; ++i) {
      const double x = static_cast<double>(i) * w;
      s.points.emplace_back(x, started[i]);
      c.points.emplace_back(x, cold[i]);
      in_flight.points.emplace_back(x, peak[i]);
      so_far += cost_at[i];
      bill.points.emplace_back(x, so_far);
    }
    timeline.subtitle = fmt::format("interval {} s", FormatTick(w, w));
    concurrency.subtitle = timeline.subtitle;
    cost_time.subtitle = timeline.subtitle;
    timeline.series.push_back(std::move(s));
    timeline.series.push_back(std::move(c));
    concurrency.series.push_back(std::move(in_flight));
    cost_time.series.push_back(std::move(bill));
  }
  if (!any) return;
  if (several) timeline.subtitle.clear(), concurrency.subtitle.clear(), cost_time.subtitle.clear();  // per ledger
  constexpr const char* kMeasured =
      "Measured by the platform on this machine: invocations, cold starts (our processes' spawn and init), "
      "durations, outcomes. Each function ran under its provider profile's memory, CPU and concurrency limits "
      "(emulated).";
  out->push_back({"ledger-invocations", "Function platform", "Invocations and cold starts per function",
                  fmt::format("{} Errors are every outcome but success and throttled.", kMeasured),
                  BarChartSvg(inv)});
  out->push_back({"ledger-duration", "Function platform", "Duration per function",
                  fmt::format("{} Billed time applies each provider's rounding and minimums (emulated from the "
                              "profiles).",
                              kMeasured),
                  BarChartSvg(dur)});
  out->push_back({"ledger-cost", "Function platform", "Cost per function",
                  fmt::format("Measured durations and memory priced under each record's provider profile "
                              "(emulated: prices, rounding, request fees). {}",
                              kMeasured),
                  BarChartSvg(cost)});
  if (vm.categories.size() > 1) {
    vm.series = {fn, vm_span, vm_work};
    out->push_back({"ledger-vm", "Function platform", "The ledger's bill against an always-on VM (framework Fig. 3)",
                    "One VM for the ledger's wall span (first start to last end, measured here) and for the CPU work "
                    "alone (a CPU-bound estimate), with its billing minimum; VM and function prices are emulated "
                    "from the profiles.",
                    BarChartSvg(vm)});
  }
  out->push_back({"ledger-timeline", "Function platform", "Invocations and cold starts over time",
                  fmt::format("Invocations started per interval by their start time in the ledger. {}", kMeasured),
                  LineChartSvg(timeline)});
  out->push_back({"ledger-concurrency", "Function platform", "Invocations in flight over time",
                  fmt::format("The most invocations accepted and not yet finished (waiting for capacity, "
                              "initialising or running) at once in each interval, from the ledger's start times "
                              "and measured queue, init and handler times. {}",
                              kMeasured),
                  LineChartSvg(concurrency)});
  out->push_back({"ledger-cost-time", "Function platform", "Billed cost over time",
                  fmt::format("Each invocation's cost counted at its start: measured durations priced under its "
                              "provider profile (emulated: prices, rounding, request fees). {}",
                              kMeasured),
                  LineChartSvg(cost_time)});
}

}  // namespace

std::vector<Figure> BuildFigures(const std::vector<ReportInput>& inputs) {
  std::vector<Figure> out;
  TrainingTables(inputs, &out);
  RoundFigures(inputs, &out);
  EpochFigures(inputs, &out);
  LoadFigures(inputs, &out);
  LoadTimelineFigures(inputs, &out);
  LedgerFigures(inputs, &out);
  return out;
}

}  // namespace sl::report

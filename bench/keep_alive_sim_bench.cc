// Keep-alive simulation speed (issue 21 §2 goal: one day of the 104-function sample under three
// policies in under 5 s): reads the trace, builds the workload and runs the study `--repeat`
// times, printing the best and median wall time of each stage and of the whole, and how many
// times faster than real time the simulated day ran. The results table of the last run follows,
// so the numbers in docs/benchmarks.md come from the same run.
//
//   build/bench/keep_alive_sim_bench [--trace PATH] [--policy a,b,...] [--repeat N]
//                                    [--arrivals uniform|poisson|equidistant] [--seed S]
//                                    [--unit app|function] [--instance-concurrency N]
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/flags.h"
#include "faas/economics/provider_profile.h"
#include "trace/keep_alive_study.h"

namespace {

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  while (a <= s.size()) {
    size_t b = s.find(',', a);
    if (b == std::string::npos) b = s.size();
    if (b > a) out.push_back(s.substr(a, b - a));
    a = b + 1;
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sl;
  FlagSet flags("keep_alive_sim_bench", "time the keep-alive study on a trace");
  std::string trace_path = std::string(SL_TRACE_SAMPLES_DIR) + "/sample104_inv.csv";
  std::string policies = "fixed:10m,fixed:20m,hybrid", arrivals = "uniform", unit = "app";
  std::string provider = "azure-functions";
  int64_t repeat = 5, seed = 1, concurrency = 0;
  flags.String("trace", &trace_path, "trace file (2019 invocations or 2021)");
  flags.String("policy", &policies, "comma-separated keep-alive policies");
  flags.String("arrivals", &arrivals, "uniform | poisson | equidistant");
  flags.String("unit", &unit, "app | function");
  flags.String("provider", &provider, "provider profile (fixed/hybrid defaults)");
  flags.Int("repeat", &repeat, "runs");
  flags.Int("seed", &seed, "arrival/duration seed");
  flags.Int("instance-concurrency", &concurrency, "invocations per instance (0 = unlimited)");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (Status st = flags.Parse(args); !st.ok()) {
    fmt::print(stderr, "{}\n", st.ToString());
    return 2;
  }
  if (flags.help_requested()) {
    fmt::print("{}", flags.Help());
    return 0;
  }
  auto profile = faas::LoadProviderProfile(provider);
  auto mode = trace::ParseArrivalMode(arrivals);
  auto unit_kind = trace::ParseKeepAliveUnit(unit);
  if (!profile.ok() || !mode.ok() || !unit_kind.ok()) {
    fmt::print(stderr, "{} {} {}\n", profile.status().ToString(), mode.status().ToString(),
               unit_kind.status().ToString());
    return 2;
  }
  Clock* clock = Clock::Real();
  std::vector<double> t_read, t_build, t_sim, t_total;
  Result<trace::StudyReport> report = InvalidArgument("not run");
  for (int64_t i = 0; i < repeat; ++i) {
    const TimePoint t0 = clock->Now();
    auto t = trace::ReadTrace(trace_path);
    if (!t.ok()) {
      fmt::print(stderr, "{}\n", t.status().ToString());
      return 1;
    }
    const TimePoint t1 = clock->Now();
    trace::WorkloadOptions wo;
    wo.arrivals = *mode;
    wo.seed = static_cast<uint64_t>(seed);
    wo.unit = *unit_kind;
    auto w = trace::BuildWorkload(*t, wo);
    if (!w.ok()) {
      fmt::print(stderr, "{}\n", w.status().ToString());
      return 1;
    }
    const TimePoint t2 = clock->Now();
    trace::SimOptions so;
    so.instance_concurrency = concurrency;
    report = trace::RunKeepAliveStudy(*w, Split(policies), *profile, so);
    if (!report.ok()) {
      fmt::print(stderr, "{}\n", report.status().ToString());
      return 1;
    }
    const TimePoint t3 = clock->Now();
    t_read.push_back(SecondsBetween(t0, t1));
    t_build.push_back(SecondsBetween(t1, t2));
    t_sim.push_back(SecondsBetween(t2, t3));
    t_total.push_back(SecondsBetween(t0, t3));
  }
  auto line = [](const char* what, const std::vector<double>& v) {
    fmt::print("{:<28} best {:8.3f} s  median {:8.3f} s\n", what, *std::min_element(v.begin(), v.end()),
               Median(v));
  };
  fmt::print("trace {}: {} invocations, {} policies ({}), {} runs\n", trace_path,
             report->invocations, report->policies.size(), policies, repeat);
  line("read + parse", t_read);
  line("build workload", t_build);
  line("simulate all policies", t_sim);
  line("total", t_total);
  fmt::print("simulated {:.0f} s of trace per policy: {:.0f}x faster than real time (median "
             "total, all policies)\n", report->horizon_s,
             report->horizon_s * report->policies.size() / Median(t_total));
  fmt::print("goal: total < 5 s for three policies: {}\n\n", Median(t_total) < 5 ? "met" : "NOT met");
  fmt::print("{}", trace::FormatStudy(*report));
  return 0;
}

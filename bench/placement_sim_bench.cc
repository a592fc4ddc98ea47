// Placement simulator speed (issue 21 §5 goal: StraightLine's ramp, 10 → 7,000 sessions/s in
// 180 s, under both policies in under 10 s). Runs `straightline simulate placement`'s library on
// the ramp (3 requests per session, the serving benchmarks' mix: 80 % one-image JSON, 10 % raw
// pixels, 10 % 32-image JSON) with tiers on their own machines, `--repeat` times per policy, and
// prints the best and median wall time, events per second and how many times faster than real
// time the 180 s ran. The peer in the same run: the same number of Observe() + Place() calls on a
// fresh placer of the same policy with a fixed TierState (what the real placer code alone costs),
// so the ratio says what the simulation adds around the real placer.
//
//   build/bench/placement_sim_bench --calibration FILE [--policy straightline,adaptive]
//       [--repeat 3] [--duration 180] [--from 10] [--to 7000] [--concurrency 4096]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/flags.h"
#include "serve/load/load_report.h"
#include "serve/sim/placement_sim.h"
#include "serve/sim/sim_report.h"

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// CPU time of this thread (ms): on a shared machine the wall time also counts waiting for a core.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double MsSince(sl::TimePoint t0) {
  return std::chrono::duration<double, std::milli>(sl::Clock::Real()->Now() - t0).count();
}

// n Observe() + Place() calls on a fresh placer with three tiers that always have room.
double PlacerOnlyMs(const sl::serve::PlacerOptions& po, int64_t n) {
  sl::serve::sim::SimClock clock;
  sl::serve::PlacerOptions o = po;
  o.clock = &clock;
  auto placer = sl::serve::MakePlacer(o);
  if (!placer.ok()) return -1;
  std::vector<sl::serve::TierState> tiers(3);
  const sl::serve::TierKind kinds[3] = {sl::serve::TierKind::kLocal, sl::serve::TierKind::kContainer,
                                        sl::serve::TierKind::kFunction};
  for (int i = 0; i < 3; ++i) {
    tiers[i].kind = kinds[i];
    tiers[i].available = true;
    tiers[i].capacity = 1000;
    tiers[i].replicas = 2;
    tiers[i].max_replicas = 10;
    tiers[i].service_ms_ewma = 2 + i;
  }
  sl::serve::PlacementInput in;
  in.model = "m";
  in.wire_bytes = 4783;
  in.tiers = tiers;
  const sl::TimePoint t0 = sl::Clock::Real()->Now();
  int64_t sink = 0;
  for (int64_t i = 0; i < n; ++i) {
    clock.Set(sl::TimePoint(sl::Nanos(i * 100'000)));  // 10,000 requests/s
    (*placer)->Observe();
    sink += static_cast<int64_t>((*placer)->Place(in).tier);
  }
  const double ms = MsSince(t0);
  return sink >= 0 ? ms : ms;
}

}  // namespace

int main(int argc, char** argv) {
  sl::FlagSet flags("placement_sim_bench", "Placement simulator speed on StraightLine's ramp.");
  std::string cal_path, policies = "straightline,adaptive";
  int64_t repeat = 3, concurrency = 4096;
  double duration = 180, from = 10, to = 7000;
  flags.String("calibration", &cal_path, "calibrate's thresholds file (required)");
  flags.String("policy", &policies, "policies, comma-separated");
  flags.Int("repeat", &repeat, "runs per policy");
  flags.Double("duration", &duration, "ramp seconds");
  flags.Double("from", &from, "sessions/s at the start");
  flags.Double("to", &to, "sessions/s at the end");
  flags.Int("concurrency", &concurrency, "client connections");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (sl::Status s = flags.Parse(args); !s.ok()) {
    fmt::print(stderr, "{}\n", s.message());
    return 2;
  }
  auto cal = sl::serve::sim::LoadCalibration(cal_path);
  if (!cal.ok()) {
    fmt::print(stderr, "--calibration: {}\n", cal.status().ToString());
    return 2;
  }
  auto profile = sl::faas::LoadProviderProfile("aws-lambda");
  if (!profile.ok()) return 1;
  sl::serve::sim::PlacementSimOptions o;
  o.spec.model = "fmnist-cnn";
  o.spec.phases = {sl::serve::load::Phase{"ramp", duration, from, to}};
  o.spec.session_requests = 3;
  o.spec.payloads = *sl::serve::load::ParsePayloadMix("json:8,pixels:1,batch:1:32");
  o.spec.concurrency = concurrency;
  o.calibration = *cal;
  o.profile = *profile;
  o.input = sl::serve::sim::DefaultInput();
  o.topology.local_cores = cal->host_cores > 0 ? static_cast<double>(cal->host_cores) : 2;
  o.placer.frequency_threshold = cal->frequency_threshold;
  o.placer.size_threshold = cal->size_threshold;
  o.placer.window = std::chrono::milliseconds(cal->window_ms);
  sl::serve::sim::ResolveDefaults(&o);
  fmt::print("{}", sl::serve::sim::DescribeModel(o));
  fmt::print("ramp {:g} -> {:g} sessions/s in {:g} s, 3 requests/session, {} connections, {} runs per policy\n",
             from, to, duration, concurrency, repeat);
  std::vector<sl::serve::sim::PlacementSimResult> last;
  double total_best = 0, total_cpu = 0;
  size_t start = 0;
  while (start <= policies.size()) {
    size_t end = policies.find(',', start);
    if (end == std::string::npos) end = policies.size();
    const std::string policy = policies.substr(start, end - start);
    start = end + 1;
    if (policy.empty()) continue;
    sl::serve::sim::PlacementSimOptions p = o;
    p.placer.policy = policy;
    std::vector<double> wall, cpu;
    sl::serve::sim::PlacementSimResult r;
    for (int64_t i = 0; i < repeat; ++i) {
      const sl::TimePoint t0 = sl::Clock::Real()->Now();
      const double c0 = ThreadCpuMs();
      auto run = sl::serve::sim::RunPlacementSim(p);
      wall.push_back(MsSince(t0));
      cpu.push_back(ThreadCpuMs() - c0);
      if (!run.ok()) {
        fmt::print(stderr, "{}: {}\n", policy, run.status().ToString());
        return 1;
      }
      r = std::move(*run);
    }
    int64_t placements = 0;
    for (const auto& [tier, rules] : r.placements) {
      for (const auto& [rule, n] : rules) placements += n;
    }
    const double best = *std::min_element(wall.begin(), wall.end());
    const double best_cpu = *std::min_element(cpu.begin(), cpu.end());
    const double c0 = ThreadCpuMs();
    PlacerOnlyMs(p.placer, placements);
    const double peer_cpu = ThreadCpuMs() - c0;
    total_best += best;
    total_cpu += best_cpu;
    fmt::print("{:<13} wall best {:6.0f} ms median {:6.0f} ms, CPU best {:6.0f} ms  {:>9} events ({:.1f} M/CPU-s)  "
               "{:>8} placements  {:.0f}x real time  placer calls alone {:5.0f} CPU-ms (sim / placer-only {:.1f}x)\n",
               policy, best, Median(wall), best_cpu, r.events, static_cast<double>(r.events) / best_cpu / 1000,
               placements, r.simulated_s * 1000 / best, peer_cpu, best_cpu / peer_cpu);
    last.push_back(std::move(r));
  }
  fmt::print("both policies, best runs: {:.0f} ms wall, {:.0f} ms CPU (goal: under 10,000 ms); load average {}",
             total_best, total_cpu, [] {
               std::string l;
               if (FILE* f = std::fopen("/proc/loadavg", "r")) {
                 char buf[128] = {};
                 if (std::fgets(buf, sizeof buf, f) != nullptr) l = buf;
                 std::fclose(f);
               }
               return l;
             }());
  fmt::print("{}", sl::serve::sim::SimReportTable(o.spec, last));
  return 0;
}

// Warm invocation overhead of the local platform through the C++ API: a no-op built-in handler
// with a 1 KiB payload, after warm-up (no cold starts in the measured part).
//   latency     sequential Invoke().get(): p50 / p99 client-side round trip
//   throughput  Map() of many payloads at once: invocations per second
//
//   invoke_warm [--n 20000] [--map 20000] [--memory MB] [--rounds 3]
#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "common/file_util.h"
#include "common/flags.h"
#include "faas/platform.h"

using namespace sl;

// Percentiles (nearest rank).
namespace sl::bench {

struct Summary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  size_t n = 0;
};

inline Summary Summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))]; };
  s.p50 = at(0.50);
  s.p90 = at(0.90);
  s.p99 = at(0.99);
  s.max = v.back();
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return s;
}

}  // namespace sl::bench


int main(int argc, char** argv) {
  FlagSet flags("invoke_warm", "Warm no-op invocation latency and map throughput.");
  int64_t n = 20000, map_n = 20000, memory = 1769, rounds = 3;
  flags.Int("n", &n, "sequential invocations measured");
  flags.Int("map", &map_n, "payloads per Map() round");
  flags.Int("memory", &memory, "function memory (MB); 1,769 MB = 1 vCPU on Lambda");
  flags.Int("rounds", &rounds, "Map() rounds");
  Status s = flags.Parse(std::vector<std::string>(argv + 1, argv + argc));
  if (!s.ok() || flags.help_requested()) {
    fmt::print("{}{}\n", flags.Help(), s.ok() ? "" : s.message());
    return s.ok() ? 0 : 2;
  }
  TempDir dir("bench-warm");
  faas::PlatformOptions o;
  o.state_dir = dir.path();
  auto platform = faas::Platform::Create(o);
  if (!platform.ok()) {
    fmt::print(stderr, "{}\n", platform.status().ToString());
    return 1;
  }
  faas::FunctionSpec spec;
  spec.name = "noop";
  spec.handler = "noop";
  spec.memory_mb = memory;
  spec.timeout_s = 60;
  if (Status r = (*platform)->RegisterFunction(spec); !r.ok()) {
    fmt::print(stderr, "{}\n", r.ToString());
    return 1;
  }
  // 1 KiB JSON payload.
  std::string payload = "{\"d\":\"" + std::string(1024 - 8, 'x') + "\"}";
  auto once = [&] { return (*platform)->Invoke({"noop", payload}).get(); };
  for (int i = 0; i < 2000; ++i) {
    auto r = once();
    if (!r.status.ok() || !r.function_error.empty()) {
      fmt::print(stderr, "warm-up: {} {}\n", r.status.ToString(), r.payload);
      return 1;
    }
  }
  std::vector<double> lat, dur;
  lat.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = once();
    lat.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    dur.push_back(r.duration_ms);
    if (r.cold_start) fmt::print(stderr, "note: a cold start during the measured part\n");
  }
  auto l = bench::Summarize(lat);
  auto d = bench::Summarize(dur);
  fmt::print("warm no-op, 1 KiB payload, {} MB, {} sequential calls\n", memory, n);
  fmt::print("  Invoke round trip  p50 {:.3f} ms  p90 {:.3f} ms  p99 {:.3f} ms  max {:.3f} ms  mean {:.3f} ms\n",
             l.p50, l.p90, l.p99, l.max, l.mean);
  fmt::print("  handler duration   p50 {:.3f} ms  p99 {:.3f} ms (measured by the platform)\n", d.p50, d.p99);
  std::vector<std::string> payloads(static_cast<size_t>(map_n), payload);
  for (int64_t round = 0; round < rounds; ++round) {
    auto t0 = std::chrono::steady_clock::now();
    auto futures = (*platform)->Map("noop", payloads);
    int64_t errors = 0, cold = 0;
    for (auto& f : futures) {
      auto r = f.get();
      errors += !r.status.ok() || !r.function_error.empty();
      cold += r.cold_start;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto info = (*platform)->GetFunction("noop");
    fmt::print("  Map round {}: {} invocations in {:.3f} s = {:.0f} /s  (errors {}, cold {}, "
               "instances {})\n", round + 1, map_n, secs, static_cast<double>(map_n) / secs,
               errors, cold, info.ok() ? info->instances : -1);
  }
  return 0;
}

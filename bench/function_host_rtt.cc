// function_host_rtt: what a remote function host adds to an invocation, measured through the
// FunctionHost seam that the trainer and the function tier use (faas/function_host.h).
//
//   --host embedded           the embedded platform in this process (a warm `echo` instance)
//   --host lambda --endpoint-url URL
//                             the Lambda Invoke API with SigV4 (faas/remote/lambda_host.h), e.g.
//                             `straightline platform serve` in another network namespace
//                             (bench/multihost.sh runs both in one go)
//
// Phase 1: --requests sequential invocations of --function (after --warmup), p50/p99/max.
// Phase 2: --maps Map calls of --map-size payloads each, invocations per second.
// Credentials for lambda: the standard AWS_* chain.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/flags.h"
#include "faas/platform.h"
#include "faas/remote/lambda_host.h"

namespace {

using Steady = std::chrono::steady_clock;

double Ms(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  sl::FlagSet flags("function_host_rtt", "Invocation round trip and map throughput through a FunctionHost.");
  std::string host = "embedded", endpoint, function = "echo", state_dir = "/tmp/function_host_rtt";
  int64_t requests = 2000, warmup = 100, maps = 20, map_size = 64, payload_bytes = 256, memory_mb = 1769;
  flags.String("host", &host, "embedded | lambda");
  flags.String("endpoint-url", &endpoint, "lambda: the Invoke API endpoint");
  flags.String("function", &function, "the function (a built-in handler, deployed if missing)");
  flags.String("state-dir", &state_dir, "embedded: platform state; lambda: caller-side ledger");
  flags.Int("requests", &requests, "sequential invocations measured");
  flags.Int("warmup", &warmup, "sequential invocations first, not measured");
  flags.Int("maps", &maps, "Map calls measured");
  flags.Int("map-size", &map_size, "payloads per Map call");
  flags.Int("payload-bytes", &payload_bytes, "JSON payload size");
  flags.Int("memory-mb", &memory_mb, "function memory (1769 MB: one vCPU on Lambda)");
  sl::Status parsed = flags.Parse(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.ok()) {
    fmt::print(stderr, "{}\n", parsed.message());
    return 2;
  }
  if (flags.help_requested()) {
    fmt::print("{}", flags.Help());
    return 0;
  }

  std::unique_ptr<sl::faas::FunctionHost> functions;
  if (host == "embedded") {
    sl::faas::PlatformOptions po;
    po.state_dir = state_dir;
    auto p = sl::faas::Platform::Create(po);
    if (!p.ok()) {
      fmt::print(stderr, "platform: {}\n", p.status().ToString());
      return 1;
    }
    functions = std::move(p).value();
  } else if (host == "lambda") {
    sl::faas::LambdaHostOptions o;
    o.endpoint_url = endpoint;
    o.ledger_path = state_dir + "/ledger.jsonl";
    auto l = sl::faas::LambdaHost::Create(std::move(o));
    if (!l.ok()) {
      fmt::print(stderr, "lambda host: {}\n", l.status().ToString());
      return 1;
    }
    functions = std::move(l).value();
  } else {
    fmt::print(stderr, "--host: '{}' is not embedded or lambda\n", host);
    return 2;
  }
  sl::faas::FunctionSpec spec;
  spec.name = function;
  spec.handler = function;
  spec.memory_mb = memory_mb;
  spec.timeout_s = 10;
  spec.source = "function_host_rtt";
  if (sl::Status s = functions->Deploy(spec); !s.ok()) {
    fmt::print(stderr, "deploy {}: {}\n", function, s.ToString());
    return 1;
  }
  const std::string payload = "\"" + std::string(std::max<int64_t>(payload_bytes - 2, 0), 'x') + "\"";
  auto call = [&]() {
    return functions->Invoke({.function = function, .payload = payload}).get();
  };
  for (int64_t i = 0; i < warmup; ++i) {
    auto r = call();
    if (!r.status.ok() || !r.function_error.empty()) {
      fmt::print(stderr, "warm-up invocation failed: {} {}\n", r.status.ToString(), r.payload.substr(0, 200));
      return 1;
    }
  }
  std::vector<double> rtt;
  rtt.reserve(requests);
  int64_t failed = 0;
  for (int64_t i = 0; i < requests; ++i) {
    auto t0 = Steady::now();
    auto r = call();
    auto t1 = Steady::now();
    if (!r.status.ok() || !r.function_error.empty()) {
      ++failed;
      continue;
    }
    rtt.push_back(Ms(t0, t1));
  }
  std::vector<std::string> payloads(map_size, payload);
  int64_t map_ok = 0, map_failed = 0;
  auto m0 = Steady::now();
  for (int64_t m = 0; m < maps; ++m) {
    for (auto& f : functions->Map(function, payloads)) {
      auto r = f.get();
      (r.status.ok() && r.function_error.empty() ? map_ok : map_failed) += 1;
    }
  }
  const double map_s = Ms(m0, Steady::now()) / 1000;
  fmt::print("# function_host_rtt host={} endpoint={} function={} payload={}B\n", host,
             endpoint.empty() ? "-" : endpoint, function, payload.size());
  fmt::print("{:>10} {:>9} {:>9} {:>9} {:>7} {:>14} {:>10}\n", "host", "p50_ms", "p99_ms", "max_ms", "failed",
             "map_invokes/s", "map_failed");
  fmt::print("{:>10} {:>9.3f} {:>9.3f} {:>9.3f} {:>7} {:>14.0f} {:>10}\n", host, Percentile(rtt, 0.5),
             Percentile(rtt, 0.99), rtt.empty() ? 0.0 : *std::max_element(rtt.begin(), rtt.end()), failed,
             map_s > 0 ? static_cast<double>(map_ok) / map_s : 0.0, map_failed);
  return failed + map_failed > 0 ? 1 : 0;
}

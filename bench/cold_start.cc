// Cold start of a built-in handler: instances forked from the pre-initialised template process
// (zygote) versus a plain fork+exec of the libtorch-linked straightline-worker, in the same run.
//
// Each sample registers a fresh function and invokes it once, so every invocation is a cold
// start. Reported per mode:
//   init_ms    spawn request → the instance's first GET /invocation/next ("handler running":
//              the runtime is polling and the handler is registered)
//   invoke_ms  Invoke() → response, client side (init + one no-op invocation + platform work)
//
// Fork mode runs once per isolation asked for (--isolation both: the sandbox — own namespaces,
// unprivileged uid, its own root — and none, in the same run), so the sandbox's cost is a ratio.
// --image REF adds a third kind: the same handler from a function image (`straightline package
// function`), each instance a runc container over the unpacked image (PlatformOptions::
// function_image); its init_ms is runc create + start + the worker's exec and libtorch init.
//
//   cold_start [--fork N] [--exec N] [--memory MB] [--isolation both|sandbox|none]
//              [--image oci-archive:PATH --image-n N]
#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>
#include <cstdio>

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


namespace {

struct ModeResult {
  bench::Summary init, invoke;
  double template_ready_ms = 0;
};

// The template the no-op starts from: the libtorch-linked worker's, as an ML function's would
// (--torch-free-template: straightline-worker-base's, as the platform does for built-ins).
bool g_torch_free_template = false;

Result<ModeResult> RunMode(faas::SpawnMode mode, int n, int64_t memory_mb, faas::FunctionIsolation isolation,
                           const std::string& image = "") {
  TempDir dir("bench-cold");
  faas::PlatformOptions o;
  o.state_dir = dir.path();
  o.torch_free_template = g_torch_free_template;
  o.spawn_mode = mode;
  o.isolation = isolation;
  o.function_image = image;  // Deploy runs the built-in from the image
  o.background_maintenance = false;
  auto t0 = std::chrono::steady_clock::now();
  SL_ASSIGN_OR_RETURN(auto platform, faas::Platform::Create(o));
  auto spec = [&](const std::string& name) {
    faas::FunctionSpec s;
    s.name = name;
    s.handler = "noop";
    s.memory_mb = memory_mb;
    s.timeout_s = 60;
    return s;
  };
  // The first cold start also waits for the template process to boot (libtorch init) or, from an
  // image, for the image to be unpacked: report it separately, it is paid once per platform.
  SL_RETURN_IF_ERROR(platform->Deploy(spec("warmup")));
  auto first = platform->Invoke({"warmup", "{}"}).get();
  if (!first.status.ok()) return first.status;
  ModeResult out;
  out.template_ready_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::vector<double> init, invoke;
  for (int i = 0; i < n; ++i) {
    std::string name = fmt::format("cold-{}", i);
    SL_RETURN_IF_ERROR(platform->Deploy(spec(name)));
    auto start = std::chrono::steady_clock::now();
    faas::InvokeResult r = platform->Invoke({name, "{}"}).get();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!r.status.ok()) return r.status;
    if (!r.function_error.empty()) return Internal("{}: {}", name, r.payload);
    if (!r.cold_start) return Internal("{}: expected a cold start", name);
    init.push_back(r.init_ms);
    invoke.push_back(ms);
  }
  out.init = bench::Summarize(init);
  out.invoke = bench::Summarize(invoke);
  return out;
}

void Print(const std::string& mode, const ModeResult& r) {
  fmt::print("{:<13} n={:<3} init_ms p50 {:8.2f} p90 {:8.2f} p99 {:8.2f} max {:8.2f} | "
             "invoke_ms p50 {:8.2f} p99 {:8.2f} | first (incl. template boot) {:.0f} ms\n",
             mode, r.init.n, r.init.p50, r.init.p90, r.init.p99, r.init.max, r.invoke.p50,
             r.invoke.p99, r.template_ready_ms);
}

}  // namespace

int main(int argc, char** argv) {
  FlagSet flags("cold_start", "Cold starts: fork from the template process vs plain exec.");
  int64_t fork_n = 50, exec_n = 10, memory = 1769;
  flags.Int("fork", &fork_n, "cold starts forked from the template");
  flags.Int("exec", &exec_n, "cold starts by fork+exec of straightline-worker");
  flags.Int("memory", &memory, "function memory (MB); 1,769 MB = 1 vCPU on Lambda");
  std::string isolation = "both";
  flags.String("isolation", &isolation, "both | sandbox | none: the isolation of the fork-mode runs");
  std::string image;
  int64_t image_n = 20;
  flags.String("image", &image, "oci-archive:PATH | oci:DIR: also time cold starts from this function image (runc)");
  flags.Int("image-n", &image_n, "cold starts from --image");
  flags.Bool("torch-free-template", &g_torch_free_template,
             "start the no-op from straightline-worker-base's template (no libtorch), as the platform "
             "does for built-ins; default: the libtorch-linked worker's, as for ML functions");
  Status s = flags.Parse(std::vector<std::string>(argv + 1, argv + argc));
  if (!s.ok() || flags.help_requested()) {
    fmt::print("{}{}\n", flags.Help(), s.ok() ? "" : s.message());
    return s.ok() ? 0 : 2;
  }
  fmt::print("cold start of a no-op built-in handler, {} MB (aws-lambda profile)\n", memory);
  std::vector<faas::FunctionIsolation> isolations;
  if (isolation == "both") {
    isolations = {faas::FunctionIsolation::kSandbox, faas::FunctionIsolation::kNone};
  } else {
    auto i = faas::ParseFunctionIsolation(isolation);
    if (!i.ok()) {
      fmt::print(stderr, "cold_start: {}\n", i.status().message());
      return 2;
    }
    isolations = {*i};
  }
  for (auto iso : isolations) {
    if (fork_n <= 0) break;
    auto r = RunMode(faas::SpawnMode::kFork, static_cast<int>(fork_n), memory, iso);
    if (!r.ok()) {
      fmt::print(stderr, "fork ({}): {}\n", faas::FunctionIsolationName(iso), r.status().ToString());
      return 1;
    }
    Print(fmt::format("fork/{}", faas::FunctionIsolationName(iso)), *r);
  }
  if (exec_n > 0) {
    auto r = RunMode(faas::SpawnMode::kExec, static_cast<int>(exec_n), memory, isolations.front());
    if (!r.ok()) {
      fmt::print(stderr, "exec: {}\n", r.status().ToString());
      return 1;
    }
    Print("exec", *r);
  }
  if (!image.empty() && image_n > 0) {
    auto r = RunMode(faas::SpawnMode::kFork, static_cast<int>(image_n), memory, faas::FunctionIsolation::kSandbox, image);
    if (!r.ok()) {
      fmt::print(stderr, "image: {}\n", r.status().ToString());
      return 1;
    }
    Print("image/runc", *r);
  }
  return 0;
}

// serve_tier_startup_bench: measures how long each remote tier takes to become able to serve —
// container tier replica start (runc container vs plain child process: spawn → /v2/health/ready)
// and function cold start (fork from the template vs fork+exec) — N times each, one run.
//
//   serve_tier_startup_bench [--n 10] [--model DIR]        (replica: straightline serve --tiers
//                                                           local, when --model is given)
//   serve_tier_startup_bench --python-server               (replica: a tiny Python v2 server)
//   serve_tier_startup_bench --model DIR --image oci-archive:PATH
//       also the image mode: the replica runs the serving image (`straightline package serve
//       --model DIR`) unpacked once per tier; "tier create" is that unpack, excluded from start.
// Results go to docs/benchmarks.md ("Serving: tier start-up").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "common/log.h"
#include "common/metrics.h"
#include "faas/platform.h"
#include "serve/remote/container_tier.h"

namespace {

constexpr const char* kServer = R"PY(
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        b = b'{"ready": true}'
        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers()
        self.wfile.write(b)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
)PY";

void Report(const char* what, std::vector<double> ms) {
  if (ms.empty()) {
    std::printf("%-44s  (no samples)\n", what);
    return;
  }
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms) sum += v;
  std::printf("%-44s n=%zu  median %7.1f ms  mean %7.1f  min %7.1f  max %7.1f\n", what, ms.size(),
              ms[ms.size() / 2], sum / static_cast<double>(ms.size()), ms.front(), ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  int n = 10;
  std::string model;
  bool python = false;
  std::string image;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--n") && i + 1 < argc) n = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
    else if (!std::strcmp(argv[i], "--python-server")) python = true;
    else if (!std::strcmp(argv[i], "--image") && i + 1 < argc) image = argv[++i];
    else {
      std::fprintf(stderr, "usage: serve_tier_startup_bench [--n N] [--model DIR [--image REF] | --python-server]\n");
      return 2;
    }
  }
  sl::SetLogLevel(sl::LogLevel::kWarn);
  sl::TempDir tmp("tier-startup-bench");
  sl::MetricsRegistry metrics;
  std::string server = tmp.Join("server.py");
  if (!sl::WriteFileAtomic(server, kServer).ok()) return 1;

  std::vector<std::string> modes = {"runc", "process"};
  if (!image.empty()) modes.push_back("image");
  for (const std::string& mode : modes) {
    std::vector<double> ms, create_ms;
    for (int i = 0; i < n; ++i) {
      sl::serve::ContainerTierOptions o;
      o.mode = mode == "image" ? sl::serve::ContainerMode::kRunc : sl::serve::ParseContainerMode(mode).value();
      if (mode == "image") o.image = image;
      o.state_dir = tmp.Join("state");
      o.min_replicas = 1;
      o.max_replicas = 1;
      o.metrics = &metrics;
      if (!python && !model.empty()) {
        o.model_dir = model;
        o.binary = std::string(STRAIGHTLINE_BIN);
      } else {
        o.command = {"/usr/bin/python3", server, "{port}"};
        o.extra_ro_paths = {tmp.path()};
      }
      const auto t0 = std::chrono::steady_clock::now();
      auto tier = sl::serve::ContainerTier::Create(o);
      if (!tier.ok()) {
        std::fprintf(stderr, "%s: %s\n", mode.c_str(), tier.status().ToString().c_str());
        break;
      }
      create_ms.push_back(std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - t0).count());
      if (!(*tier)->WaitForReady(1, std::chrono::seconds(60))) {
        std::fprintf(stderr, "%s: replica not ready in 60 s\n", mode.c_str());
        break;
      }
      ms.push_back((*tier)->Replicas()[0].start_ms);
      (*tier)->Shutdown();
    }
    Report(("container tier replica start, " + mode).c_str(), ms);
    if (mode == "image") Report("container tier create (image unpack)", create_ms);
  }

  for (auto spawn : {sl::faas::SpawnMode::kFork, sl::faas::SpawnMode::kExec}) {
    sl::faas::PlatformOptions po;
    po.state_dir = tmp.Join(spawn == sl::faas::SpawnMode::kFork ? "pf" : "pe");
    po.spawn_mode = spawn;
    po.metrics = &metrics;
    auto platform = sl::faas::Platform::Create(po);
    if (!platform.ok()) {
      std::fprintf(stderr, "platform: %s\n", platform.status().ToString().c_str());
      return 1;
    }
    std::vector<double> init;
    for (int i = 0; i < n; ++i) {
      sl::faas::FunctionSpec spec;
      spec.name = "echo-" + std::to_string(i);
      spec.handler = "echo";
      spec.memory_mb = 1024;
      if (!(*platform)->RegisterFunction(spec).ok()) return 1;
      auto r = (*platform)->Invoke({.function = spec.name, .payload = "{}"}).get();
      if (r.status.ok() && r.cold_start) init.push_back(r.init_ms);
    }
    Report(spawn == sl::faas::SpawnMode::kFork ? "function cold start (init_ms), fork template"
                                               : "function cold start (init_ms), fork+exec",
           init);
    (*platform)->Shutdown();
  }
  return 0;
}

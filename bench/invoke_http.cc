// invoke_http: warm invocation overhead through the Lambda Invoke API front (HTTP).
//
// N client threads, each with its own keep-alive connection (HttpClient), POST a payload of
// --payload-bytes to /2015-03-31/functions/FN/invocations as fast as they can; reports p50 / p99 /
// max latency and throughput. Targets:
//   --target scripted   in-process front over ScriptedInvoker's "noop": the HTTP front alone
//   --target platform   in-process front over the local Platform (warm instances of --function)
//   --endpoint URL      any running front, e.g. `straightline platform serve --auth none`
//                       (requests are not signed; function_host_rtt signs)
// Warm-up requests (not measured) come first, so instances are warm.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/flags.h"
#include "common/http_client.h"
#include "faas/front/lambda_front.h"
#include "faas/front/scripted_invoker.h"
#ifdef SL_BENCH_HAS_PLATFORM
#include "faas/platform.h"
#endif

namespace {

struct Stats {
  double p50_ms = 0, p99_ms = 0, max_ms = 0, per_sec = 0;
  int64_t ok = 0, failed = 0;
};

Stats Drive(const std::string& url, int connections, int64_t requests, const std::string& payload,
            int64_t warmup) {
  std::vector<std::vector<double>> lat(connections);
  std::atomic<int64_t> failed{0};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  int64_t per = requests / connections;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      sl::HttpClient client;
      for (int64_t i = 0; i < warmup; ++i) (void)client.Post(url, payload);
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      lat[c].reserve(per);
      for (int64_t i = 0; i < per; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = client.Post(url, payload);
        auto t1 = std::chrono::steady_clock::now();
        if (!r.ok() || r->status != 200 || r->headers.Has("X-Amz-Function-Error")) {
          if (failed.fetch_add(1) == 0) {
            fmt::print(stderr, "first failure: {}\n",
                       r.ok() ? fmt::format("HTTP {} {}", r->status, r->body.substr(0, 200))
                              : r.status().ToString());
          }
          continue;
        }
        lat[c].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
    });
  }
  while (ready.load() < connections) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto start = std::chrono::steady_clock::now();
  go.store(true);
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  Stats s;
  s.ok = static_cast<int64_t>(all.size());
  s.failed = failed.load();
  if (!all.empty()) {
    s.p50_ms = all[all.size() / 2];
    s.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    s.max_ms = all.back();
  }
  s.per_sec = static_cast<double>(s.ok) / secs;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  sl::FlagSet flags("invoke_http", "Warm invocation overhead through the Lambda Invoke API front.");
  std::string target = "scripted", endpoint, function = "noop";
  int64_t requests = 20000, payload_bytes = 1024, warmup = 200, server_threads = 32;
  std::vector<std::string> conn_list;
  flags.String("target", &target, "scripted | platform (ignored with --endpoint)");
  flags.String("endpoint", &endpoint, "URL of a running front, e.g. http://127.0.0.1:9000");
  flags.String("function", &function, "function to invoke");
  flags.Int("requests", &requests, "measured requests per connection count");
  flags.Int("payload-bytes", &payload_bytes, "JSON payload size");
  flags.Int("warmup", &warmup, "unmeasured requests per connection first");
  flags.Int("server-threads", &server_threads, "HTTP threads of the in-process front");
  flags.List("connections", &conn_list, "client connections (repeatable; default 1 and 4)");
  sl::Status s = flags.Parse(std::vector<std::string>(argv + 1, argv + argc));
  if (!s.ok()) {
    fmt::print(stderr, "{}\n", s.message());
    return 2;
  }
  if (flags.help_requested()) {
    fmt::print("{}", flags.Help());
    return 0;
  }
  if (conn_list.empty()) conn_list = {"1", "4"};

  // A JSON string of exactly payload_bytes bytes.
  std::string payload = "\"" + std::string(std::max<int64_t>(payload_bytes - 2, 0), 'x') + "\"";

  std::unique_ptr<sl::faas::Invoker> invoker;
  std::unique_ptr<sl::faas::LambdaFront> front;
  if (endpoint.empty()) {
    if (target == "scripted") {
      invoker = sl::faas::ScriptedInvoker::WithStandardFunctions();
    } else if (target == "platform") {
#ifdef SL_BENCH_HAS_PLATFORM
      sl::faas::PlatformOptions po;
      po.state_dir = "/tmp/invoke_http_bench";
      auto p = sl::faas::Platform::Create(po);
      if (!p.ok()) {
        fmt::print(stderr, "platform: {}\n", p.status().ToString());
        return 1;
      }
      sl::faas::FunctionSpec spec;
      spec.name = function;
      spec.handler = function;
      spec.memory_mb = 1769;  // one full vCPU on Lambda
      spec.timeout_s = 10;
      sl::Status reg = (*p)->RegisterFunction(spec);
      if (!reg.ok()) {
        fmt::print(stderr, "register {}: {}\n", function, reg.ToString());
        return 1;
      }
      invoker = std::move(p).value();
#else
      fmt::print(stderr, "built without the platform (sl_faas)\n");
      return 2;
#endif
    } else {
      fmt::print(stderr, "--target: '{}' is not scripted or platform\n", target);
      return 2;
    }
    sl::faas::FrontOptions fo;
    fo.http.threads = static_cast<int>(server_threads);
    auto f = sl::faas::LambdaFront::Start(invoker.get(), fo);
    if (!f.ok()) {
      fmt::print(stderr, "{}\n", f.status().ToString());
      return 1;
    }
    front = std::move(f).value();
    endpoint = front->endpoint();
  }
  std::string url = endpoint + "/2015-03-31/functions/" + function + "/invocations";
  fmt::print("# invoke_http target={} function={} payload={}B requests={} endpoint={}\n",
             endpoint == (front ? front->endpoint() : "") ? target : "external", function,
             payload.size(), requests, endpoint);
  fmt::print("{:>11} {:>9} {:>9} {:>9} {:>12} {:>7}\n", "connections", "p50_ms", "p99_ms",
             "max_ms", "invokes/s", "failed");
  int rc = 0;
  for (const auto& c : conn_list) {
    int n = std::max(1, std::atoi(c.c_str()));
    Stats st = Drive(url, n, requests, payload, warmup);
    fmt::print("{:>11} {:>9.3f} {:>9.3f} {:>9.3f} {:>12.0f} {:>7}\n", n, st.p50_ms, st.p99_ms,
               st.max_ms, st.per_sec, st.failed);
    if (st.failed > 0) rc = 1;
  }
  if (front) front->Stop();
  return rc;
}

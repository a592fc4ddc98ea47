// straightline load --trace: the Azure Functions traces replayed in (compressed) real time
// (issue 21 §1). Every trace function becomes a function running the `trace` handler on the
// chosen function host (--target platform; --platform local|lambda|http), or every invocation a
// KServe v2 request to a running `straightline serve` (--target gateway or a loopback URL). The
// report states every change made to the trace and what was measured vs emulated.
#include "cli/trace_load_command.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "cli/function_host_flags.h"
#include "common/auth_token.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "faas/economics/keep_alive_policy.h"
#include "faas/economics/provider_profile.h"
#include "trace/azure_trace.h"
#include "trace/replay/gateway_replay.h"
#include "trace/replay/host_replay.h"
#include "trace/replay/replay_plan.h"
#include "trace/replay/replay_report.h"
#include "trace/replay/replay_sim.h"
#include "trace/replay/scaled_clock.h"

namespace sl::cli {
namespace {

// MemAvailable from /proc/meminfo in MB; 0 if unknown.
double MemAvailableMb() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb / 1024;
  }
  return 0;
}

int Usage(const std::string& message) {
  fmt::print(stderr, "straightline load --trace: {}\n", message);
  return 2;
}

}  // namespace

bool HasTraceFlag(const Args& args) {
  for (const auto& a : args) {
    if (a == "--trace" || a.rfind("--trace=", 0) == 0) return true;
  }
  return false;
}

int RunTraceLoad(const Args& args) {
  FlagSet flags("straightline load --trace",
                "Replay an Azure Functions trace (2019 or 2021 format) in compressed real time: each "
                "sampled trace function becomes a function of the `trace` handler on a function host "
                "(--target platform), or each invocation a KServe v2 request to a running gateway "
                "(--target gateway|URL). Reports per function and in total: sent, completed, failed, "
                "cold starts, latency percentiles, billed GB-s and wasted memory time, beside the "
                "keep-alive simulator's prediction of the same calls.");
  std::string trace_path, trace_format = "auto", durations_file, memory_file, arrivals = "uniform";
  std::string minutes, target = "platform", work = "sleep";
  std::string provider = "aws-lambda", keep_alive, state_dir = ".straightline/trace-replay";
  std::string model, payload = "json", auth_token_file, json_out;
  double speed = 1, scale = 1, touch_scale = 1, local_cpus = -1, max_memory_gb = 0;
  double memory_percentile = -1;
  int64_t functions = 0, seed = 1, timeout_ms = 50000;
  bool json = false, dry_run = false, real_durations = false;
  double default_memory_mb = 256;
  flags.String("trace", &trace_path, "the trace: a 2021 file, or a 2019 invocations file (its "
                                     "durations and memory files found beside it)");
  flags.String("trace-format", &trace_format, "2019 | 2021 | auto (from the file's header)");
  flags.String("durations", &durations_file, "2019 execution-time percentiles file (default: beside --trace)");
  flags.String("memory", &memory_file, "2019 app memory file (default: beside --trace)");
  flags.Double("default-memory-mb", &default_memory_mb, "memory of an app the trace gives none for "
                                                        "(every app of a 2021 trace)");
  flags.String("arrivals", &arrivals, "2019: arrivals within a minute: uniform | poisson | equidistant");
  flags.Double("speed", &speed, "K: trace seconds per replay second (send times, keep-alive and, "
                                "unless --real-durations, handler durations divided by K)");
  flags.Int("functions", &functions, "N: replay N functions sampled from those with invocations "
                                     "in the window (0: all)");
  flags.Double("scale", &scale, "X: multiply the load (each minute's count or invocation kept "
                                "floor(X) times, once more with probability frac(X))");
  flags.String("minutes", &minutes, "A-B: replay trace minutes [A, B) from the start (default: all)");
  flags.Int("seed", &seed, "arrivals, durations, sampling and scaling seed");
  flags.Bool("real-durations", &real_durations, "run handler durations as in the trace, not divided "
                                              "by --speed (instances then overlap K times more)");
  flags.String("target", &target, "platform (functions on the --platform host) | gateway "
                                  "(http://127.0.0.1:8080) | a loopback URL of a gateway");
  flags.String("provider", &provider, "platform: provider profile the functions are sized and billed under");
  flags.String("keep-alive", &keep_alive, "platform: keep-alive policy of every function, as the "
                                          "functions file's keepAlive (fixed | fixed:10m | hybrid | "
                                          "hybrid:range=2h); default: the spec's (fixed: the profile's)");
  flags.Double("memory-percentile", &memory_percentile,
               "2019: size each function from this percentile (0-100) of its app's allocated "
               "memory (linear between the trace's p1..p100); default: the app's average");
  flags.Double("touch-scale", &touch_scale, "platform: share of its app's memory each function "
                                            "touches (its memory size stays the full share)");
  flags.String("work", &work, "platform: sleep (the handler waits out its duration) | spin (burns "
                              "CPU, as invitro; on 2 cores concurrent calls then contend)");
  flags.Double("local-cpus", &local_cpus, "embedded platform: vCPUs of instances that may run at "
                                          "once, the rest queued (default: --work sleep 10000, as "
                                          "the handlers wait and a provider's capacity is not this "
                                          "machine's; --work spin the cores)");
  flags.Double("max-memory-gb", &max_memory_gb, "embedded platform: refuse a replay whose functions' "
                                                "peak touched memory exceeds this (0: half of MemAvailable)");
  flags.String("state-dir", &state_dir, "platform: state (logs, ledger.jsonl) of the embedded platform");
  flags.String("model", &model, "gateway: model name");
  flags.String("payload", &payload, "gateway: request payload kind (json | pixels | raw | batch | binary)");
  flags.String("auth-token-file", &auth_token_file, "gateway: file with the server's token; default "
                                                    "$STRAIGHTLINE_TOKEN");
  flags.Int("timeout-ms", &timeout_ms, "gateway: per-request timeout");
  flags.String("json-out", &json_out, "write the JSON report here");
  flags.Bool("json", &json, "print the JSON report instead of the table");
  flags.Bool("dry-run", &dry_run, "print the plan (the trace's changes, and per function its "
                                  "invocations, peak concurrency and memory) and send nothing");
  // The phase mode's flags (load_command.cc) mean nothing here. They are accepted and ignored with
  // a warning, so that STRAIGHTLINE_LOAD_ARGS (README, "Usage": flags appended to every `load`)
  // does not break a trace replay.
  std::string ignored_s;
  int64_t ignored_i = 0;
  for (const char* name : {"phases", "mix", "config", "csv-out"}) {
    flags.String(name, &ignored_s, "(load without --trace; ignored here)");
  }
  for (const char* name : {"session-requests", "max-total", "concurrency", "backlog"}) {
    flags.Int(name, &ignored_i, "(load without --trace; ignored here)");
  }
  FunctionHostFlags host_flags;
  host_flags.Define(flags);
  // `load --trace --help` must show this help, not read a trace named --help.
  const bool help = std::find(args.begin(), args.end(), "--help") != args.end();
  if (int rc = ParseFlagsOrExit(flags, help ? Args{"--help"} : args); rc >= 0) return rc;

  for (const char* name : {"phases", "mix", "config", "csv-out", "session-requests", "max-total",
                           "concurrency", "backlog"}) {
    if (flags.IsSet(name)) fmt::print(stderr, "straightline load --trace: --{} ignored (it is for load without --trace)\n", name);
  }
  if (trace_path.empty()) return Usage("--trace PATH is required");
  if (trace_format != "auto" && trace_format != "2019" && trace_format != "2021") {
    return Usage(fmt::format("--trace-format '{}': want 2019, 2021 or auto", trace_format));
  }
  if (work != "sleep" && work != "spin") return Usage(fmt::format("--work '{}': want sleep or spin", work));
  if (!(touch_scale >= 0 && touch_scale <= 1)) {
    return Usage(fmt::format("--touch-scale {}: want a share in [0, 1]", touch_scale));
  }
  if (seed < 0) return Usage(fmt::format("--seed {}: want >= 0", seed));
  if (!(default_memory_mb > 0)) return Usage(fmt::format("--default-memory-mb {}: want > 0", default_memory_mb));
  trace::ReplayOptions ro;
  auto mode = trace::ParseArrivalMode(arrivals);
  if (!mode.ok()) return Usage("--" + mode.status().message());
  ro.arrivals = *mode;
  ro.speed = speed;
  ro.functions = functions;
  ro.scale = scale;
  ro.seed = static_cast<uint64_t>(seed);
  ro.scale_durations = !real_durations;
  ro.default_memory_mb = default_memory_mb;
  ro.memory_percentile = memory_percentile < 0 ? -1 : memory_percentile / 100;
  if (!minutes.empty()) {
    if (Status s = trace::ParseMinuteRange(minutes, &ro); !s.ok()) return Usage(s.message());
  }
  const bool to_gateway = target != "platform";
  std::string gateway_url = target == "gateway" ? "http://127.0.0.1:8080" : target;
  if (to_gateway && gateway_url.rfind("http://", 0) != 0 && gateway_url.rfind("https://", 0) != 0) {
    return Usage(fmt::format("--target '{}': want platform, gateway or a gateway URL (http://127.0.0.1:PORT)", target));
  }
  if (to_gateway && model.empty()) return Usage("--model NAME is required with a gateway target");

  auto trace = trace::ReadTrace(trace_path, durations_file, memory_file);
  if (!trace.ok()) {
    fmt::print(stderr, "straightline load --trace: {}\n", trace.status().ToString());
    return 2;
  }
  const std::string format = trace->format == trace::Trace::Format::k2019 ? "2019" : "2021";
  if (trace_format != "auto" && trace_format != format) {
    return Usage(fmt::format("--trace-format {}: {} is a {} trace", trace_format, trace_path, format));
  }
  auto plan = trace::BuildReplayPlan(*trace, ro);
  if (!plan.ok()) return Usage(plan.status().message());
  if (dry_run) {
    for (const auto& n : plan->notes) fmt::print("  {}\n", n);
    fmt::print("{:<24} {:>7} {:>6} {:>10} {:>12}\n", "function", "calls", "peak", "app MB", "longest ms");
    for (const auto& f : plan->functions) {
      fmt::print("{:<24} {:>7} {:>6} {:>10.0f} {:>12.1f}\n", f.name, f.calls, f.peak_concurrency,
                 f.memory_mb, f.max_ms);
    }
    fmt::print("{} invocations; peak touched memory {:.0f} MB at --touch-scale {}\n", plan->calls.size(),
               trace::PeakMemoryMb(*plan, touch_scale), touch_scale);
    return 0;
  }

  Result<trace::ReplayResult> result = Internal("not run");
  std::unique_ptr<trace::ReplaySimulation> sim;
  if (to_gateway) {
    trace::GatewayReplayOptions go;
    go.url = gateway_url;
    go.model = model;
    go.payload = payload;
    go.timeout_ms = timeout_ms;
    if (!auth_token_file.empty()) {
      auto tokens = ReadTokenFile(auth_token_file);
      if (!tokens.ok()) return Usage("--auth-token-file: " + tokens.status().ToString());
      go.auth_token = tokens->front();
    } else if (const char* env = std::getenv("STRAIGHTLINE_TOKEN"); env != nullptr && *env != '\0') {
      go.auth_token = env;
    }
    fmt::print(stderr, "replaying {} invocations of {} trace functions against {} model '{}': {:.0f} s of trace in {:.1f} s\n",
               plan->calls.size(), plan->functions.size(), gateway_url, model,
               std::chrono::duration<double>(plan->trace_horizon).count(),
               std::chrono::duration<double>(plan->replay_horizon).count());
    result = trace::RunGatewayReplay(*plan, go);
  } else {
    auto profile = faas::LoadProviderProfile(provider);
    if (!profile.ok()) return Usage("--provider: " + profile.status().ToString());
    if (!keep_alive.empty()) {
      if (auto p = faas::MakeKeepAlivePolicy(keep_alive, *profile); !p.ok()) {
        return Usage("--keep-alive: " + p.status().message());
      }
    }
    auto resolved = host_flags.Resolved();
    if (!resolved.ok()) return Usage(resolved.status().ToString());
    const bool local = !resolved->remote();
    if (local) {
      const double budget_mb = max_memory_gb > 0 ? max_memory_gb * 1024 : MemAvailableMb() / 2;
      const double peak_mb = trace::PeakMemoryMb(*plan, touch_scale);
      if (budget_mb > 0 && peak_mb > budget_mb) {
        return Usage(fmt::format(
            "the sampled functions touch {:.0f} MB at their busiest (peak concurrency x app memory "
            "share x --touch-scale {}), over the {:.0f} MB this machine may give them{}: replay fewer "
            "functions (--functions), less load (--scale), less memory (--touch-scale) or raise "
            "--max-memory-gb", peak_mb, touch_scale, budget_mb,
            max_memory_gb > 0 ? "" : " (half of MemAvailable)"));
      }
    }
    trace::ScaledClock keep_alive_clock(speed, Clock::Real());
    faas::PlatformOptions po;
    po.state_dir = state_dir;
    po.clock = &keep_alive_clock;  // keep-alive in trace time
    po.maintenance_interval = std::chrono::milliseconds(5);
    if (local_cpus < 0) local_cpus = work == "sleep" ? 10000 : 0;
    po.local_cpus = local_cpus;
    auto opened = OpenFunctionHost(*resolved, po, provider);
    if (!opened.ok()) {
      fmt::print(stderr, "straightline load --trace: {}\n", opened.status().ToString());
      return opened.status().code() == Code::kInvalidArgument ? 2 : 1;
    }
    fmt::print(stderr, "{}\n", opened->description);
    fmt::print(stderr, "replaying {} invocations of {} trace functions: {:.0f} s of trace in {:.1f} s\n",
               plan->calls.size(), plan->functions.size(),
               std::chrono::duration<double>(plan->trace_horizon).count(),
               std::chrono::duration<double>(plan->replay_horizon).count());
    trace::HostReplayOptions ho;
    ho.provider = provider;
    ho.keep_alive = keep_alive;
    ho.spin = work == "spin";
    ho.touch_scale = touch_scale;
    result = trace::RunHostReplay(*plan, opened->host.get(), ho);
    if (result.ok()) {
      result->notes.push_back(fmt::format("ledger: {}", opened->ledger_path));
      if (local) {
        result->notes.push_back(fmt::format(
            "keep-alive decisions on a clock {} x real time; embedded platform capacity {}",
            speed, local_cpus > 0 ? fmt::format("{} vCPUs", local_cpus) : std::string("the cores")));
      } else {
        result->notes.push_back(fmt::format(
            "keep-alive is the {} host's own, on its clock: NOT compressed by --speed {} (an "
            "instance kept 10 minutes there covers {} trace minutes), and --keep-alive reaches "
            "only functions this replay creates there", resolved->platform, speed, 10 * speed));
      }
    }
    if (result.ok() && result->idle_measured) {
      auto s = trace::SimulateReplay(*plan, result->memory_mb, keep_alive, *profile,
                                     trace::MeasuredColdStarts(*plan, *result));
      if (s.ok()) {
        sim = std::make_unique<trace::ReplaySimulation>(std::move(*s));
      } else {
        result->notes.push_back("no simulation: " + s.status().ToString());
      }
    }
    opened->host.reset();  // the ledger is complete once the platform is shut down
  }
  if (!result.ok()) {
    fmt::print(stderr, "straightline load --trace: {}\n", result.status().ToString());
    return result.status().code() == Code::kPermissionDenied ||
                   result.status().code() == Code::kInvalidArgument
               ? 2
               : 1;
  }
  nlohmann::json report = trace::ReplayReportJson(*plan, *result, sim.get());
  if (!json_out.empty()) {
    if (Status s = WriteFileAtomic(json_out, report.dump(2) + "\n"); !s.ok()) {
      fmt::print(stderr, "{}\n", s.ToString());
      return 1;
    }
  }
  if (json) {
    fmt::print("{}\n", report.dump(2));
  } else {
    fmt::print("{}", trace::ReplayReportTable(report));
  }
  return 0;
}

}  // namespace sl::cli

// `straightline simulate keep-alive`: a trace (Azure Functions 2019 or 2021 format) played in
// virtual time against the platform's own keep-alive policies (trace/keep_alive_study.h): per
// policy, the distribution over apps of the cold-start percentage and the wasted memory time.
// No processes, no clock: a day of the 104-function sample takes a fraction of a second.
// `straightline simulate placement` (issue 21 §5): the serving gateway in virtual time with the
// real placers, on tiers with their own capacity (serve/sim/placement_sim.h).
#include <fmt/format.h>

#include <thread>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "faas/economics/provider_profile.h"
#include "serve/load/load_spec.h"
#include "serve/sim/placement_sim.h"
#include "serve/sim/sim_report.h"
#include "trace/keep_alive_study.h"

namespace sl::cli {
namespace {

int RunKeepAlive(const Args& args) {
  FlagSet flags("straightline simulate keep-alive",
                "Play a trace against keep-alive policies in virtual time (the platform's own "
                "policy code, no processes): per policy, the cold-start percentage of each app "
                "(its distribution over apps: p25, p50, p75, p90, p99) and the wasted memory "
                "time (GB-s an instance is loaded but idle). Traces: the Azure Functions 2019 "
                "format (X_inv.csv with X_run.csv and X_mem.csv beside it, or Azure's "
                "invocations_per_function_md.anon.dNN.csv with its durations and memory files) "
                "or the 2021 format (app,func,end_timestamp,duration).");
  std::string trace_path, durations, memory, provider = "azure-functions", arrivals = "uniform";
  std::string unit = "app", json_out;
  std::vector<std::string> policies;
  int64_t seed = 1, concurrency = 0;
  double cold_start_ms = 0, default_memory_mb = 256, default_duration_ms = 1000;
  bool json = false, per_app = false;
  flags.String("trace", &trace_path, "trace file: a 2019 invocations file or a 2021 trace (required)");
  flags.String("durations", &durations, "2019 execution-time percentiles file (default: beside --trace)");
  flags.String("memory", &memory, "2019 app memory file (default: beside --trace)");
  flags.List("policy", &policies,
             "keep-alive policies, comma-separated or repeated: fixed (the provider's), "
             "fixed:<n><ms|s|m|h>, hybrid, hybrid:range=<dur>:fallback=<dur> "
             "(default fixed:10m,fixed:20m,hybrid)");
  flags.String("provider", &provider,
               "provider profile for 'fixed' and hybrid's fallback keep-alive (name or path)");
  flags.String("arrivals", &arrivals, "2019: arrivals within a minute: uniform | poisson | equidistant");
  flags.Int("seed", &seed, "seed of the arrivals and duration draws");
  flags.String("unit", &unit,
               "keep-alive per 'app' (Shahrad et al.: an app's functions share its instances) or "
               "per 'function' (as a replay deploys them; app memory split between functions)");
  flags.Int("instance-concurrency", &concurrency,
            "invocations one instance serves at once; 0 = unlimited, one instance per unit (the "
            "paper's model); 1 = the embedded platform's default");
  flags.Double("cold-start-ms", &cold_start_ms, "time a cold start adds to its invocation");
  flags.Double("default-memory-mb", &default_memory_mb,
               "memory of apps the trace gives none for (all of a 2021 trace)");
  flags.Double("default-duration-ms", &default_duration_ms,
               "duration of 2019 functions missing from the durations file");
  flags.Bool("json", &json, "print the report as JSON");
  flags.Bool("per-app", &per_app, "with --json: each app's numbers too");
  flags.String("json-out", &json_out, "also write the JSON report, with each app's numbers, to FILE");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (trace_path.empty()) {
    fmt::print(stderr, "--trace: required (an Azure Functions trace file)\n");
    return 2;
  }
  policies = SplitCommaList(policies);
  if (policies.empty()) policies = {"fixed:10m", "fixed:20m", "hybrid"};
  auto mode = trace::ParseArrivalMode(arrivals);
  auto unit_kind = trace::ParseKeepAliveUnit(unit);
  for (const Status& st : {mode.status(), unit_kind.status()}) {
    if (!st.ok()) {
      fmt::print(stderr, "{}\n", st.message());
      return 2;
    }
  }
  if (concurrency < 0 || !(cold_start_ms >= 0) || cold_start_ms > 3.6e6) {
    fmt::print(stderr, "--instance-concurrency: want >= 0; --cold-start-ms: want 0..3600000\n");
    return 2;
  }
  auto profile = faas::LoadProviderProfile(provider);
  if (!profile.ok()) {
    fmt::print(stderr, "--provider: {}\n", profile.status().ToString());
    return 2;
  }
  auto t = trace::ReadTrace(trace_path, durations, memory);
  if (!t.ok()) {
    fmt::print(stderr, "{}\n", t.status().ToString());
    return t.status().code() == Code::kInvalidArgument ? 2 : 1;
  }
  trace::WorkloadOptions wo;
  wo.arrivals = *mode;
  wo.seed = static_cast<uint64_t>(seed);
  wo.unit = *unit_kind;
  wo.default_memory_mb = default_memory_mb;
  wo.default_duration_ms = default_duration_ms;
  auto w = trace::BuildWorkload(*t, wo);
  if (!w.ok()) {
    fmt::print(stderr, "{}\n", w.status().message());
    return 2;
  }
  trace::SimOptions so;
  so.instance_concurrency = concurrency;
  so.cold_start = Nanos(static_cast<int64_t>(cold_start_ms * 1e6));
  auto report = trace::RunKeepAliveStudy(*w, policies, *profile, so);
  if (!report.ok()) {
    fmt::print(stderr, "--policy: {}\n", report.status().message());
    return 2;
  }
  if (!json_out.empty()) {
    nlohmann::json j = trace::StudyToJson(*report, true);
    j["trace"] = t->files;
    if (Status s = WriteFileAtomic(json_out, j.dump(2) + "\n"); !s.ok()) {
      fmt::print(stderr, "--json-out: {}\n", s.ToString());
      return 1;
    }
  }
  if (json) {
    nlohmann::json j = trace::StudyToJson(*report, per_app);
    j["trace"] = t->files;
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("# trace: {}\n{}", fmt::join(t->files, ", "), trace::FormatStudy(*report));
    if (!json_out.empty()) fmt::print("# JSON report with each app's numbers: {}\n", json_out);
  }
  return 0;
}


int RunPlacement(const Args& args) {
  FlagSet flags("straightline simulate placement",
                "Simulate the serving gateway in virtual time: the sessions and load shape of a "
                "`straightline load` spec, the real placers (Algorithm 1 = straightline, adaptive, "
                "or a fixed tier) reading the simulator's clock, and each tier with its own capacity "
                "as on real infrastructure: the local server's cores, N container replicas, the "
                "function provider's concurrency limit and cold starts. Service times come from a "
                "`straightline calibrate` file measured here. Per policy: failure rate, p50/p99, "
                "session length, placements, tier starts and cost; --json-out adds load's per-second "
                "timeline.");
  std::string spec_path, cal_path, json_out, tiers = "local,container,function";
  std::string provider = "aws-lambda", cold_start = "both", input_shape = "1,28,28";
  std::vector<std::string> policies;
  double shared_cores = 0, local_cores = 0, container_cpus = 1, container_start_ms = 0;
  double container_idle_s = 30, keep_alive_s = -1, function_init_ms = -1;
  double frequency_threshold = -1, slo_ms = 0, cost_budget = 0, scale_up_depth = 2, cpu_fraction = -1;
  int64_t size_threshold = -1, local_threads = 0, local_queue = 256, max_batch = 32;
  int64_t max_queue_delay_us = 500, min_containers = 1, container_replicas = 2;
  int64_t container_concurrency = 2, container_queue = 16, function_concurrency = 0;
  int64_t function_memory_mb = 1024, timeout_ms = 50000, max_inflight_samples = 16384, seed = -1;
  bool json = false;
  flags.String("config", &spec_path, "the same as --spec (the flag `straightline load` takes)");
  flags.String("spec", &spec_path, "load spec (YAML, as `straightline load --config`): phases, sessions, "
                                   "payload mix, connections, timeout (required; its target is not contacted)");
  flags.String("calibration", &cal_path, "thresholds file written by `straightline calibrate` (required): "
                                         "F, D and the measured service, transfer and start times");
  flags.List("policy", &policies, "placement policies to compare, comma-separated "
                                  "(straightline|adaptive|local|container|function; default straightline,adaptive)");
  flags.String("tiers", &tiers, "tiers deployed, as serve --tiers");
  flags.Double("shared-cores", &shared_cores, "> 0: every tier runs on these cores (one host, as `serve` "
                                              "here); 0 (default): each tier on its own machines");
  flags.Double("local-cores", &local_cores, "cores of the local server (default: the calibration's host, else this one's)");
  flags.Int("local-threads", &local_threads, "inference threads (0 = cores)");
  flags.Int("local-queue", &local_queue, "requests waiting in the local tier before 429");
  flags.Int("max-batch", &max_batch, "samples per forward pass of the local tier");
  flags.Int("max-queue-delay-us", &max_queue_delay_us, "the local batcher's wait for company");
  flags.Int("min-containers", &min_containers, "container replicas kept running (ready at time 0)");
  flags.Int("container-replicas", &container_replicas, "at most this many container replicas");
  flags.Int("container-concurrency", &container_concurrency, "requests one replica runs at once");
  flags.Int("container-queue", &container_queue, "requests queued per replica");
  flags.Double("container-cpus", &container_cpus, "CPUs of one replica");
  flags.Double("container-start-ms", &container_start_ms, "a replica's start (0: the calibration's, else 1,000 ms)");
  flags.Double("container-idle-s", &container_idle_s, "idle time before a replica above the minimum stops");
  flags.Double("scale-up-queue-depth", &scale_up_depth, "mean queue per replica that starts one more");
  flags.String("provider", &provider, "function provider profile (limits, cold start, keep-alive, prices)");
  flags.Int("function-concurrency", &function_concurrency, "function concurrency limit (0: the profile's default)");
  flags.Int("function-memory-mb", &function_memory_mb, "function memory size");
  flags.Double("keep-alive-s", &keep_alive_s, "idle instance lifetime (< 0: the profile's keep-alive)");
  flags.Double("function-init-ms", &function_init_ms, "our INIT per cold start (< 0: the calibration's measured cold start, else 0)");
  flags.String("cold-start", &cold_start, "what a cold start costs: measured (our INIT) | profile (the "
                                          "provider's platform cold start) | both");
  flags.Double("cpu-fraction", &cpu_fraction, "share of a request's measured time that is CPU work, 0..1 "
                                              "(< 0: derived from the calibration's rate sweep)");
  flags.Double("frequency-threshold", &frequency_threshold, "F, requests/s (< 0: the calibration's)");
  flags.Int("size-threshold", &size_threshold, "D, bytes (< 0: the calibration's)");
  flags.Double("slo-ms", &slo_ms, "adaptive: latency SLO (0: none)");
  flags.Double("cost-budget", &cost_budget, "adaptive: max billed cost per request, USD (0: none)");
  flags.Int("timeout-ms", &timeout_ms, "the gateway's request timeout (serve --timeout-ms)");
  flags.Int("max-inflight-samples", &max_inflight_samples, "the gateway's admission limit (0: none)");
  flags.String("input-shape", &input_shape, "the model's input per sample (request body sizes), FP32");
  flags.Int("seed", &seed, "seed of arrivals' payloads and service draws (< 0: the spec's)");
  flags.Bool("json", &json, "print the report as JSON");
  flags.String("json-out", &json_out, "also write the JSON report with each policy's per-second timeline to FILE");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  auto bad = [](const std::string& msg) {
    fmt::print(stderr, "straightline simulate placement: {}\n", msg);
    return 2;
  };
  if (spec_path.empty()) return bad("--spec: required (a load spec YAML, as `straightline load --config`)");
  if (cal_path.empty()) return bad("--calibration: required (the file `straightline calibrate` writes)");
  auto spec = serve::load::LoadSpecFromYaml(spec_path);
  if (!spec.ok()) return bad("--spec: " + spec.status().message());
  if (spec->model.empty()) spec->model = "model";  // the simulation does not look it up
  if (seed >= 0) spec->seed = static_cast<uint64_t>(seed);
  if (Status s = serve::load::ValidateSpec(*spec); !s.ok()) return bad("--spec: " + s.message());
  auto cal = serve::sim::LoadCalibration(cal_path);
  if (!cal.ok()) return bad("--calibration: " + cal.status().message());
  auto profile = faas::LoadProviderProfile(provider);
  if (!profile.ok()) return bad("--provider: " + profile.status().message());
  policies = SplitCommaList(policies);
  if (policies.empty()) policies = {"straightline", "adaptive"};
  if (cold_start != "measured" && cold_start != "profile" && cold_start != "both") {
    return bad(fmt::format("--cold-start: '{}' (want measured, profile or both)", cold_start));
  }
  serve::sim::PlacementSimOptions o;
  o.spec = *spec;
  o.calibration = *cal;
  o.profile = *profile;
  o.input = serve::sim::DefaultInput();
  {
    o.input.shape.clear();
    o.input.numel = 1;
    for (const std::string& d : SplitCommaList(std::vector<std::string>{input_shape})) {
      char* end = nullptr;
      const long long v = std::strtoll(d.c_str(), &end, 10);
      if (end == d.c_str() || *end != '\0' || v <= 0) return bad(fmt::format("--input-shape: '{}' is not a positive integer", d));
      o.input.shape.push_back(v);
      o.input.numel *= v;
    }
    if (o.input.shape.empty()) return bad("--input-shape: empty");
  }
  serve::sim::Topology& t = o.topology;
  t.local = t.container = t.function = false;
  for (const std::string& tier : SplitCommaList(std::vector<std::string>{tiers})) {
    if (tier == "local") t.local = true;
    else if (tier == "container") t.container = true;
    else if (tier == "function") t.function = true;
    else return bad(fmt::format("--tiers: '{}' (want local, container, function)", tier));
  }
  if (shared_cores < 0) return bad("--shared-cores: want >= 0");
  t.shared_cores = shared_cores;
  if (local_cores < 0) return bad("--local-cores: want > 0");
  t.local_cores = local_cores > 0 ? local_cores
                  : cal->host_cores > 0 ? static_cast<double>(cal->host_cores)
                                        : static_cast<double>(std::max(1u, std::thread::hardware_concurrency()));
  if (local_threads < 0 || local_queue < 1 || max_batch < 1 || max_queue_delay_us < 0) {
    return bad("--local-threads >= 0, --local-queue >= 1, --max-batch >= 1, --max-queue-delay-us >= 0");
  }
  t.local_threads = local_threads;
  t.local_options.queue_limit = local_queue;
  t.local_options.max_batch = max_batch;
  t.local_options.max_queue_delay = std::chrono::microseconds(max_queue_delay_us);
  if (min_containers < 0 || container_replicas < 1 || min_containers > container_replicas ||
      container_concurrency < 1 || container_queue < 1 || !(container_cpus > 0) || container_start_ms < 0 ||
      container_idle_s < 0 || scale_up_depth < 0) {
    return bad("container flags: want 0 <= --min-containers <= --container-replicas (>= 1), "
               "--container-concurrency/--container-queue >= 1, --container-cpus > 0, times >= 0");
  }
  t.container_options.min_replicas = min_containers;
  t.container_options.max_replicas = container_replicas;
  t.container_options.replica_concurrency = container_concurrency;
  t.container_options.queue_per_replica = container_queue;
  t.container_options.cpus_per_replica = container_cpus;
  t.container_options.start_ms = container_start_ms;
  t.container_options.idle_before_scale_down = Nanos(static_cast<int64_t>(container_idle_s * 1e9));
  t.container_options.scale_up_queue_depth = scale_up_depth;
  if (function_concurrency < 0) return bad("--function-concurrency: want >= 0");
  t.function_options.concurrency_limit = function_concurrency;
  t.function_options.memory_mb = function_memory_mb;
  t.function_options.keep_alive = Nanos(static_cast<int64_t>((keep_alive_s < 0 ? profile->keep_alive_s : keep_alive_s) * 1e9));
  t.function_options.init_ms = cold_start == "profile" ? 0 : function_init_ms;
  t.function_options.profile_cold_start = cold_start != "measured";
  if (cpu_fraction > 1) return bad("--cpu-fraction: want a fraction <= 1 (< 0: the calibration's)");
  t.cpu_fraction = cpu_fraction;
  if (timeout_ms < 1 || max_inflight_samples < 0) return bad("--timeout-ms >= 1, --max-inflight-samples >= 0");
  t.request_timeout_ms = timeout_ms;
  t.max_inflight_samples = max_inflight_samples;
  o.placer.frequency_threshold = frequency_threshold >= 0 ? frequency_threshold : cal->frequency_threshold;
  o.placer.size_threshold = size_threshold >= 0 ? size_threshold : cal->size_threshold;
  o.placer.window = std::chrono::milliseconds(cal->window_ms);
  o.placer.latency_slo_ms = slo_ms;
  o.placer.cost_budget_usd = cost_budget;
  serve::sim::ResolveDefaults(&o);

  std::vector<serve::sim::PlacementSimResult> runs;
  for (const std::string& policy : policies) {
    serve::sim::PlacementSimOptions p = o;
    p.placer.policy = policy;
    auto r = serve::sim::RunPlacementSim(p);
    if (!r.ok()) return bad(fmt::format("policy {}: {}", policy, r.status().message()));
    runs.push_back(std::move(*r));
  }
  if (!json_out.empty()) {
    if (Status s = WriteFileAtomic(json_out, serve::sim::SimReportJson(o, runs).dump(1) + "\n"); !s.ok()) {
      fmt::print(stderr, "straightline simulate placement: --json-out: {}\n", s.ToString());
      return 1;
    }
  }
  if (json) {
    nlohmann::json j = serve::sim::SimReportJson(o, runs);
    for (auto& pol : j["policies"]) {
      pol.erase("timeline");
      pol.erase("tier_timeline");
    }
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}{}", serve::sim::DescribeModel(o), serve::sim::SimReportTable(o.spec, runs));
    if (!json_out.empty()) fmt::print("# JSON report with the per-second timelines: {}\n", json_out);
  }
  return 0;
}

}  // namespace

int RunSimulate(const Args& args) {
  const std::string usage =
      "usage: straightline simulate keep-alive --trace PATH [--policy fixed:10m,fixed:20m,hybrid] "
      "[flags]\n       straightline simulate placement --spec LOAD_SPEC --calibration FILE "
      "[--policy straightline,adaptive] [flags]\n"
      "  keep-alive  a trace against keep-alive policies in virtual time "
      "(straightline simulate keep-alive --help)\n"
      "  placement   the serving gateway and its placers in virtual time, tiers with their own "
      "capacity (straightline simulate placement --help)\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    fmt::print(args.empty() ? stderr : stdout, "{}", usage);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "keep-alive") return RunKeepAlive(Args(args.begin() + 1, args.end()));
  if (args[0] == "placement") return RunPlacement(Args(args.begin() + 1, args.end()));
  fmt::print(stderr, "simulate: unknown study '{}'\n{}", args[0], usage);
  return 2;
}

}  // namespace sl::cli

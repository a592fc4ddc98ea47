// `straightline simulate keep-alive`: a trace (Azure Functions 2019 or 2021 format) played in
// virtual time against the platform's own keep-alive policies (trace/keep_alive_study.h): per
// policy, the distribution over apps of the cold-start percentage and the wasted memory time.
// No processes, no clock: a day of the 104-function sample takes a fraction of a second.
#include <fmt/format.h>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "faas/economics/provider_profile.h"
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

}  // namespace

int RunSimulate(const Args& args) {
  const std::string usage =
      "usage: straightline simulate keep-alive --trace PATH [--policy fixed:10m,fixed:20m,hybrid] "
      "[flags]\n  keep-alive  a trace against keep-alive policies in virtual time "
      "(straightline simulate keep-alive --help)\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    fmt::print(args.empty() ? stderr : stdout, "{}", usage);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "keep-alive") return RunKeepAlive(Args(args.begin() + 1, args.end()));
  fmt::print(stderr, "simulate: unknown study '{}'\n{}", args[0], usage);
  return 2;
}

}  // namespace sl::cli

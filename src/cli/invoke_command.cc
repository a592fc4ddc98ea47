// straightline invoke NAME --payload JSON: runs one invocation on an embedded local platform
// (no server), or on the function host that --platform names (Lambda, HTTP functions), prints
// the response on stdout and Lambda's summary on stderr.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/function_host_flags.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "faas/economics/provider_profile.h"
#include "faas/functions_file.h"
#include "faas/platform.h"

namespace sl::cli {
namespace {

void PrintSummary(const faas::InvokeResult& r, const std::string& provider) {
  fmt::print(stderr,
             "StatusCode: 200  FunctionError: {}  RequestId: {}\n"
             "{}  Init: {:.2f} ms  Duration: {:.2f} ms  Billed: {:.0f} ms  Max Memory Used: {} MB  "
             "Queued: {:.2f} ms  Cost: ${:.10f} ({}, billing from {})\n",
             r.function_error.empty() ? "-" : r.function_error, r.request_id,
             r.cold_start ? "Cold start" : "Warm", r.init_ms, r.duration_ms, r.billed_ms,
             r.max_memory_mb, r.queued_ms, r.cost_usd, provider, faas::BillingSourceName(r.billing));
}

// A function that already exists on a remote host: nothing is deployed, the call goes out as is.
int InvokeRemote(const FunctionHostFlags& host_flags, const std::string& name, const std::string& payload,
                 std::string provider, const std::string& state_dir, bool tail) {
  if (provider.empty()) provider = "aws-lambda";
  faas::PlatformOptions po;
  po.state_dir = state_dir;
  auto host = OpenFunctionHost(host_flags, po, provider);
  if (!host.ok()) {
    fmt::print(stderr, "straightline invoke: {}\n", host.status().ToString());
    return host.status().code() == Code::kInvalidArgument ? 2 : 1;
  }
  faas::InvokeRequest req;
  req.function = name;
  req.payload = payload;
  req.tail_log = tail;
  faas::InvokeResult r = host->host->Invoke(std::move(req)).get();
  if (!r.status.ok()) {
    fmt::print(stderr, "straightline invoke: {}\n", r.status.ToString());
    return 1;
  }
  fmt::print("{}\n", r.payload);
  if (tail) fmt::print(stderr, "{}", r.log_tail);
  PrintSummary(r, provider);
  return r.function_error.empty() ? 0 : 1;
}

}  // namespace

int RunInvoke(const Args& args) {
  FlagSet flags("straightline invoke",
                "Invoke a function once on an embedded local platform (no server needed).\n"
                "Functions come from --functions (default ./functions.yaml if present); without "
                "a file, NAME may be a built-in handler (echo, sleep, fail, ...).");
  std::string name, payload = "{}", functions, provider, state_dir = faas::PlatformOptions{}.state_dir;
  std::string log_type = "None", spawn = "fork";
  flags.Positional("name", &name, "function name");
  flags.String("payload", &payload, "JSON payload");
  flags.String("functions", &functions, "functions YAML file");
  flags.String("provider", &provider, "override the function's provider profile (e.g. gcp-functions)");
  flags.String("state-dir", &state_dir, "platform state: logs/<function>.log, ledger.jsonl");
  flags.String("log-type", &log_type, "Tail: also print the invocation's log lines");
  flags.String("spawn", &spawn, "fork (from the template process) or exec");
  FunctionHostFlags host_flags;
  host_flags.Define(flags);
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (host_flags.remote()) return InvokeRemote(host_flags, name, payload, provider, state_dir, log_type == "Tail");
  if (spawn != "fork" && spawn != "exec") {
    fmt::print(stderr, "--spawn: '{}' is not fork or exec\n", spawn);
    return 2;
  }
  std::vector<faas::FunctionSpec> specs;
  if (functions.empty() && PathExists("functions.yaml")) functions = "functions.yaml";
  if (!functions.empty()) {
    auto loaded = faas::LoadFunctionsFile(functions);
    if (!loaded.ok()) {
      fmt::print(stderr, "{}\n", loaded.status().ToString());
      return 2;
    }
    for (auto& spec : *loaded) {
      if (spec.name == name) specs.push_back(std::move(spec));
    }
    if (specs.empty()) {
      fmt::print(stderr, "{}: no function '{}'\n", functions, name);
      return 2;
    }
  } else {
    faas::FunctionSpec spec;  // a built-in handler under its own name
    spec.name = name;
    spec.handler = name;
    spec.source = "command line";
    specs.push_back(spec);
  }
  if (!provider.empty()) specs[0].provider = provider;
  // Only the one function is registered: its provisioned instances are not started needlessly.
  specs[0].provisioned_concurrency = 0;

  // Validate before starting a platform (and its template process) for nothing.
  {
    auto profile = faas::LoadProviderProfile(specs[0].provider);
    faas::FunctionSpec copy = specs[0];
    Status v = profile.ok() ? faas::ResolveFunctionSpec(*profile, &copy) : profile.status();
    if (!v.ok()) {
      fmt::print(stderr, "{}\n", v.ToString());
      return 2;
    }
  }
  faas::PlatformOptions opt;
  opt.state_dir = state_dir;
  opt.spawn_mode = spawn == "exec" ? faas::SpawnMode::kExec : faas::SpawnMode::kFork;
  opt.background_maintenance = false;
  auto platform = faas::Platform::Create(opt);
  if (!platform.ok()) {
    fmt::print(stderr, "{}\n", platform.status().ToString());
    return 1;
  }
  Status s = (*platform)->RegisterFunction(specs[0]);
  if (!s.ok()) {
    fmt::print(stderr, "{}\n", s.ToString());
    return 2;
  }
  faas::InvokeRequest req;
  req.function = name;
  req.payload = payload;
  req.tail_log = log_type == "Tail";
  faas::InvokeResult r = (*platform)->Invoke(std::move(req)).get();
  if (!r.status.ok()) {
    fmt::print(stderr, "{}\n", r.status.ToString());
    return 1;
  }
  fmt::print("{}\n", r.payload);
  if (req.tail_log) fmt::print(stderr, "{}", r.log_tail);
  PrintSummary(r, specs[0].provider);
  return r.function_error.empty() ? 0 : 1;
}

}  // namespace sl::cli

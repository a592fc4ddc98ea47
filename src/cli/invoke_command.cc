// straightline invoke NAME --payload JSON: runs one invocation on an embedded local platform
// (no server), or on the function host that --platform names (Lambda, HTTP functions), prints
// the response on stdout and Lambda's summary on stderr (or one JSON report with --json).
//
// Names: a function of the functions file (--functions, or ./functions.yaml when present) or,
// when the file does not declare it or there is no file, a built-in handler of
// straightline-worker run under its own name with default settings; the output says which.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/function_host_flags.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "faas/economics/provider_profile.h"
#include "faas/functions_file.h"
#include "faas/platform.h"
#include "runtime/builtin_handlers.h"

namespace sl::cli {
namespace {

// How the invoked name was resolved, for the report.
struct Origin {
  std::string source;        // "functions file", "built-in handler", "remote host"
  std::string file;          // the functions file, when one was read
  std::string note;          // said once on stderr (text) / in "note" (JSON); may be empty
};

// The test handlers every straightline-worker carries (echo, sleep, ...), by name.
std::vector<std::string> BuiltinHandlerNames() {
  runtime::HandlerRegistry registry;
  if (!runtime::RegisterBuiltinHandlers(&registry).ok()) return {};
  return registry.Names();
}

bool IsBuiltinHandler(const std::string& name) {
  for (const auto& n : BuiltinHandlerNames()) {
    if (n == name) return true;
  }
  return false;
}

void PrintSummary(const faas::InvokeResult& r, const std::string& provider) {
  fmt::print(stderr,
             "StatusCode: 200  FunctionError: {}  RequestId: {}\n"
             "{}  Init: {:.2f} ms  Duration: {:.2f} ms  Billed: {:.0f} ms  Max Memory Used: {} MB  "
             "Queued: {:.2f} ms  Cost: ${:.10f} ({}, billing from {})\n",
             r.function_error.empty() ? "-" : r.function_error, r.request_id,
             r.cold_start ? "Cold start" : "Warm", r.init_ms, r.duration_ms, r.billed_ms,
             r.max_memory_mb, r.queued_ms, r.cost_usd, provider, faas::BillingSourceName(r.billing));
  // Not queueing: the embedded platform's template process booting (once per platform).
  if (r.platform_start_ms > 0) {
    fmt::print(stderr, "Platform start: {:.2f} ms (the embedded platform's template process loading the worker; "
                       "once per platform, not billed)\n",
               r.platform_start_ms);
  }
}

// --json: one object with stable field names; the function's response is embedded as JSON
// when it parses, else as a string ("response_raw").
nlohmann::json ReportJson(const faas::InvokeResult& r, const std::string& function,
                          const std::string& provider, const Origin& origin, bool tail) {
  nlohmann::json j = {{"function", function},
                      {"source", origin.source},
                      {"functions_file", origin.file.empty() ? nlohmann::json() : nlohmann::json(origin.file)},
                      {"provider", provider},
                      {"status_code", 200},
                      {"request_id", r.request_id},
                      {"function_error", r.function_error.empty() ? nlohmann::json() : nlohmann::json(r.function_error)},
                      {"outcome", faas::OutcomeName(r.outcome)},
                      {"cold_start", r.cold_start},
                      {"init_ms", r.init_ms},
                      {"duration_ms", r.duration_ms},
                      {"billed_ms", r.billed_ms},
                      {"queued_ms", r.queued_ms},
                      {"platform_start_ms", r.platform_start_ms},
                      {"max_memory_used_mb", r.max_memory_mb},
                      {"cost_usd", r.cost_usd},
                      {"billing", faas::BillingSourceName(r.billing)}};
  auto parsed = nlohmann::json::parse(r.payload, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    j["response"] = nullptr;
    j["response_raw"] = r.payload;
  } else {
    j["response"] = std::move(parsed);
  }
  if (!origin.note.empty()) j["note"] = origin.note;
  if (tail) j["log_tail"] = r.log_tail;
  return j;
}

// Prints the outcome of one invocation; returns the exit code.
int Report(const faas::InvokeResult& r, const std::string& function, const std::string& provider,
           const Origin& origin, bool tail, bool json) {
  if (!r.status.ok()) {
    fmt::print(stderr, "straightline invoke: {}\n", r.status.ToString());
    return 1;
  }
  if (json) {
    fmt::print("{}\n", ReportJson(r, function, provider, origin, tail)
                            .dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    fmt::print("{}\n", r.payload);
    if (tail) fmt::print(stderr, "{}", r.log_tail);
    PrintSummary(r, provider);
  }
  return r.function_error.empty() ? 0 : 1;
}

// A function that already exists on a remote host: nothing is deployed, the call goes out as is.
int InvokeRemote(const FunctionHostFlags& host_flags, const std::string& name, const std::string& payload,
                 std::string provider, const std::string& state_dir, bool tail, bool json) {
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
  return Report(r, name, provider, Origin{"remote host", "", ""}, tail, json);
}

}  // namespace

int RunInvoke(const Args& args) {
  FlagSet flags("straightline invoke",
                "Invoke a function once on an embedded local platform (no server needed), or on the\n"
                "platform --platform names (lambda: the AWS Lambda Invoke API; http: HTTP triggers).\n"
                "Functions come from --functions (default ./functions.yaml if present); a NAME "
                "the file does not declare (or any NAME without a file) may be a built-in handler "
                "(echo, sleep, fail, ...), run with default settings.");
  std::string name, payload = "{}", functions, provider, state_dir = faas::PlatformOptions{}.state_dir;
  std::string log_type = "None", spawn = "fork";
  flags.Positional("name", &name, "function name");
  flags.String("payload", &payload, "JSON payload");
  flags.String("functions", &functions, "functions YAML file");
  flags.String("provider", &provider, "override the function's provider profile (e.g. gcp-functions)");
  flags.String("state-dir", &state_dir, "platform state: logs/<function>.log, ledger.jsonl");
  flags.String("log-type", &log_type, "Tail: also print the invocation's log lines");
  flags.String("spawn", &spawn, "fork (from the template process) or exec");
  bool json = false;
  flags.Bool("json", &json, "print one JSON report (response, request id, timings, cost) on stdout");
  FunctionHostFlags host_flags;
  host_flags.Define(flags);
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (functions.empty() && PathExists("functions.yaml")) functions = "functions.yaml";
  // The functions file's provider block may say where its functions live; flags win.
  host_flags.functions_file = functions;
  if (auto resolved = host_flags.Resolved(); resolved.ok()) {
    host_flags = *resolved;
  } else {
    fmt::print(stderr, "straightline invoke: {}\n", resolved.status().ToString());
    return 2;
  }
  if (host_flags.remote()) {
    return InvokeRemote(host_flags, name, payload, provider, state_dir, log_type == "Tail", json);
  }
  if (spawn != "fork" && spawn != "exec") {
    fmt::print(stderr, "straightline invoke: --spawn: '{}' is not fork or exec\n", spawn);
    return 2;
  }
  std::vector<faas::FunctionSpec> specs;
  Origin origin{"built-in handler", "", ""};
  if (!functions.empty()) {
    auto loaded = faas::LoadFunctionsFile(functions);
    if (!loaded.ok()) {
      fmt::print(stderr, "straightline invoke: {}\n", loaded.status().ToString());
      return 2;
    }
    std::string declared;
    for (auto& spec : *loaded) {
      declared += (declared.empty() ? "" : ", ") + spec.name;
      if (spec.name == name) specs.push_back(std::move(spec));
    }
    origin.file = functions;
    if (!specs.empty()) {
      origin.source = "functions file";
    } else if (IsBuiltinHandler(name)) {
      // The file adds functions; it does not hide the built-ins (the README invokes `sleep`
      // after writing a functions.yaml that does not declare it).
      origin.note = fmt::format("{} declares no function '{}': running the built-in handler '{}' "
                                "with default settings", functions, name, name);
    } else {
      std::string builtins;
      for (const auto& b : BuiltinHandlerNames()) builtins += (builtins.empty() ? "" : ", ") + b;
      fmt::print(stderr, "straightline invoke: {}: no function '{}' (declared: {}) and no built-in handler of that name ({})\n",
                 functions, name, declared, builtins);
      return 2;
    }
  }
  if (specs.empty()) {
    faas::FunctionSpec spec;  // a built-in handler under its own name
    spec.name = name;
    spec.handler = name;
    spec.source = "command line";
    specs.push_back(spec);
  }
  if (!origin.note.empty() && !json) fmt::print(stderr, "{}\n", origin.note);
  if (!provider.empty()) specs[0].provider = provider;
  // Only the one function is registered: its provisioned instances are not started needlessly.
  specs[0].provisioned_concurrency = 0;

  // Validate before starting a platform (and its template process) for nothing.
  {
    auto profile = faas::LoadProviderProfile(specs[0].provider);
    faas::FunctionSpec copy = specs[0];
    Status v = profile.ok() ? faas::ResolveFunctionSpec(*profile, &copy) : profile.status();
    if (!v.ok()) {
      fmt::print(stderr, "straightline invoke: {}\n", v.ToString());
      return 2;
    }
  }
  faas::PlatformOptions opt;
  opt.state_dir = state_dir;
  opt.spawn_mode = spawn == "exec" ? faas::SpawnMode::kExec : faas::SpawnMode::kFork;
  opt.background_maintenance = false;
  if (Status iso = ApplyIsolationFlags(host_flags.function_isolation, host_flags.function_egress, &opt); !iso.ok()) {
    fmt::print(stderr, "straightline invoke: {}\n", iso.message());
    return 2;
  }
  auto platform = faas::Platform::Create(opt);
  if (!platform.ok()) {
    fmt::print(stderr, "straightline invoke: {}\n", platform.status().ToString());
    return 1;
  }
  Status s = (*platform)->RegisterFunction(specs[0]);
  if (!s.ok()) {
    fmt::print(stderr, "straightline invoke: {}\n", s.ToString());
    return 2;
  }
  faas::InvokeRequest req;
  req.function = name;
  req.payload = payload;
  req.tail_log = log_type == "Tail";
  const bool tail = req.tail_log;
  faas::InvokeResult r = (*platform)->Invoke(std::move(req)).get();
  return Report(r, name, specs[0].provider, origin, tail, json);
}

}  // namespace sl::cli

// straightline platform serve: the local function platform behind the AWS Lambda Invoke API.
//
//   straightline platform serve --functions functions.yaml --port 9000 --credentials-file creds
//   AWS_SHARED_CREDENTIALS_FILE=creds aws lambda invoke --function-name echo out.json
//     --endpoint-url http://127.0.0.1:9000
//
// Requests are SigV4-verified against --credentials-file and/or the server's AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY (faas/front/serve_auth.h); `--auth none` turns that off for local
// development. CreateFunction registers a built-in handler of straightline-worker with the
// --provider profile, so a remote coordinator can deploy its functions here.
//
// Prints "endpoint: http://HOST:PORT" on stdout once serving (tests start it with --port 0 and
// read that line), then runs until SIGINT or SIGTERM, and shuts down cleanly: the platform first
// (queued and in-flight invocations end with UNAVAILABLE, instances are killed), then the front.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/function_host_flags.h"
#include "cli/commands.h"
#include "cli/shutdown_signal.h"
#include "common/auth_token.h"
#include "common/flags.h"
#include "common/metrics.h"
#include "dashboard/dashboard.h"
#include "dashboard/dashboard_http.h"
#include "dashboard/server_charts.h"
#include "common/log.h"
#include "faas/front/lambda_front.h"
#include "faas/economics/provider_profile.h"
#include "faas/front/serve_auth.h"
#include "faas/created_functions.h"
#include "faas/platform.h"

namespace sl::cli {
namespace {

std::string RuntimeName(const faas::FunctionSpec& spec) {
  return spec.kind == faas::HandlerKind::kBootstrap ? "provided.al2023" : "straightline-builtin";
}

faas::FunctionSummary Summary(const faas::FunctionSpec& spec) {
  return {spec.name, RuntimeName(spec), spec.handler, "provider " + spec.provider,
          spec.memory_mb, spec.timeout_s, spec.environment};
}

// The worker the platform will run, found as the platform finds it (--worker, else
// $STRAIGHTLINE_WORKER, else next to this executable); "" if none.
std::string FindWorker(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("STRAIGHTLINE_WORKER"); env != nullptr && *env) return env;
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  std::string self(buf, static_cast<size_t>(n));
  std::string candidate = self.substr(0, self.rfind('/')) + "/straightline-worker";
  return ::access(candidate.c_str(), X_OK) == 0 ? candidate : "";
}

// `straightline-worker --list`: the built-in handler names CreateFunction may name. Empty when
// the worker cannot be asked (CreateFunction then accepts any name; a wrong one fails at init).
std::set<std::string> BuiltinHandlers(const std::string& worker) {
  std::set<std::string> names;
  if (worker.empty()) return names;
  std::string quoted = "'";
  for (char c : worker) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  FILE* f = ::popen((quoted + " --list 2>/dev/null").c_str(), "r");
  if (f == nullptr) return names;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    std::string name(line);
    while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
    if (!name.empty()) names.insert(name);
  }
  if (::pclose(f) != 0) names.clear();
  return names;
}

int Serve(const Args& args) {
  FlagSet flags("straightline platform serve",
                "Run the local function platform behind the AWS Lambda API (Invoke, ListFunctions, "
                "GetFunction, CreateFunction of built-in handlers; /metrics, /healthz) until "
                "SIGINT or SIGTERM. Every request but /healthz must be signed (AWS Signature V4) "
                "with a key of --credentials-file or of the server's AWS_ACCESS_KEY_ID / "
                "AWS_SECRET_ACCESS_KEY, unless --auth none.");
  std::string host = "127.0.0.1", functions_file, state_dir = ".straightline/platform";
  std::string spawn = "fork", worker, ledger, provider = "aws-lambda";
  faas::ServeAuthFlags auth_flags;
  int64_t port = 9000, threads = 64, max_concurrency = 0, event_workers = 4;
  double local_cpus = 0;
  bool cgroups = true;
  std::vector<std::string> builtins;
  flags.String("host", &host,
               "address to listen on (loopback by default; another address with --auth none "
               "needs --insecure)");
  flags.String("auth", &auth_flags.auth,
               "sigv4: verify AWS Signature V4 on every request but /healthz | none: accept "
               "every request (local development only)");
  flags.String("credentials-file", &auth_flags.credentials_file,
               "AWS shared-credentials file whose every [profile] key is accepted (also: "
               "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in this server's environment)");
  flags.Bool("insecure", &auth_flags.insecure,
             "allow --auth none on a non-loopback --host");
  flags.Bool("open-metrics", &auth_flags.open_metrics,
             "serve /metrics without authentication (for a Prometheus scraper)");
  flags.String("provider", &provider,
               "provider profile of functions made by CreateFunction (profiles/NAME.yaml)");
  flags.Int("port", &port, "port to listen on; 0 picks a free one (see the endpoint line)");
  flags.String("functions", &functions_file, "functions file (YAML) to register");
  flags.List("builtin", &builtins,
             "register a built-in handler as a function: NAME or NAME=HANDLER (repeatable)");
  flags.String("state-dir", &state_dir, "logs and ledger go here");
  flags.String("ledger", &ledger, "ledger file (default STATE_DIR/ledger.jsonl)");
  flags.String("worker", &worker, "straightline-worker executable (default: found automatically)");
  std::string function_isolation = "auto", function_egress;
  DefineIsolationFlags(flags, &function_isolation, &function_egress);
  flags.String("spawn", &spawn, "fork (from a template process) | exec");
  flags.Double("local-cpus", &local_cpus, "vCPUs of instances running at once (0: online CPUs)");
  flags.Int("max-concurrency", &max_concurrency, "account-wide concurrency limit (0: 1000)");
  flags.Bool("cgroups", &cgroups, "use cgroup v1 memory/cpu controllers when available");
  flags.Int("threads", &threads,
            "HTTP threads; bounds synchronous invocations in flight through the front");
  flags.Int("event-workers", &event_workers, "threads running asynchronous (Event) invocations");
  bool dashboard = true;
  std::string dashboard_token_file;
  flags.Bool("dashboard", &dashboard,
             "serve a live dashboard at /dashboard (charts updated every second); --no-dashboard: none");
  flags.String("dashboard-token-file", &dashboard_token_file,
               "tokens that open the dashboard, one per line (a browser cannot sign SigV4); default: "
               "one generated and kept in STATE_DIR/dashboard-token (mode 0600; its path is printed "
               "as 'dashboard-token-file: ...'); unused with --auth none");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (spawn != "fork" && spawn != "exec") {
    fmt::print(stderr, "--spawn: '{}' is not fork or exec\n", spawn);
    return 2;
  }
  if (port < 0 || port > 65535) {
    fmt::print(stderr, "--port: {} is not a TCP port\n", port);
    return 2;
  }
  if (auto profile = faas::LoadProviderProfile(provider); !profile.ok()) {
    fmt::print(stderr, "straightline platform serve: --provider: {}\n", profile.status().message());
    return 2;
  }
  auth_flags.host = host;
  auto auth = faas::ConfigureServeAuth(auth_flags, [](const char* n) { return std::getenv(n); },
                                       Clock::Real());
  if (!auth.ok()) {
    fmt::print(stderr, "straightline platform serve: {}\n", auth.status().message());
    return 2;
  }
  if (Status sig = InstallShutdownSignalHandlers(); !sig.ok()) {
    fmt::print(stderr, "straightline platform serve: {}\n", sig.ToString());
    return 1;
  }

  faas::PlatformOptions po;
  po.state_dir = state_dir;
  po.ledger_path = ledger;
  po.worker_path = worker;
  po.spawn_mode = spawn == "exec" ? faas::SpawnMode::kExec : faas::SpawnMode::kFork;
  po.local_cpus = local_cpus;
  po.max_concurrency = max_concurrency;
  po.use_cgroups = cgroups;
  if (Status iso = ApplyIsolationFlags(function_isolation, function_egress, &po); !iso.ok()) {
    fmt::print(stderr, "straightline platform serve: {}\n", iso.message());
    return 2;
  }
  auto created = faas::Platform::Create(po);
  if (!created.ok()) {
    fmt::print(stderr, "straightline platform serve: {}\n", created.status().ToString());
    return 1;
  }
  std::unique_ptr<faas::Platform> platform = std::move(created).value();
  if (!functions_file.empty()) {
    if (Status st = platform->LoadFunctionsFile(functions_file); !st.ok()) {
      fmt::print(stderr, "straightline platform serve: {}\n", st.ToString());
      return 1;
    }
  }
  for (const auto& b : builtins) {
    faas::FunctionSpec spec;
    size_t eq = b.find('=');
    spec.name = b.substr(0, eq);
    spec.handler = eq == std::string::npos ? spec.name : b.substr(eq + 1);
    spec.source = "--builtin " + b;
    if (Status st = platform->RegisterFunction(spec); !st.ok()) {
      fmt::print(stderr, "straightline platform serve: {}\n", st.ToString());
      return 1;
    }
  }

  faas::FrontOptions fo;
  fo.http.host = host;
  fo.http.port = static_cast<int>(port);
  fo.http.threads = static_cast<int>(std::max<int64_t>(threads, 2));
  fo.region = po.region;
  fo.events.workers = static_cast<int>(std::max<int64_t>(event_workers, 1));
  faas::Platform* p = platform.get();
  fo.list_functions = [p] {
    std::vector<faas::FunctionSummary> out;
    for (const auto& f : p->ListFunctions()) out.push_back(Summary(f.spec));
    return out;
  };
  // Functions made by CreateFunction outlive this process, as Lambda's do: a coordinator on
  // another host that created its functions finds them after this server crashed and came back.
  auto created_file = std::make_shared<faas::CreatedFunctionsFile>(state_dir + "/control/functions.json");
  auto recreated = created_file->Load();
  if (!recreated.ok()) {
    fmt::print(stderr, "straightline platform serve: {}\n", recreated.status().ToString());
    return 1;
  }
  for (const auto& spec : *recreated) {
    if (Status st = platform->RegisterFunction(spec); !st.ok()) {
      fmt::print(stderr, "straightline platform serve: {}: {}\n", created_file->path(), st.ToString());
      return 1;
    }
  }
  if (!recreated->empty()) {
    SL_LOG_INFO("platform", "{} function(s) created before restored from {}", recreated->size(),
                created_file->path());
  }
  std::set<std::string> handlers = BuiltinHandlers(FindWorker(worker));
  if (handlers.empty()) {
    SL_LOG_WARN("platform", "could not list the worker's built-in handlers: CreateFunction will "
                "not check handler names");
  }
  fo.create_function = [p, handlers, provider, created_file](const faas::CreateFunctionRequest& r)
      -> Result<faas::FunctionSummary> {
    if (!handlers.empty() && handlers.count(r.handler) == 0) {
      return InvalidArgument("Handler '{}' is not a built-in handler of straightline-worker "
                             "(built-ins: {}); only built-in handlers can be created here",
                             r.handler, fmt::join(handlers, ", "));
    }
    if (p->GetFunction(r.name).ok()) return AlreadyExists("Function already exist: {}", r.name);
    faas::FunctionSpec spec;
    spec.name = r.name;
    spec.kind = faas::HandlerKind::kBuiltin;
    spec.handler = r.handler;
    spec.provider = provider;
    spec.memory_mb = r.memory_mb;
    spec.timeout_s = static_cast<double>(r.timeout_s);
    spec.environment = r.environment;
    spec.source = "CreateFunction";
    SL_RETURN_IF_ERROR(p->RegisterFunction(spec));
    if (Status saved = created_file->Add(spec); !saved.ok()) {
      SL_LOG_WARN("platform", "function '{}' will not survive a restart: {}", spec.name, saved.ToString());
    }
    SL_ASSIGN_OR_RETURN(faas::FunctionInfo info, p->GetFunction(r.name));
    return Summary(info.spec);
  };
  fo.auth = auth->verifier;
  fo.metrics_open = auth_flags.open_metrics;
  // The live dashboard (issue 19 §3): the platform's and the front's metrics once a second, on
  // this port, behind a bearer token of its own when the front is signed.
  std::unique_ptr<dashboard::Dashboard> dash;
  std::unique_ptr<dashboard::DashboardHttp> dash_http;
  std::string dash_token_path;
  if (dashboard) {
    dashboard::DashboardHttpOptions ho;
    if (auth->verifier) {
      std::vector<std::string> tokens;
      if (!dashboard_token_file.empty()) {
        auto read = ReadTokenFile(dashboard_token_file);
        if (!read.ok()) {
          fmt::print(stderr, "straightline platform serve: --dashboard-token-file: {}\n", read.status().message());
          return 2;
        }
        tokens = std::move(read).value();
        dash_token_path = dashboard_token_file;
      } else {
        auto f = EnsureTokenFile(state_dir + "/dashboard-token");
        if (!f.ok()) {
          fmt::print(stderr, "straightline platform serve: dashboard token: {}\n", f.status().ToString());
          return 1;
        }
        tokens = {f->token};
        dash_token_path = f->path;
      }
      ho.auth = std::make_shared<TokenAuthenticator>(tokens);
    }
    dashboard::DashboardOptions o;
    o.title = fmt::format("straightline platform serve ({})", state_dir);
    o.charts = dashboard::PlatformCharts();
    dash = std::make_unique<dashboard::Dashboard>(
        std::move(o), []() { return dashboard::ParsePrometheusText(MetricsRegistry::Default()->Render()); });
    auto http = dashboard::DashboardHttp::Create(dash.get(), ho);
    if (!http.ok()) {
      fmt::print(stderr, "straightline platform serve: dashboard: {}\n", http.status().ToString());
      return 1;
    }
    dash_http = std::move(http).value();
    dashboard::DashboardHttp* h = dash_http.get();
    fo.wrap_handler = [h](HttpHandler front) { return h->Wrap(std::move(front)); };
    dash->StartSampling();
  }
  auto front = faas::LambdaFront::Start(platform.get(), fo);
  if (!front.ok()) {
    fmt::print(stderr, "straightline platform serve: {}\n", front.status().ToString());
    return 1;
  }
  const auto& iso = platform->isolation();
  std::vector<std::string> names;
  for (const auto& f : platform->ListFunctions()) names.push_back(f.spec.name);
  SL_LOG_INFO("platform", "serving {} function(s) [{}] at {}; state dir {}; memory limit: {}, "
              "cpu limit: {}, pids limit: {}, functions {}",
              names.size(), fmt::join(names, ", "), (*front)->endpoint(), state_dir,
              iso.memory_method, iso.cpu_method, iso.pids_cgroup ? "cgroup-v1" : "none",
              iso.sandbox ? "sandboxed" : "NOT sandboxed (" + iso.sandbox_detail + ")");
  if (auth->verifier) {
    SL_LOG_INFO("platform", "{}", auth->Describe(auth_flags));
  } else {
    SL_LOG_WARN("platform", "{}", auth->Describe(auth_flags));
  }
  if (!dash_token_path.empty()) fmt::print("dashboard-token-file: {}\n", dash_token_path);
  fmt::print("endpoint: {}\n", (*front)->endpoint());
  std::fflush(stdout);

  int sig = WaitForShutdownSignal();
  SL_LOG_INFO("platform", "{}: shutting down", sig > 0 ? strsignal(sig) : "signal pipe closed");
  platform->Shutdown();
  (*front)->Stop();
  if (dash) dash->StopSampling();
  SL_LOG_INFO("platform", "stopped");
  return 0;
}

}  // namespace

int RunPlatform(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    fmt::print(
        "usage: straightline platform serve [flags]   (see `straightline platform serve --help`)\n"
        "  serve   run the local function platform behind the AWS Lambda Invoke API\n");
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "serve") return Serve(Args(args.begin() + 1, args.end()));
  fmt::print(stderr, "straightline platform: unknown subcommand '{}' (try: serve)\n", args[0]);
  return 2;
}

}  // namespace sl::cli

// straightline platform serve: the local function platform behind the AWS Lambda Invoke API.
//
//   straightline platform serve --functions functions.yaml --port 9000
//   aws lambda invoke --endpoint-url http://127.0.0.1:9000 --function-name echo out.json
//
// Prints "endpoint: http://HOST:PORT" on stdout once serving (tests start it with --port 0 and
// read that line), then runs until SIGINT or SIGTERM, and shuts down cleanly: the platform first
// (queued and in-flight invocations end with UNAVAILABLE, instances are killed), then the front.
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/shutdown_signal.h"
#include "common/flags.h"
#include "common/log.h"
#include "faas/front/lambda_front.h"
#include "faas/platform.h"

namespace sl::cli {
namespace {

std::string RuntimeName(const faas::FunctionSpec& spec) {
  return spec.kind == faas::HandlerKind::kBootstrap ? "provided.al2023" : "straightline-builtin";
}

int Serve(const Args& args) {
  FlagSet flags("straightline platform serve",
                "Run the local function platform behind the AWS Lambda Invoke API "
                "(POST /2015-03-31/functions/NAME/invocations, /metrics, /healthz) until SIGINT "
                "or SIGTERM.");
  std::string host = "127.0.0.1", functions_file, state_dir = ".straightline/platform";
  std::string spawn = "fork", worker, ledger;
  int64_t port = 9000, threads = 64, max_concurrency = 0, event_workers = 4;
  double local_cpus = 0;
  bool cgroups = true;
  std::vector<std::string> builtins;
  flags.String("host", &host, "address to listen on (loopback by default)");
  flags.Int("port", &port, "port to listen on; 0 picks a free one (see the endpoint line)");
  flags.String("functions", &functions_file, "functions file (YAML) to register");
  flags.List("builtin", &builtins,
             "register a built-in handler as a function: NAME or NAME=HANDLER (repeatable)");
  flags.String("state-dir", &state_dir, "logs and ledger go here");
  flags.String("ledger", &ledger, "ledger file (default STATE_DIR/ledger.jsonl)");
  flags.String("worker", &worker, "straightline-worker executable (default: found automatically)");
  flags.String("spawn", &spawn, "fork (from a template process) | exec");
  flags.Double("local-cpus", &local_cpus, "vCPUs of instances running at once (0: online CPUs)");
  flags.Int("max-concurrency", &max_concurrency, "account-wide concurrency limit (0: 1000)");
  flags.Bool("cgroups", &cgroups, "use cgroup v1 memory/cpu controllers when available");
  flags.Int("threads", &threads,
            "HTTP threads; bounds synchronous invocations in flight through the front");
  flags.Int("event-workers", &event_workers, "threads running asynchronous (Event) invocations");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (spawn != "fork" && spawn != "exec") {
    fmt::print(stderr, "--spawn: '{}' is not fork or exec\n", spawn);
    return 2;
  }
  if (port < 0 || port > 65535) {
    fmt::print(stderr, "--port: {} is not a TCP port\n", port);
    return 2;
  }
  if (Status sig = InstallShutdownSignalHandlers(); !sig.ok()) {
    fmt::print(stderr, "platform serve: {}\n", sig.ToString());
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
  auto created = faas::Platform::Create(po);
  if (!created.ok()) {
    fmt::print(stderr, "platform serve: {}\n", created.status().ToString());
    return 1;
  }
  std::unique_ptr<faas::Platform> platform = std::move(created).value();
  if (!functions_file.empty()) {
    if (Status st = platform->LoadFunctionsFile(functions_file); !st.ok()) {
      fmt::print(stderr, "platform serve: {}\n", st.ToString());
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
      fmt::print(stderr, "platform serve: {}\n", st.ToString());
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
    for (const auto& f : p->ListFunctions()) {
      out.push_back({f.spec.name, RuntimeName(f.spec), f.spec.handler,
                     "provider " + f.spec.provider, f.spec.memory_mb, f.spec.timeout_s});
    }
    return out;
  };
  auto front = faas::LambdaFront::Start(platform.get(), fo);
  if (!front.ok()) {
    fmt::print(stderr, "platform serve: {}\n", front.status().ToString());
    return 1;
  }
  const auto& iso = platform->isolation();
  std::vector<std::string> names;
  for (const auto& f : platform->ListFunctions()) names.push_back(f.spec.name);
  SL_LOG_INFO("platform", "serving {} function(s) [{}] at {}; state dir {}; memory limit: {}, "
              "cpu limit: {}",
              names.size(), fmt::join(names, ", "), (*front)->endpoint(), state_dir,
              iso.memory_method, iso.cpu_method);
  fmt::print("endpoint: {}\n", (*front)->endpoint());
  std::fflush(stdout);

  int sig = WaitForShutdownSignal();
  SL_LOG_INFO("platform", "{}: shutting down", sig > 0 ? strsignal(sig) : "signal pipe closed");
  platform->Shutdown();
  (*front)->Stop();
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

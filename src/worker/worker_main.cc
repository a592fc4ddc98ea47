// straightline-worker: the function instance executable.
//   straightline-worker [HANDLER] [--mode M] [flags]   serve HANDLER (else $_HANDLER; a container
//                                  image's CMD) in one of the modes below
//   straightline-worker --zygote   template process: fork instances on request over fd 3
//   straightline-worker --list     print the built-in handler names
// Modes (--mode, else $STRAIGHTLINE_WORKER_MODE, else picked from the environment in this order):
//   lambda  AWS_LAMBDA_RUNTIME_API set: poll the Lambda Runtime API (run_handler.h); Lambda, the
//           embedded platform and any Runtime-API emulator
//   azure   FUNCTIONS_CUSTOMHANDLER_PORT set: Azure Functions custom handler on 127.0.0.1:PORT
//           (runtime/azure_custom_handler.h); the function name picks the handler
//   http    PORT set: plain HTTP on $PORT for Cloud Run functions and Knative (runtime/http_mode.h)
// The HTTP modes' flags: --host (default 127.0.0.1, as every straightline server, since the worker
// does not authenticate; 0.0.0.0 in http mode when K_SERVICE is set — Cloud Run and Knative set it,
// and their ingress authenticates and routes to the container's port — so give --host 0.0.0.0 on
// other container platforms), --port (overrides the variable), --concurrency ($STRAIGHTLINE_CONCURRENCY, default 1:
// the ML handlers use every core), --queue, --timeout-s (the handler's deadline, default 300 as
// Cloud Run's request timeout), --drain-timeout-s (default 8: Cloud Run sends SIGKILL 10 s after
// SIGTERM), --azure-route-prefix (host.json's routePrefix, default "api").
// It links libtorch (see CMakeLists.txt) so that cold starts are measured with the static
// initialisation the ML handlers will bring.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/flags.h"
#include "common/malloc_tuning.h"
#include "runtime/builtin_handlers.h"
#include "runtime/http_mode.h"
#include "runtime/run_handler.h"
#if SL_WORKER_ML_HANDLERS
#include "train/train_handlers.h"
#include "serve/handler/predict_handler.h"
#endif
#include "worker/torch_warmup.h"
#include "runtime/zygote.h"

int main(int argc, char** argv) {
  sl::TuneMallocForTensorWork();  // before any thread starts; see common/malloc_tuning.h
  sl::runtime::HandlerRegistry registry;
  sl::Status s = sl::runtime::RegisterBuiltinHandlers(&registry);
#if SL_WORKER_ML_HANDLERS
  if (s.ok()) s = sl::train::RegisterTrainHandlers(&registry);
  if (s.ok()) s = sl::serve::RegisterServeHandlers(&registry);
#endif
  if (!s.ok()) {
    std::fprintf(stderr, "straightline-worker: %s\n", s.ToString().c_str());
    return 2;
  }
  bool list = false, zygote = false;
  std::string handler, mode, host;
  int64_t port = -1, concurrency = 0, queue = 16, timeout_s = 300, drain_s = 8;
  std::string route_prefix = "api";
  sl::FlagSet flags("straightline-worker",
                    "The function instance: serves one built-in handler over the Lambda Runtime API, "
                    "as an Azure Functions custom handler, or over plain HTTP ($PORT: Cloud Run, Knative).");
  flags.Positional("handler", &handler, "handler to serve (default $_HANDLER)", /*required=*/false);
  flags.Bool("list", &list, "print the built-in handler names");
  flags.Bool("zygote", &zygote, "template process: fork instances on request over fd 3");
  flags.String("mode", &mode, "lambda | azure | http (default $STRAIGHTLINE_WORKER_MODE, else from the environment)");
  flags.String("host", &host, "HTTP modes: address to bind (default 127.0.0.1; 0.0.0.0 in http mode under Cloud Run/Knative, $K_SERVICE set)");
  flags.Int("port", &port, "HTTP modes: port (default $PORT / $FUNCTIONS_CUSTOMHANDLER_PORT; 0: a free one)");
  flags.Int("concurrency", &concurrency, "HTTP modes: handler calls at once (default $STRAIGHTLINE_CONCURRENCY or 1)");
  flags.Int("queue", &queue, "HTTP modes: requests waiting beyond --concurrency before 429");
  flags.Int("timeout-s", &timeout_s, "HTTP modes: the handler's deadline in seconds");
  flags.Int("drain-timeout-s", &drain_s, "HTTP modes: after SIGTERM, how long in-flight requests may finish");
  flags.String("azure-route-prefix", &route_prefix, "azure: host.json extensions.http.routePrefix (forwarded requests)");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (sl::Status ps = flags.Parse(args); !ps.ok()) {
    std::fprintf(stderr, "straightline-worker: %s\n%s", ps.message().c_str(), flags.Help().c_str());
    return 2;
  }
  if (flags.help_requested()) {
    std::printf("%s", flags.Help().c_str());
    return 0;
  }
  if (list) {
    for (const auto& n : registry.Names()) std::printf("%s\n", n.c_str());
    return 0;
  }
  if (zygote) {
    sl::runtime::WarmUpTorch();  // initialise once in the template, not in every instance
    return sl::runtime::RunZygote(3, registry);
  }
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
  };
  if (mode.empty()) mode = env("STRAIGHTLINE_WORKER_MODE");
  if (mode.empty()) {
    if (!env("AWS_LAMBDA_RUNTIME_API").empty()) {
      mode = "lambda";
    } else if (!env("FUNCTIONS_CUSTOMHANDLER_PORT").empty()) {
      mode = "azure";
    } else if (!env("PORT").empty()) {
      mode = "http";
    } else {
      std::fprintf(stderr,
                   "straightline-worker: no mode: set AWS_LAMBDA_RUNTIME_API (Lambda), "
                   "FUNCTIONS_CUSTOMHANDLER_PORT (Azure custom handler) or PORT (HTTP), or give --mode\n");
      return 2;
    }
  }
  if (handler.empty()) handler = env("_HANDLER");
  if (mode == "lambda") {
    if (!handler.empty()) setenv("_HANDLER", handler.c_str(), 1);  // CMD names the handler
    return sl::runtime::RunFromEnvironment(registry);
  }
  if (mode != "http" && mode != "azure") {
    std::fprintf(stderr, "straightline-worker: --mode '%s': expected lambda, azure or http\n", mode.c_str());
    return 2;
  }
  sl::runtime::HttpModeOptions o;
  const bool azure = mode == "azure";
  o.protocol = azure ? sl::runtime::HttpProtocol::kAzure : sl::runtime::HttpProtocol::kPlain;
  o.host = !host.empty() ? host : (!azure && !env("K_SERVICE").empty() ? "0.0.0.0" : "127.0.0.1");
  if (port < 0) {
    std::string p = env(azure ? "FUNCTIONS_CUSTOMHANDLER_PORT" : "PORT");
    if (p.empty()) p = "8080";  // Cloud Run's and Knative's default $PORT
    char* end = nullptr;
    port = std::strtol(p.c_str(), &end, 10);
    if (end == p.c_str() || *end != '\0') port = -1;
  }
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "straightline-worker: bad port (from --port or $%s)\n", azure ? "FUNCTIONS_CUSTOMHANDLER_PORT" : "PORT");
    return 2;
  }
  o.port = static_cast<int>(port);
  if (concurrency <= 0) concurrency = std::atoi(env("STRAIGHTLINE_CONCURRENCY").c_str());
  o.concurrency = concurrency > 0 ? static_cast<int>(concurrency) : 1;
  o.queue = static_cast<int>(std::max<int64_t>(0, queue));
  o.timeout = std::chrono::seconds(std::max<int64_t>(1, timeout_s));
  o.azure_route_prefix = route_prefix;
  return sl::runtime::RunHttpMode(registry, handler, std::move(o), std::chrono::seconds(std::max<int64_t>(0, drain_s)));
}

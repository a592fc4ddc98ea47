// straightline serve: deploy models three ways at once — the local in-process tier, runc
// containers, serverless functions — behind one KServe v2 gateway that places every request
// (issue 6). The deployment itself is cli/serve_deployment.h.
//
//   straightline serve --model models/fmnist-cnn --port 8080 --policy straightline
//   curl -s localhost:8080/v2/models/fmnist-cnn
//
// Prints "endpoint: http://HOST:PORT" on stdout once serving (tests and scripts start it with
// --port 0 and read that line, or --port-file), then runs until SIGINT or SIGTERM and shuts
// down: the HTTP server first, then the tiers (containers deleted, function instances killed).
//
// Models from a store (issue 20): --model s3://BUCKET/PREFIX/NAME (az://, gs://, file:// alike;
// NAME=URI to rename) and --model-repository URI are fetched once into <state-dir>/model-cache,
// verified against their manifest, and loaded like folders; --poll-s N swaps in new versions while
// serving (local tier only). The deployment side is serve/model_sources.h and serve/model_poller.h;
// every inference answer names its version in X-Straightline-Model-Version.
//
// Authentication (issue 14): every request but the health checks needs a token (--auth token,
// the default): the tokens of --auth-token-file, else one generated at the first start and kept
// in <state-dir>/token (mode 0600). Before the endpoint line, "token-file: PATH" names that file:
//   curl -H "Authorization: Bearer $(cat PATH)" http://127.0.0.1:8080/v2
// --auth none turns it off (local development; refused on a non-loopback --host without
// --insecure).
//
// The Knative / KServe container contract (issue 15):
//   * port: --port, else $PORT when set (Knative and Cloud Run set it), else 8080. The address
//     stays --host (127.0.0.1 unless told): a container passes --host 0.0.0.0 explicitly.
//   * readiness: the server listens only after every model is loaded and the tiers deployed, so
//     /v2/health/ready (and a TCP probe) succeeds only then.
//   * SIGTERM: new requests get 503 + Connection: close (ready too), the requests in flight finish
//     within --drain-timeout-s (default 25: below Kubernetes' default terminationGracePeriodSeconds
//     of 30, and Knative's, which is the revision timeout, 300 by default), then the server and
//     the tiers stop and the process exits 0 (also when the grace ran out; that is logged).
//   * read-only root filesystem, any uid: everything serve writes is under --state-dir (the
//     token file unless --auth-token-file, container bundles, the function platform's state);
//     $STRAIGHTLINE_STATE_DIR sets it when the flag is absent, e.g. /tmp/straightline on a tmpfs.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/serve_deployment.h"
#include "cli/shutdown_signal.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "common/log.h"

namespace sl::cli {

int RunServe(const Args& args) {
  ServeFlags v;
  FlagSet flags("straightline serve",
                "Serve models over the KServe v2 REST protocol from three tiers at once (local "
                "in-process pool with dynamic batching, runc containers, serverless functions), "
                "placing every request by --policy. Runs until SIGINT/SIGTERM.");
  DefineServeFlags(flags, v);
  int64_t drain_timeout_s = 25;
  flags.Int("drain-timeout-s", &drain_timeout_s,
            "on SIGTERM, how long requests in flight may finish before the server stops (new ones get 503)");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (const char* p = std::getenv("PORT"); p != nullptr && *p != '\0' && !flags.IsSet("port")) {
    char* end = nullptr;
    long port = std::strtol(p, &end, 10);
    if (end == p || *end != '\0') {
      fmt::print(stderr, "straightline serve: $PORT '{}' is not a port number\n", p);
      return 2;
    }
    v.port = port;
  }
  if (const char* sd = std::getenv("STRAIGHTLINE_STATE_DIR"); sd != nullptr && *sd != '\0' && !flags.IsSet("state-dir")) {
    v.state_dir = sd;
  }
  if (drain_timeout_s < 0) {
    fmt::print(stderr, "straightline serve: --drain-timeout-s must be >= 0, got {}\n", drain_timeout_s);
    return 2;
  }
  if (Status s = CheckServeFlags(v); !s.ok()) {
    fmt::print(stderr, "straightline serve: {}\n", s.message());
    return 2;
  }
  if (Status s = InstallShutdownSignalHandlers(); !s.ok()) {
    fmt::print(stderr, "straightline serve: {}\n", s.ToString());
    return 1;
  }
  Deployment d;
  Status deployed = DeployTiers(v, d);
  if (deployed.ok()) deployed = StartGateway(v, flags, d);
  if (!deployed.ok()) {
    fmt::print(stderr, "straightline serve: {}\n", deployed.ToString());
    d.Stop();
    return deployed.code() == Code::kInvalidArgument ? 2 : 1;
  }
  const std::string endpoint = fmt::format("http://{}:{}", v.host, d.server->port());
  std::vector<std::string> tier_names;
  for (auto& t : d.tiers) tier_names.emplace_back(serve::TierName(t->kind()));
  SL_LOG_INFO("serve", "serving model(s) [{}] on tiers [{}] with policy {} at {}",
              fmt::join(d.models->Names(), ", "), fmt::join(tier_names, ", "), d.placer->name(),
              endpoint);
  if (!v.port_file.empty()) {
    if (Status s = WriteFileAtomic(v.port_file, std::to_string(d.server->port())); !s.ok()) {
      fmt::print(stderr, "straightline serve: --port-file: {}\n", s.ToString());
      d.Stop();
      return 1;
    }
  }
  if (!d.auth_token_file.empty()) fmt::print("token-file: {}\n", d.auth_token_file);
  fmt::print("endpoint: {}\n", endpoint);
  std::fflush(stdout);
  int sig = WaitForShutdownSignal();
  SL_LOG_INFO("serve", "{}: draining {} request(s) in flight (up to {} s), refusing new ones",
              sig > 0 ? strsignal(sig) : "signal pipe closed", d.drain->in_flight(), drain_timeout_s);
  d.server->StopAccepting();  // new connections are refused; open ones get 503 while draining
  int left = d.drain->Drain(std::chrono::seconds(drain_timeout_s));
  if (left > 0) SL_LOG_WARN("serve", "{} request(s) still in flight after {} s; stopping anyway", left, drain_timeout_s);
  // The last responses were handed to the server's I/O threads; give them a moment to reach their
  // sockets before Stop() drops unsent writes (HttpServer has no flush signal).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  d.Stop();
  const serve::Gateway::Counts c = d.gateway->counts();
  SL_LOG_INFO("serve", "stopped; answered ok={} client_error={} refused={} timed_out={} failed={}",
              c.ok, c.client_error, c.refused, c.timed_out, c.failed);
  return 0;
}

}  // namespace sl::cli

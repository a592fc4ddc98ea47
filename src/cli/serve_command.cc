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
// Authentication (issue 14): every request but the health checks needs a token (--auth token,
// the default): the tokens of --auth-token-file, else one generated at the first start and kept
// in <state-dir>/token (mode 0600). Before the endpoint line, "token-file: PATH" names that file:
//   curl -H "Authorization: Bearer $(cat PATH)" http://127.0.0.1:8080/v2
// --auth none turns it off (local development; refused on a non-loopback --host without
// --insecure).
#include <cstring>
#include <string>
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
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (Status s = CheckServeFlags(v); !s.ok()) {
    fmt::print(stderr, "straightline serve: {}\n", s.message());
    return 2;
  }
  if (Status s = InstallShutdownSignalHandlers(); !s.ok()) {
    fmt::print(stderr, "serve: {}\n", s.ToString());
    return 1;
  }
  Deployment d;
  Status deployed = DeployTiers(v, d);
  if (deployed.ok()) deployed = StartGateway(v, flags, d);
  if (!deployed.ok()) {
    fmt::print(stderr, "serve: {}\n", deployed.ToString());
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
      fmt::print(stderr, "serve: --port-file: {}\n", s.ToString());
      d.Stop();
      return 1;
    }
  }
  if (!d.auth_token_file.empty()) fmt::print("token-file: {}\n", d.auth_token_file);
  fmt::print("endpoint: {}\n", endpoint);
  std::fflush(stdout);
  int sig = WaitForShutdownSignal();
  SL_LOG_INFO("serve", "{}: shutting down", sig > 0 ? strsignal(sig) : "signal pipe closed");
  d.Stop();
  const serve::Gateway::Counts c = d.gateway->counts();
  SL_LOG_INFO("serve", "stopped; answered ok={} client_error={} refused={} timed_out={} failed={}",
              c.ok, c.client_error, c.refused, c.timed_out, c.failed);
  return 0;
}

}  // namespace sl::cli

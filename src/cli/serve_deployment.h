// The deployment behind `straightline serve` and `straightline calibrate`: the models, the three
// kinds of tier (local pool, runc containers, serverless functions), the placer, the KServe v2
// gateway and its HTTP server, built from one set of flags.
//
//   ServeFlags v; DefineServeFlags(flags, v); ...parse...
//   Deployment d;
//   SL_RETURN_IF_ERROR(DeployTiers(v, d));              // models + tiers
//   SL_RETURN_IF_ERROR(StartGateway(v, flags, d));      // placer + gateway + HTTP server
//   ...; d.Stop();
//
// Ownership: Deployment owns everything it holds; Stop() stops the model poller and the server
// first, then the tiers
// (containers deleted, function instances killed), then the platform. Idempotent; the
// destructor does not call it (callers stop explicitly so they can report counts afterwards).
// Failure contract: errors name the flag or the model (INVALID_ARGUMENT for a bad --tiers, the
// artifact's error for a bad model, the OS error for a busy port).
// Thread safety: build and stop from one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/function_host_flags.h"
#include "cli/shutdown_signal.h"
#include "common/http_server.h"
#include "common/status.h"
#include "serve/gateway.h"
#include "serve/model_poller.h"
#include "serve/model_repository.h"
#include "serve/placement/placement_policies.h"
#include "serve/api/placer.h"
#include "serve/api/tier.h"

namespace sl {
class FlagSet;
namespace faas {
class FunctionHost;
class Platform;
}
namespace dashboard {
class Dashboard;
class DashboardHttp;
}
}  // namespace sl

namespace sl::cli {

struct ServeFlags {
  std::vector<std::string> models;
  std::string repository, host = "127.0.0.1", port_file, tiers = "local,container,function";
  // http_threads 0: two per core. Measured 2026-12-04 on 2 cores (docs/benchmarks.md, "Serving:
  // local tier vs Flask"): 4 threads served 7,380 single-image req/s at 64 connections, 8 threads
  // 6,526 (more threads than work only add context switches); 32-image requests did not change.
  int64_t port = 8080, http_threads = 0, timeout_ms = 50000, max_body_mb = 64;
  std::string policy = "straightline", thresholds;
  double frequency_threshold = 0, slo_ms = 0, cost_budget = 0, colocated_below_cpu = 0;
  int64_t size_threshold = 0, window_ms = 0;
  int64_t local_threads = 0, max_batch = 32, max_queue_delay_us = 500, local_queue = 256;
  bool local_inline = true;  // LocalTierOptions::run_lone_requests_inline
  std::string container_mode = "auto", state_dir = ".straightline/serve";
  std::string container_image;  // "": host bundle mode; else oci-archive:PATH | oci:DIR[:REF]
  int64_t min_containers = 1, max_containers = 2, container_concurrency = 2, container_queue = 16;
  double container_cpus = 1;
  int64_t container_memory_mb = 1024, container_idle_s = 30;
  std::string provider = "aws-lambda", keep_alive = "fixed";
  int64_t function_memory_mb = 1024, function_concurrency = 32, provisioned = 0;
  // Models from a store (--model URI, --model-repository URI): seconds between polls for a new
  // version (0: never). Local tier only (CheckServeFlags).
  int64_t poll_s = 0;
  std::string model_store;       // function tier: models travel to the functions through it
  FunctionHostFlags functions;   // function tier: --platform local|lambda|http
  // Authentication and binding of `serve` (issue 14; calibrate's own gateways use a token of
  // their own): token (default; tokens from auth_token_file, else one generated and kept in
  // <state-dir>/token, mode 0600) | none. Health paths open unless auth_health = "required".
  // A non-loopback --host with --auth none is refused unless insecure.
  std::string auth = "token", auth_token_file, auth_health = "open";
  bool insecure = false;
  // /dashboard on the gateway's port (issue 19 §3; dashboard/dashboard_http.h): same token.
  bool dashboard = true;
};

// Every flag of `serve`. `for_serve` = false leaves out the port and placement flags (calibrate
// measures the tiers behind gateways of its own on free ports; it does not place).
void DefineServeFlags(FlagSet& f, ServeFlags& v, bool for_serve = true);

// Checks the numeric flags (port range, positive limits) and the auth/binding rule (a
// non-loopback --host with --auth none needs --insecure); INVALID_ARGUMENT naming the flag.
Status CheckServeFlags(const ServeFlags& v);

struct Deployment {
  std::unique_ptr<serve::ModelRepository> models;
  std::unique_ptr<serve::ModelPoller> poller;  // --poll-s: swaps store models' new versions in
  std::unique_ptr<faas::FunctionHost> functions;  // the function tier's host (--platform)
  faas::Platform* local_platform = nullptr;      // into `functions` when it is the embedded one
  std::vector<std::unique_ptr<serve::Tier>> tiers;
  std::unique_ptr<serve::Placer> placer;
  std::unique_ptr<HostCpuMeter> host_cpu;  // adaptive with --colocated-below-cpu only
  std::unique_ptr<serve::Gateway> gateway;
  std::shared_ptr<DrainGate> drain;  // between the server and the gateway: serve drains on SIGTERM
  std::unique_ptr<dashboard::Dashboard> dashboard;        // --dashboard: sampled once a second
  std::unique_ptr<dashboard::DashboardHttp> dashboard_http;  // its pages, in front of `drain`
  std::unique_ptr<HttpServer> server;
  std::string auth_token_file;  // absolute path of the file holding the accepted token(s); "" with --auth none

  Deployment();
  ~Deployment();
  Deployment(const Deployment&) = delete;
  Deployment& operator=(const Deployment&) = delete;

  serve::Tier* TierOf(serve::TierKind kind) const;  // null when not deployed
  std::vector<serve::Tier*> TierPointers() const;
  void Stop();
};

// Loads the models and deploys the tiers named by --tiers (in that order).
Status DeployTiers(const ServeFlags& v, Deployment& d);

// The placer options from the thresholds file (--thresholds, else <state-dir>/thresholds.json when
// it exists) and the placement flags that were set.
Result<serve::PlacerOptions> PlacerOptionsFrom(const ServeFlags& v, const FlagSet& flags);

// Builds the placer, the gateway over d.tiers (with the token authenticator of --auth, logging
// how many tokens are accepted, from which file and which paths are open; never a token), the
// live dashboard unless --no-dashboard, and starts the HTTP server (host/port of `v`).
Status StartGateway(const ServeFlags& v, const FlagSet& flags, Deployment& d);

// An HTTP server for `gateway` with the serve flags' threads, body limit and JSON error shape.
Result<std::unique_ptr<HttpServer>> StartHttpServer(const ServeFlags& v, serve::Gateway* gateway,
                                                    int port);
// The same for any handler (serve: the gateway behind its DrainGate).
Result<std::unique_ptr<HttpServer>> StartHttpServer(const ServeFlags& v, HttpHandler handler, int port);

}  // namespace sl::cli

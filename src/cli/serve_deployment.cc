#include "cli/serve_deployment.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "common/auth_token.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/metrics.h"
#include "dashboard/dashboard.h"
#include "dashboard/dashboard_http.h"
#include "dashboard/server_charts.h"
#include "faas/platform.h"
#include "store/function_env.h"
#include "store/object_store.h"
#include "serve/local_tier.h"
#include "serve/model_poller.h"
#include "serve/model_sources.h"
#include "serve/model_router_tier.h"
#include "serve/placement/thresholds.h"
#include "serve/remote/container_tier.h"
#include "serve/remote/function_tier.h"
#include "train/report/stage_providers.h"

namespace sl::cli {
namespace {

Result<std::unique_ptr<serve::Tier>> MakeFunctionTiers(const ServeFlags& v, Deployment& d) {
  faas::PlatformOptions po;
  po.state_dir = v.state_dir + "/platform";
  SL_ASSIGN_OR_RETURN(const FunctionHostFlags where, v.functions.Resolved());
  if (where.remote() && v.model_store.empty()) {
    return InvalidArgument("--platform {}: the functions run on another machine and cannot read the model "
                           "folders here; give --model-store s3://BUCKET/PREFIX (or gs://BUCKET/PREFIX, az://ACCOUNT/CONTAINER/PREFIX) to deliver the models through",
                           where.platform);
  }
  // --provider P, or inference=P: the stage syntax of `train --provider` and what `plan` prints.
  auto stage = train::ResolveStageProviders(v.provider, {"inference"}, "--provider", "aws-lambda");
  if (!stage.ok()) return InvalidArgument("{}", stage.status().message());
  const std::string provider = stage->at("inference").argument;
  SL_ASSIGN_OR_RETURN(OpenedFunctionHost host, OpenFunctionHost(where, po, provider));
  SL_LOG_INFO("serve", "{}", host.description);
  d.local_platform = host.local;
  d.functions = std::move(host.host);
  std::unique_ptr<store::ObjectStore> model_store;
  if (!v.model_store.empty()) {
    SL_ASSIGN_OR_RETURN(model_store, store::OpenObjectStore(v.model_store));
  }
  std::map<std::string, std::unique_ptr<serve::Tier>> parts;
  for (const auto& model : d.models->Snapshot()) {
    const std::string& name = model->name;
    serve::FunctionTierOptions fo;
    fo.model = name;
    fo.model_dir = model->dir;
    fo.functions = d.functions.get();
    if (model_store) {
      // One folder per model; the instances fetch it in INIT (predict_handler.h).
      SL_RETURN_IF_ERROR(store::UploadDirectory(model->dir, model_store.get(), name + "/"));
      std::string base = v.model_store;
      while (!base.empty() && base.back() == '/') base.pop_back();
      fo.model_uri = base + "/" + name;
      SL_LOG_INFO("serve", "model {} delivered to the functions through {}", name, fo.model_uri);
    }
    fo.provider = provider;
    fo.memory_mb = v.function_memory_mb;
    fo.keep_alive = v.keep_alive;
    fo.concurrency_limit = v.function_concurrency;
    fo.provisioned = v.provisioned;
    SL_ASSIGN_OR_RETURN(parts[name], serve::MakeFunctionTier(fo));
  }
  if (parts.size() == 1) return std::move(parts.begin()->second);
  SL_ASSIGN_OR_RETURN(auto router, serve::ModelRouterTier::Create(serve::TierKind::kFunction,
                                                                  std::move(parts)));
  return std::unique_ptr<serve::Tier>(std::move(router));
}

Result<std::unique_ptr<serve::Tier>> MakeContainerTier(const ServeFlags& v, const Deployment& d) {
  serve::ContainerTierOptions co;
  co.models = d.models->Names();
  if (co.models.size() == 1) {
    co.model_dir = d.models->Find(co.models[0])->dir;
  } else if (serve::IsStoreUri(v.repository)) {
    // Each store model sits in its own cache folder; a replica takes one folder.
    return InvalidArgument("container tier: several models from the store repository {}; the "
                           "container tier serves one model folder or one local --model-repository "
                           "DIR (serve them with --tiers local,function, or one --model URI each "
                           "per server)", v.repository);
  } else if (!v.repository.empty() && v.models.empty()) {
    co.model_dir = std::filesystem::absolute(v.repository).string();
    co.command = {"{binary}", "serve", "--tiers", "local", "--port", "{port}",
                  "--model-repository", "{model}"};
  } else {
    return InvalidArgument("container tier: several models are served from one repository "
                           "folder; use --model-repository DIR instead of several --model");
  }
  if (co.command.empty()) {
    co.command = {"{binary}", "serve", "--tiers", "local", "--port", "{port}", "--model",
                  co.models[0] + "={model}"};
  }
  for (const std::string& a : {std::string("--local-threads"),
                               std::to_string(v.container_concurrency), std::string("--max-batch"),
                               std::to_string(v.max_batch), std::string("--timeout-ms"),
                               std::to_string(v.timeout_ms),
                               // the tier's replica token (a file; never the token on argv)
                               std::string("--auth-token-file"), std::string("{token_file}")}) {
    co.command.push_back(a);
  }
  auto mode = serve::ParseContainerMode(v.container_mode);
  if (!mode.ok()) return mode.status().WithContext("--container-mode");
  co.mode = *mode;
  if (!v.container_image.empty()) {
    // The image carries the binary and the model(s) and its own Cmd; the tier's serving knobs
    // are appended to its Cmd. The gateway's --model names must match the image's models.
    co.image = v.container_image;
    co.image_args = {"--local-threads", std::to_string(v.container_concurrency), "--max-batch",
                     std::to_string(v.max_batch), "--timeout-ms", std::to_string(v.timeout_ms)};
  }
  co.state_dir = v.state_dir + "/containers";
  co.min_replicas = v.min_containers;
  co.max_replicas = v.max_containers;
  co.replica_concurrency = v.container_concurrency;
  co.queue_per_replica = v.container_queue;
  co.cpus_per_replica = v.container_cpus;
  co.memory_mb_per_replica = v.container_memory_mb;
  co.idle_before_scale_down = std::chrono::seconds(v.container_idle_s);
  return serve::MakeContainerTier(co);
}

// The gateway's authenticator from --auth / --auth-token-file / --auth-health, and the start-up
// lines saying what is accepted (how many tokens, which file, which paths are open); tokens are
// never logged.
Status SetUpGatewayAuth(const ServeFlags& v, serve::GatewayOptions& go, Deployment& d) {
  if (v.auth_health == "required") go.open_paths.clear();
  if (v.auth == "none") {
    go.auth = nullptr;
    SL_LOG_WARN("serve", "auth: NONE (--auth none): every endpoint, /metrics included, answers "
                         "anyone who can reach {}; for local development only", v.host);
    return Status::Ok();
  }
  std::vector<std::string> tokens;
  if (!v.auth_token_file.empty()) {
    std::error_code ec;
    d.auth_token_file = std::filesystem::absolute(v.auth_token_file, ec).string();
    SL_ASSIGN_OR_RETURN(tokens, ReadTokenFile(d.auth_token_file));
  } else {
    SL_ASSIGN_OR_RETURN(TokenFile f, EnsureTokenFile(v.state_dir + "/token"));
    d.auth_token_file = f.path;
    tokens = {f.token};
    SL_LOG_INFO("serve", "auth: {} token file {} (mode 0600)",
                f.created ? "generated a token into" : "reusing the token in", f.path);
  }
  if (ReadableByOthers(d.auth_token_file)) {
    SL_LOG_WARN("serve", "auth: {} is readable by group or others; chmod 600 it",
                d.auth_token_file);
  }
  go.auth = std::make_shared<TokenAuthenticator>(tokens);
  SL_LOG_INFO("serve", "auth: {} token(s) from {} accepted as 'Authorization: Bearer <token>' or "
                       "'{}: <token>'; open without a token: {}",
              tokens.size(), d.auth_token_file, kApiKeyHeader,
              go.open_paths.empty() ? "nothing" : fmt::format("{}", fmt::join(go.open_paths, ", ")));
  if (!IsLoopbackHost(v.host)) {
    SL_LOG_WARN("serve", "auth: listening on {} over plain HTTP: tokens cross the network in the "
                         "clear; put a TLS proxy in front", v.host);
  }
  return Status::Ok();
}

// The live dashboard (issue 19 §3): once a second, the process's metrics (the gateway's, the
// tiers', the embedded platform's: what /metrics serves) plus what only this process can say now —
// the gateway's f_t, the threshold F, each tier's queue, requests running and warm replicas.
Status StartDashboard(std::shared_ptr<const TokenAuthenticator> auth, double frequency_threshold,
                      Deployment& d) {
  serve::Gateway* gateway = d.gateway.get();
  std::vector<serve::Tier*> tiers = d.TierPointers();
  std::set<std::string> deployed = {"none"};  // "none": refused before a tier
  for (serve::Tier* t : tiers) deployed.emplace(serve::TierName(t->kind()));
  dashboard::MetricsReader read = [gateway, tiers, frequency_threshold, deployed]()
      -> Result<std::vector<dashboard::MetricSample>> {
    SL_ASSIGN_OR_RETURN(auto s, dashboard::ParsePrometheusText(MetricsRegistry::Default()->Render()));
    // The gateway keeps cells for every kind of tier; draw only the deployed ones.
    std::erase_if(s, [&deployed](const dashboard::MetricSample& m) {
      for (const auto& [k, v] : m.labels) {
        if (k == "tier") return deployed.count(v) == 0;
      }
      return false;
    });
    s.push_back({dashboard::kPlacerFrequency, {}, gateway->FrequencyNow()});
    s.push_back({dashboard::kPlacerThreshold, {}, frequency_threshold});
    for (serve::Tier* t : tiers) {
      const serve::TierState st = t->State();
      const dashboard::Labels tier = {{"tier", std::string(serve::TierName(t->kind()))}};
      s.push_back({dashboard::kTierQueued, tier, static_cast<double>(st.queued)});
      s.push_back({dashboard::kTierInflight, tier, static_cast<double>(st.inflight)});
      s.push_back({dashboard::kTierReplicas, tier, static_cast<double>(st.replicas)});
    }
    return s;
  };
  dashboard::DashboardOptions o;
  o.title = fmt::format("straightline serve ({})", fmt::join(d.models->Names(), ", "));
  o.charts = dashboard::ServeCharts();
  d.dashboard = std::make_unique<dashboard::Dashboard>(std::move(o), std::move(read));
  dashboard::DashboardHttpOptions ho;
  ho.auth = std::move(auth);
  SL_ASSIGN_OR_RETURN(d.dashboard_http, dashboard::DashboardHttp::Create(d.dashboard.get(), ho));
  d.dashboard->StartSampling();
  return Status::Ok();
}

}  // namespace

void DefineServeFlags(FlagSet& f, ServeFlags& v, bool for_serve) {
  f.List("model", &v.models, "model to serve: DIR or NAME=DIR (name: the folder name), or a model "
                             "folder in a store, URI or NAME=URI (s3://BUCKET/PREFIX/NAME, gs://BUCKET/PREFIX/NAME, "
                             "az://ACCOUNT/CONTAINER/PREFIX/NAME): downloaded once, verified, cached "
                             "under <state-dir>/model-cache; repeat or comma-separate for several");
  f.String("model-repository", &v.repository, "a folder of model folders, DIR or a store URI: serve every one");
  f.String("host", &v.host, "address to listen on (loopback unless told otherwise)");
  f.String("tiers", &v.tiers, "tiers to deploy: comma-separated of local, container, function");
  if (for_serve) {
    f.Int("port", &v.port, "port to listen on (0: a free one, printed as 'endpoint: ...')");
    f.Int("poll-s", &v.poll_s, "models from a store: look for a new version every N seconds and "
                               "swap it in once downloaded and verified (0: never; local tier only)");
    f.String("port-file", &v.port_file, "write the port chosen here once serving (atomically)");
    f.String("policy", &v.policy, "placement: straightline (Algorithm 1) | adaptive | local | "
                                  "container | function");
    f.String("thresholds", &v.thresholds, "thresholds file from `straightline calibrate` "
                                          "(default: <state-dir>/thresholds.json when it exists)");
    f.Double("frequency-threshold", &v.frequency_threshold,
             "F, requests/s above which small requests go to functions (default 500 or "
             "calibrated)");
    f.Int("size-threshold", &v.size_threshold,
          "D, request bytes above which requests go to containers (default 65536 or calibrated)");
    f.Int("window-ms", &v.window_ms, "sliding window of the request frequency f_t (default 1000)");
    f.Double("slo-ms", &v.slo_ms, "adaptive: latency SLO; cheapest tier predicted within it");
    f.Double("cost-budget", &v.cost_budget, "adaptive: max billed cost per request, USD");
    f.String("auth", &v.auth, "token: every request needs a bearer token or X-API-Key (default) "
                              "| none: no authentication, for local development only");
    f.String("auth-token-file", &v.auth_token_file,
             "tokens accepted, one per line (# comments); default: one generated at start-up and "
             "kept in <state-dir>/token (mode 0600; its path is printed as 'token-file: ...')");
    f.String("auth-health", &v.auth_health, "open: /v2/health/live and /ready answer without a "
                                            "token (default) | required");
    f.Bool("insecure", &v.insecure, "allow a non-loopback --host with --auth none");
    f.Bool("dashboard", &v.dashboard,
           "serve a live dashboard at /dashboard (charts updated every second; the same token: "
           "open /dashboard?token=TOKEN once, or sign in there); --no-dashboard: none");
    f.Double("colocated-below-cpu", &v.colocated_below_cpu,
             "adaptive: while local has room, tiers on this host's cores take work only when the "
             "host CPU is less busy than this fraction (0..1; default 0: never, since on busy "
             "cores they add no CPU; e.g. 0.85 when the local pool is limited by its threads)");
  }
  f.Int("timeout-ms", &v.timeout_ms, "per-request timeout → 504");
  f.Int("max-body-mb", &v.max_body_mb, "request body limit → 413");
  f.Int("http-threads", &v.http_threads, "HTTP server threads (0: two per core)");
  f.Int("local-threads", &v.local_threads, "local tier inference threads (0: one per core)");
  f.Int("max-batch", &v.max_batch, "local tier: samples per forward pass (1: no batching)");
  f.Int("max-queue-delay-us", &v.max_queue_delay_us,
        "local tier: how long a batch may wait to fill while every worker is busy");
  f.Int("local-queue", &v.local_queue, "local tier: requests that may wait");
  f.Bool("local-inline", &v.local_inline,
         "local tier: run a request that finds the tier idle on the HTTP thread that read it "
         "(--no-local-inline: always hand it to an inference thread)");
  f.String("container-mode", &v.container_mode, "auto (runc, else child process) | runc | process");
  f.String("container-image", &v.container_image,
           "oci-archive:PATH | oci:DIR[:REF]: replicas run this serving image (`straightline "
           "package serve`) under runc, read-only, as its user, on 127.0.0.1 only; default: a "
           "bundle of host bind mounts");
  f.Int("min-containers", &v.min_containers, "container replicas kept running");
  f.Int("max-containers", &v.max_containers, "container replicas at most");
  f.Int("container-concurrency", &v.container_concurrency, "requests in flight per replica");
  f.Int("container-queue", &v.container_queue, "requests waiting per replica");
  f.Double("container-cpus", &v.container_cpus, "CPU limit per replica (runc)");
  f.Int("container-memory-mb", &v.container_memory_mb, "memory limit per replica (runc)");
  f.Int("container-idle-s", &v.container_idle_s, "idle seconds before a replica above min stops");
  f.String("provider", &v.provider, "function tier provider profile (profiles/*.yaml), also as inference=P (`straightline plan`)");
  f.Int("function-memory-mb", &v.function_memory_mb, "function memory size");
  f.Int("function-concurrency", &v.function_concurrency, "function concurrency limit per model");
  f.Int("provisioned", &v.provisioned, "function instances kept warm per model");
  f.String("keep-alive", &v.keep_alive, "function keep-alive policy (fixed | hybrid ...)");
  f.String("state-dir", &v.state_dir, "container bundles, function platform state, thresholds");
  f.String("model-store", &v.model_store,
           "function tier: deliver the models to the functions through this store folder (s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, az://ACCOUNT/CONTAINER/PREFIX; "
           "needed with a remote --platform)");
  v.functions.Define(f);
}

Status CheckServeFlags(const ServeFlags& v) {
  if (v.models.empty() && v.repository.empty()) {
    return InvalidArgument("give --model DIR or --model-repository DIR");
  }
  if (v.port < 0 || v.port > 65535) return InvalidArgument("--port: {} is not a TCP port", v.port);
  if (v.poll_s < 0) return InvalidArgument("--poll-s must be >= 0 (0: never), got {}", v.poll_s);
  if (v.poll_s > 0) {
    bool from_store = serve::IsStoreUri(v.repository);
    for (const std::string& m : SplitCommaList(v.models)) {
      const size_t eq = m.find('=');  // NAME=URI; a '=' after "://" belongs to the URI
      const bool named = eq != std::string::npos && eq < m.find("://");
      from_store = from_store || serve::IsStoreUri(named ? m.substr(eq + 1) : m);
    }
    if (!from_store) {
      return InvalidArgument("--poll-s {}: no model comes from a store (give --model URI or "
                             "--model-repository URI; a local folder is not polled)", v.poll_s);
    }
    for (const std::string& t : SplitCommaList({v.tiers})) {
      if (t != "local") {
        // The container replicas and the functions load the model folder they were started
        // with; a swap would reach only the local tier and the version header would lie.
        return InvalidArgument("--poll-s swaps versions in the local tier only, and --tiers names "
                               "'{}'; use --tiers local (or drop --poll-s)", t);
      }
    }
  }
  if (v.timeout_ms <= 0) return InvalidArgument("--timeout-ms must be positive, got {}", v.timeout_ms);
  if (v.max_body_mb <= 0) return InvalidArgument("--max-body-mb must be positive, got {}", v.max_body_mb);
  if (v.http_threads < 0) {
    return InvalidArgument("--http-threads must be >= 0 (0: two per core), got {}", v.http_threads);
  }
  if (v.auth != "token" && v.auth != "none") {
    return InvalidArgument("--auth: '{}' (want token or none)", v.auth);
  }
  if (v.auth_health != "open" && v.auth_health != "required") {
    return InvalidArgument("--auth-health: '{}' (want open or required)", v.auth_health);
  }
  if (v.auth == "none" && !v.auth_token_file.empty()) {
    return InvalidArgument("--auth none and --auth-token-file {} contradict each other",
                           v.auth_token_file);
  }
  if (v.auth == "none" && !IsLoopbackHost(v.host) && !v.insecure) {
    return InvalidArgument("--host {} is not a loopback address and --auth none would let anyone "
                           "who can reach it use every endpoint; keep token auth, bind 127.0.0.1, "
                           "or add --insecure to do this anyway", v.host);
  }
  return Status::Ok();
}

Deployment::Deployment() = default;
Deployment::~Deployment() = default;

serve::Tier* Deployment::TierOf(serve::TierKind kind) const {
  for (const auto& t : tiers) {
    if (t->kind() == kind) return t.get();
  }
  return nullptr;
}

std::vector<serve::Tier*> Deployment::TierPointers() const {
  std::vector<serve::Tier*> out;
  for (const auto& t : tiers) out.push_back(t.get());
  return out;
}

void Deployment::Stop() {
  if (poller) poller->Stop();
  if (server) server->Stop();
  if (dashboard) dashboard->StopSampling();
  for (auto& t : tiers) t->Shutdown();
  if (local_platform) local_platform->Shutdown();
}

Status DeployTiers(const ServeFlags& v, Deployment& d) {
  std::vector<std::string> dirs = SplitCommaList(v.models);
  serve::StoreModelOptions so;
  so.cache_dir = v.state_dir + "/model-cache";
  SL_ASSIGN_OR_RETURN(serve::LoadedModels loaded, serve::LoadModels(dirs, v.repository, so));
  d.models = std::move(loaded.repository);
  if (v.poll_s > 0) {
    serve::ModelPollerOptions po;
    po.period = std::chrono::seconds(v.poll_s);
    po.metrics = MetricsRegistry::Default();  // the gateway's /metrics
    SL_ASSIGN_OR_RETURN(d.poller, serve::ModelPoller::Start(d.models.get(), std::move(loaded.sources), po));
    SL_LOG_INFO("serve", "polling the store for new model versions every {} s", v.poll_s);
  }
  std::vector<std::string> kinds = SplitCommaList({v.tiers});
  if (kinds.empty()) return InvalidArgument("--tiers: give at least one of local, container, function");
  for (size_t i = 0; i < kinds.size(); ++i) {  // before anything starts
    if (std::find(kinds.begin(), kinds.begin() + static_cast<long>(i), kinds[i]) !=
        kinds.begin() + static_cast<long>(i)) {
      return InvalidArgument("--tiers: '{}' given twice", kinds[i]);
    }
  }
  MetricsRegistry* metrics = MetricsRegistry::Default();
  for (const std::string& k : kinds) {
    if (k == "local") {
      serve::LocalTierOptions lo;
      lo.threads = v.local_threads;
      lo.max_batch = v.max_batch;
      lo.max_queue_delay = std::chrono::microseconds(v.max_queue_delay_us);
      lo.queue_limit = v.local_queue;
      lo.run_lone_requests_inline = v.local_inline;
      lo.metrics = metrics;
      SL_ASSIGN_OR_RETURN(auto tier, serve::LocalTier::Create(d.models.get(), lo));
      d.tiers.push_back(std::move(tier));
    } else if (k == "container") {
      SL_ASSIGN_OR_RETURN(auto tier, MakeContainerTier(v, d));
      d.tiers.push_back(std::move(tier));
    } else if (k == "function") {
      SL_ASSIGN_OR_RETURN(auto tier, MakeFunctionTiers(v, d));
      d.tiers.push_back(std::move(tier));
    } else {
      return InvalidArgument("--tiers: unknown tier '{}' (want local, container, function)", k);
    }
  }
  return Status::Ok();
}

Result<serve::PlacerOptions> PlacerOptionsFrom(const ServeFlags& v, const FlagSet& flags) {
  serve::PlacerOptions po;
  po.policy = v.policy;
  std::string path = v.thresholds;
  if (path.empty() && std::filesystem::exists(v.state_dir + "/thresholds.json")) {
    path = v.state_dir + "/thresholds.json";
  }
  if (!path.empty()) {
    SL_ASSIGN_OR_RETURN(serve::PlacementThresholds t, serve::LoadThresholds(path));
    po.frequency_threshold = t.frequency_threshold;
    po.size_threshold = t.size_threshold;
    po.window = std::chrono::milliseconds(t.window_ms);
    SL_LOG_INFO("serve", "thresholds from {}: F={:.0f}/s D={} bytes", path, t.frequency_threshold,
                t.size_threshold);
  }
  if (flags.IsSet("frequency-threshold")) po.frequency_threshold = v.frequency_threshold;
  if (flags.IsSet("size-threshold")) po.size_threshold = v.size_threshold;
  if (flags.IsSet("window-ms")) po.window = std::chrono::milliseconds(v.window_ms);
  po.latency_slo_ms = v.slo_ms;
  po.cost_budget_usd = v.cost_budget;
  po.colocated_below_cpu = v.colocated_below_cpu;
  return po;
}

Result<std::unique_ptr<HttpServer>> StartHttpServer(const ServeFlags& v, serve::Gateway* gateway,
                                                    int port) {
  return StartHttpServer(v, gateway->Handler(), port);
}

Result<std::unique_ptr<HttpServer>> StartHttpServer(const ServeFlags& v, HttpHandler handler, int port) {
  HttpServer::Options so;
  so.host = v.host;
  so.port = port;
  so.threads = v.http_threads > 0 ? static_cast<int>(v.http_threads)
                                   : static_cast<int>(std::max(2u, 2 * std::thread::hardware_concurrency()));
  so.max_body_bytes = static_cast<uint64_t>(v.max_body_mb) << 20;
  so.error_response = serve::JsonErrorResponse;
  return HttpServer::Start(so, std::move(handler));
}

Status StartGateway(const ServeFlags& v, const FlagSet& flags, Deployment& d) {
  SL_ASSIGN_OR_RETURN(serve::PlacerOptions po, PlacerOptionsFrom(v, flags));
  SL_ASSIGN_OR_RETURN(d.placer, serve::MakePlacer(po));
  serve::GatewayOptions go;
  go.request_timeout = std::chrono::milliseconds(v.timeout_ms);
  go.metrics = MetricsRegistry::Default();
  // X-Straightline-Frequency names f_t over the placer's window and F, under every policy, so a
  // load run can draw f_t against F (issue 19).
  go.frequency_window = po.window;
  go.frequency_threshold = po.frequency_threshold;
  if (po.policy == "adaptive" && po.colocated_below_cpu > 0) {
    // Only --colocated-below-cpu reads it. 50 ms: a burst that starts after an idle spell is
    // seen within 50 ms (with 200 ms, adaptive sent a few hundred burst-onset requests to
    // co-located tiers; docs/benchmarks.md).
    d.host_cpu = std::make_unique<HostCpuMeter>(nullptr, std::chrono::milliseconds(50));
    go.host_cpu = d.host_cpu.get();
  }
  SL_RETURN_IF_ERROR(SetUpGatewayAuth(v, go, d));
  SL_ASSIGN_OR_RETURN(d.gateway, serve::Gateway::Create(d.models.get(), d.TierPointers(),
                                                        d.placer.get(), go));
  d.drain = std::make_shared<DrainGate>(d.gateway->Handler());
  HttpHandler handler = d.drain->Handler();
  if (v.dashboard) {
    SL_RETURN_IF_ERROR(StartDashboard(go.auth, po.frequency_threshold, d));
    handler = d.dashboard_http->Wrap(std::move(handler));
  }
  SL_ASSIGN_OR_RETURN(d.server, StartHttpServer(v, std::move(handler), static_cast<int>(v.port)));
  return Status::Ok();
}

}  // namespace sl::cli

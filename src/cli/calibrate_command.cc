// straightline calibrate: measure the deployed tiers with real requests and write the placement
// thresholds F and D of the StraightLine rule (serve/placement/thresholds.h) for `serve`.
//
//   straightline calibrate --model models/fmnist-cnn            # → .straightline/serve/thresholds.json
//   straightline serve --model models/fmnist-cnn                # picks the file up
//
// What it does, on this machine, through the same gateway and tiers `serve` deploys:
//   1. size sweep: for each request size (--batches samples per JSON request, 1 = one image), a
//      trickle of requests (--probe-rate/s for --phase-s) to every deployed tier, each behind its
//      own gateway with the fixed policy of that tier; mean latency per tier and size → D.
//   2. rate sweep: single-sample requests to the local tier at rising rates (--rates), until a rate
//      misses ≥ 99 % success or p99 ≤ max(2 ×, + 10 ms) the unloaded p99 → F = 0.8 × the last
//      rate that passed (serve::WithinLocalCapacity).
// The load generator runs on the same cores as the tiers, as in every load test here; the file
// records every measurement next to F and D. Each gateway requires a token generated for this
// run and kept only in memory (issue 14: every server authenticates); the load runner sends it.
#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/serve_deployment.h"
#include "common/auth_token.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/metrics.h"
#include "serve/load/load_report.h"
#include "serve/load/load_runner.h"
#include "serve/placement/thresholds.h"

namespace sl::cli {
namespace {

struct Probe {
  int64_t bytes = 0;
  int64_t requests = 0;
  double success = 0;  // 0..1
  double mean_ms = 0, p50_ms = 0, p99_ms = 0;
};

// Runs `seconds` of `rate` requests/s of one payload kind against `url` and summarises the OK ones.
Result<Probe> RunProbe(const std::string& url, const std::string& token, const std::string& model,
                       const serve::load::PayloadKind& kind, double rate, double seconds,
                       int64_t timeout_ms) {
  serve::load::LoadSpec spec;
  spec.target = url;
  spec.auth_token = token;
  spec.model = model;
  spec.phases = {serve::load::Phase{"probe", seconds, rate, -1}};
  spec.payloads = {kind};
  spec.concurrency = std::clamp<int64_t>(static_cast<int64_t>(rate / 20), 4, 64);
  spec.timeout_ms = timeout_ms;
  SL_ASSIGN_OR_RETURN(serve::load::LoadResult r, serve::load::RunLoad(spec));
  // The load report's figures, as `straightline load` prints them (its "all, all" row; sessions
  // dropped by the client's backlog are already failed requests there).
  const std::vector<serve::load::GroupStats> rows = serve::load::Summarize(spec, r);
  const auto all_it = std::find_if(rows.begin(), rows.end(), [](const serve::load::GroupStats& g) {
    return g.phase == "all" && g.tier == "all";
  });
  if (all_it == rows.end()) return Internal("calibrate: the load report has no overall row");
  const serve::load::GroupStats& all = *all_it;
  Probe p;
  p.bytes = r.payload_bytes.empty() ? 0 : r.payload_bytes[0];
  p.requests = all.requests;
  p.success = all.requests == 0 ? 0 : 1 - all.failure_rate;
  p.mean_ms = all.mean_ms;
  p.p50_ms = all.p50_ms;
  p.p99_ms = all.p99_ms;
  return p;
}

serve::load::PayloadKind KindForBatch(int64_t batch) {
  serve::load::PayloadKind k;
  k.kind = batch <= 1 ? "json" : "batch";
  k.batch = std::max<int64_t>(1, batch);
  return k;
}

// One gateway + HTTP server per tier, each with the fixed policy of its tier.
struct TierFront {
  serve::TierKind kind;
  std::unique_ptr<serve::Placer> placer;
  std::unique_ptr<serve::Gateway> gateway;
  std::unique_ptr<HttpServer> server;
  std::string url;
  std::string token;  // this run's gateway token (never written anywhere)
};

Result<TierFront> StartTierFront(const ServeFlags& v, Deployment& d, serve::Tier* tier) {
  TierFront f;
  f.kind = tier->kind();
  serve::PlacerOptions po;
  po.policy = std::string(serve::TierName(f.kind));
  SL_ASSIGN_OR_RETURN(f.placer, serve::MakePlacer(po));
  serve::GatewayOptions go;
  go.request_timeout = std::chrono::milliseconds(v.timeout_ms);
  SL_ASSIGN_OR_RETURN(f.token, GenerateToken());
  go.auth = std::make_shared<TokenAuthenticator>(std::vector<std::string>{f.token});
  SL_ASSIGN_OR_RETURN(f.gateway, serve::Gateway::Create(d.models.get(), d.TierPointers(),
                                                        f.placer.get(), go));
  SL_ASSIGN_OR_RETURN(f.server, StartHttpServer(v, f.gateway.get(), 0));
  f.url = fmt::format("http://{}:{}", v.host, f.server->port());
  return f;
}

std::vector<int64_t> ParseIntList(const std::vector<std::string>& items, const char* flag,
                                  Status* error) {
  std::vector<int64_t> out;
  for (const std::string& s : SplitCommaList(items)) {
    char* end = nullptr;
    long long x = std::strtoll(s.c_str(), &end, 10);
    if (end == s.c_str() || *end != '\0' || x <= 0) {
      *error = InvalidArgument("--{}: '{}' is not a positive integer", flag, s);
      return {};
    }
    out.push_back(x);
  }
  return out;
}

struct CalibrateFlags {
  std::string out;
  // List flags append to what the vector holds, so the defaults are filled in after parsing.
  std::vector<std::string> batches, rates;
  double phase_s = 2, probe_rate = 20;
  bool json = false;
};

Status Calibrate(const ServeFlags& v, const CalibrateFlags& c, Deployment& d) {
  Status parse;
  const std::vector<int64_t> batches = ParseIntList(c.batches, "batches", &parse);
  SL_RETURN_IF_ERROR(parse);
  const std::vector<int64_t> rates = ParseIntList(c.rates, "rates", &parse);
  SL_RETURN_IF_ERROR(parse);
  if (batches.empty() || rates.empty()) return InvalidArgument("--batches and --rates need values");
  if (c.phase_s <= 0 || c.probe_rate <= 0) {
    return InvalidArgument("--phase-s and --probe-rate must be positive");
  }
  if (d.TierOf(serve::TierKind::kLocal) == nullptr) {
    return InvalidArgument("--tiers must include local: F is the local tier's saturation rate");
  }
  const std::string model = d.models->Names().front();
  std::vector<TierFront> fronts;
  for (serve::Tier* t : d.TierPointers()) {
    SL_ASSIGN_OR_RETURN(TierFront f, StartTierFront(v, d, t));
    fronts.push_back(std::move(f));
  }
  auto front_of = [&](serve::TierKind k) -> const TierFront* {
    for (const auto& f : fronts) {
      if (f.kind == k) return &f;
    }
    return nullptr;
  };

  nlohmann::json measurements;
  // Warm every tier first: a container replica's start or a function's cold start is not what D
  // is about (the adaptive policy prices those separately).
  for (const auto& f : fronts) {
    fmt::print(stderr, "calibrate: warming the {} tier ({} for 1 s)\n", serve::TierName(f.kind), f.url);
    SL_RETURN_IF_ERROR(RunProbe(f.url, f.token, model, KindForBatch(1), c.probe_rate, 1, v.timeout_ms).status());
  }

  // 1. size sweep.
  std::vector<serve::SizeLatency> sizes;
  nlohmann::json size_rows = nlohmann::json::array();
  for (int64_t b : batches) {
    serve::SizeLatency sl;
    nlohmann::json row = {{"samples_per_request", b}};
    for (const auto& f : fronts) {
      SL_ASSIGN_OR_RETURN(Probe p, RunProbe(f.url, f.token, model, KindForBatch(b), c.probe_rate, c.phase_s,
                                            v.timeout_ms));
      const std::string tier(serve::TierName(f.kind));
      fmt::print(stderr, "calibrate: size {:>10} ({:>3} samples) {:<9} mean {:8.2f} ms  p99 {:8.2f} ms  ok {:5.1f} %\n",
                 serve::FormatBytes(p.bytes), b, tier, p.mean_ms, p.p99_ms, 100 * p.success);
      sl.bytes = p.bytes;
      row["bytes"] = p.bytes;
      row[tier] = {{"mean_ms", p.mean_ms}, {"p50_ms", p.p50_ms}, {"p99_ms", p.p99_ms},
                   {"success", p.success}, {"requests", p.requests}};
      // A tier that failed requests at a trickle is not faster, whatever its mean says.
      const double ms = p.success >= 0.99 ? p.mean_ms : 1e12;
      if (f.kind == serve::TierKind::kLocal) sl.local_ms = ms;
      if (f.kind == serve::TierKind::kContainer) sl.container_ms = ms;
    }
    sizes.push_back(sl);
    size_rows.push_back(row);
  }
  measurements["sizes"] = size_rows;
  // What each tier measured of itself while warming and sweeping (container start, function
  // cold start, service EWMAs) and how it was configured: `simulate placement` models the tiers
  // from these (serve/sim/calibration.h).
  nlohmann::json tier_rows;
  for (const auto& f : fronts) {
    const serve::TierState s = d.TierOf(f.kind)->State();
    tier_rows[std::string(serve::TierName(f.kind))] = {
        {"service_ms_ewma", s.service_ms_ewma}, {"start_ms_ewma", s.start_ms_ewma},
        {"replicas", s.replicas}, {"max_replicas", s.max_replicas}, {"capacity", s.capacity}};
  }
  measurements["tiers"] = tier_rows;
  measurements["host_cores"] = std::max(1u, std::thread::hardware_concurrency());
  SL_ASSIGN_OR_RETURN(int64_t D, serve::DeriveSizeThreshold(sizes));

  // 2. rate sweep on the local tier.
  const TierFront* local = front_of(serve::TierKind::kLocal);
  // At least 3 s: the p99 of a trickle is nearly its maximum, and the rule below scales with it.
  SL_ASSIGN_OR_RETURN(Probe unloaded, RunProbe(local->url, local->token, model, KindForBatch(1), c.probe_rate,
                                               std::max(3.0, c.phase_s), v.timeout_ms));
  fmt::print(stderr, "calibrate: local unloaded at {:.0f}/s: p50 {:.2f} ms p99 {:.2f} ms\n",
             c.probe_rate, unloaded.p50_ms, unloaded.p99_ms);
  std::vector<serve::RateResult> rate_results;
  nlohmann::json rate_rows = nlohmann::json::array();
  for (int64_t rate : rates) {
    SL_ASSIGN_OR_RETURN(Probe p, RunProbe(local->url, local->token, model, KindForBatch(1),
                                          static_cast<double>(rate), c.phase_s, v.timeout_ms));
    rate_results.push_back({static_cast<double>(rate), p.success, p.p50_ms, p.p99_ms});
    rate_rows.push_back({{"offered_per_s", rate}, {"success", p.success}, {"p50_ms", p.p50_ms},
                         {"p99_ms", p.p99_ms}, {"requests", p.requests}});
    const bool pass = serve::WithinLocalCapacity(rate_results.back(), unloaded.p99_ms);
    fmt::print(stderr, "calibrate: local at {:>5}/s: ok {:5.1f} %  p50 {:7.2f} ms  p99 {:7.2f} ms  {}\n",
               rate, 100 * p.success, p.p50_ms, p.p99_ms, pass ? "within" : "saturated");
    if (!pass) break;
  }
  measurements["local_unloaded"] = {{"rate_per_s", c.probe_rate}, {"p50_ms", unloaded.p50_ms},
                                    {"p99_ms", unloaded.p99_ms}};
  measurements["local_rates"] = rate_rows;
  SL_ASSIGN_OR_RETURN(double F, serve::DeriveFrequencyThreshold(rate_results, unloaded.p99_ms));

  for (auto& f : fronts) f.server->Stop();

  serve::PlacementThresholds t;
  t.model = model;
  t.frequency_threshold = F;
  t.size_threshold = D;
  t.window_ms = 1000;
  const bool container_measured = front_of(serve::TierKind::kContainer) != nullptr;
  t.derivation = fmt::format(
      "D = {}: {}; F = {:.0f}/s = 0.8 x the highest rate the local tier served with >= 99% "
      "success and p99 <= max(2 x, +10 ms) its unloaded p99 ({:.2f} ms)",
      D,
      container_measured ? "smallest measured request size where the container tier's mean "
                           "latency beat the local tier's (else 2 x the largest size)"
                         : "no container tier measured: 2 x the largest measured size",
      F, unloaded.p99_ms);
  t.measurements_json = measurements.dump();
  const std::string out = c.out.empty() ? v.state_dir + "/thresholds.json" : c.out;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(out).parent_path(), ec);
  SL_RETURN_IF_ERROR(serve::SaveThresholds(out, t));
  if (c.json) {
    nlohmann::json j = {{"thresholds_file", out}, {"frequency_threshold_per_s", F},
                        {"size_threshold_bytes", D}, {"derivation", t.derivation},
                        {"measurements", measurements}};
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("F = {:.0f} requests/s, D = {} bytes ({})\n{}\nwritten to {}\n", F, D,
               serve::FormatBytes(D), t.derivation, out);
  }
  return Status::Ok();
}

}  // namespace

int RunCalibrate(const Args& args) {
  ServeFlags v;
  v.tiers = "local,container";
  v.port = 0;
  CalibrateFlags c;
  FlagSet flags("straightline calibrate",
                "Measure the local and container tiers (and the function tier when listed in "
                "--tiers) with real KServe v2 requests and write the placement thresholds F "
                "(requests/s) and D (bytes) that `straightline serve --policy straightline` uses.");
  DefineServeFlags(flags, v, /*for_serve=*/false);
  flags.String("out", &c.out, "thresholds file to write (default <state-dir>/thresholds.json)");
  flags.List("batches", &c.batches, "request sizes of the size sweep, in samples per request "
                                    "(default 1,8,32,128)");
  flags.List("rates", &c.rates, "offered rates (requests/s) of the local tier's rate sweep, "
                                "rising; stops at the first saturated one "
                                "(default 100,200,400,800,1600,3200,6400)");
  flags.Double("phase-s", &c.phase_s, "seconds per measured point");
  flags.Double("probe-rate", &c.probe_rate, "requests/s of the size sweep and the unloaded probe");
  flags.Bool("json", &c.json, "print the thresholds and measurements as JSON");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (c.batches.empty()) c.batches = {"1", "8", "32", "128"};
  if (c.rates.empty()) c.rates = {"100", "200", "400", "800", "1600", "3200", "6400"};
  if (Status s = CheckServeFlags(v); !s.ok()) {
    fmt::print(stderr, "straightline calibrate: {}\n", s.message());
    return 2;
  }
  Deployment d;
  Status s = DeployTiers(v, d);
  if (s.ok()) s = Calibrate(v, c, d);
  d.Stop();
  if (!s.ok()) {
    fmt::print(stderr, "straightline calibrate: {}\n", s.ToString());
    return s.code() == Code::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace sl::cli

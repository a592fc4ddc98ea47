// straightline load: open-loop load against a KServe v2 endpoint on this machine (issue 6):
// Artillery-style phases, sessions, a payload-size mix, a bounded total; prints failure rate,
// response-time percentiles and session length per phase and per tier, and writes JSON / CSV.
// Only loopback targets are accepted. The gateway's token (issue 14) comes from
// --auth-token-file FILE (its first token) or the STRAIGHTLINE_TOKEN environment variable.
// With --trace, an Azure Functions trace is replayed instead (trace_load_command.h).
#include <cstdlib>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/trace_load_command.h"
#include "common/auth_token.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "serve/load/load_report.h"
#include "serve/load/load_runner.h"

namespace sl::cli {

int RunLoad(const Args& args) {
  // Trace replay (issue 21): its own flags and report (trace_load_command.cc).
  if (HasTraceFlag(args)) return RunTraceLoad(args);
  using serve::load::LoadSpec;
  FlagSet flags("straightline load",
                "Generate open-loop load against a KServe v2 server on 127.0.0.1 and report failure "
                "rate, session length and response-time percentiles per phase and per tier. "
                "`load --trace PATH --help`: replay an Azure Functions trace instead.");
  std::string config, target = "http://127.0.0.1:8080", model, phases, mix = "json";
  std::string json_out, csv_out, auth_token_file;
  int64_t session_requests = 1, max_total = 0, concurrency = 64, backlog = 0, timeout_ms = 50000;
  int64_t seed = 1;
  bool json = false;
  flags.String("config", &config, "YAML load spec (target, model, phases, session, payloads, "
                                  "maxTotal, concurrency, timeoutMs); flags given override it");
  flags.String("target", &target, "server base URL (loopback only)");
  flags.String("model", &model, "model name");
  flags.String("phases", &phases, "DURATION_S:RATE[:RAMP_TO],... sessions per second");
  flags.Int("session-requests", &session_requests, "requests per session, sent in sequence");
  flags.String("mix", &mix, "payload mix KIND[:WEIGHT[:BATCH]],...; KIND json|pixels|raw|batch|binary (binary: BATCH samples, binary tensor data extension)");
  flags.Int("max-total", &max_total, "stop releasing sessions after this many requests (0: none)");
  flags.Int("concurrency", &concurrency, "connections (worker threads)");
  flags.Int("backlog", &backlog, "sessions that may wait for a connection (0: 16 x concurrency); "
                                 "arrivals beyond it fail as 'client-backlog'");
  flags.Int("timeout-ms", &timeout_ms, "per-request timeout");
  flags.Int("seed", &seed, "payload / mix random seed");
  flags.String("auth-token-file", &auth_token_file,
               "file with the server's token (the first one in it), sent as 'Authorization: "
               "Bearer'; default: $STRAIGHTLINE_TOKEN when set (`serve` prints its token file)");
  flags.String("json-out", &json_out,
               "write the JSON report here: per phase and tier, and 'timeline', per second of arrival: "
               "sessions launched/completed/failed by cause, p50/p90/p99, placements per tier and rule, "
               "f_t and F (`straightline report` draws them)");
  flags.String("csv-out", &csv_out, "write the CSV report here");
  flags.Bool("json", &json, "print the JSON report instead of the table");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;

  LoadSpec spec;
  if (!config.empty()) {
    auto loaded = serve::load::LoadSpecFromYaml(config);
    if (!loaded.ok()) {
      fmt::print(stderr, "{}\n", loaded.status().ToString());
      return 2;
    }
    spec = *loaded;
  }
  if (config.empty() || flags.IsSet("target")) spec.target = target;
  if (config.empty() || flags.IsSet("model")) spec.model = model;
  if (config.empty() || flags.IsSet("session-requests")) spec.session_requests = session_requests;
  if (config.empty() || flags.IsSet("max-total")) spec.max_total = max_total;
  if (config.empty() || flags.IsSet("concurrency")) spec.concurrency = concurrency;
  if (config.empty() || flags.IsSet("backlog")) spec.backlog = backlog;
  if (config.empty() || flags.IsSet("timeout-ms")) spec.timeout_ms = timeout_ms;
  if (config.empty() || flags.IsSet("seed")) spec.seed = static_cast<uint64_t>(seed);
  if (!phases.empty()) {
    auto p = serve::load::ParsePhases(phases);
    if (!p.ok()) {
      fmt::print(stderr, "{}\n", p.status().ToString());
      return 2;
    }
    spec.phases = *p;
  }
  if (config.empty() || flags.IsSet("mix")) {
    auto m = serve::load::ParsePayloadMix(mix);
    if (!m.ok()) {
      fmt::print(stderr, "{}\n", m.status().ToString());
      return 2;
    }
    spec.payloads = *m;
  }
  if (!auth_token_file.empty()) {
    auto tokens = ReadTokenFile(auth_token_file);
    if (!tokens.ok()) {
      fmt::print(stderr, "straightline load: --auth-token-file: {}\n", tokens.status().ToString());
      return 2;
    }
    spec.auth_token = tokens->front();
  } else if (const char* env = std::getenv("STRAIGHTLINE_TOKEN"); env != nullptr && *env != '\0') {
    spec.auth_token = env;
  }
  if (Status s = serve::load::ValidateSpec(spec); !s.ok()) {
    fmt::print(stderr, "{}\n", s.ToString());
    return 2;
  }
  auto result = serve::load::RunLoad(spec);
  if (!result.ok()) {
    fmt::print(stderr, "straightline load: {}\n", result.status().ToString());
    return 1;
  }
  auto rows = serve::load::Summarize(spec, *result);
  std::string report = serve::load::ReportJson(spec, *result, rows);
  if (!json_out.empty()) {
    if (Status s = WriteFileAtomic(json_out, report); !s.ok()) {
      fmt::print(stderr, "{}\n", s.ToString());
      return 1;
    }
  }
  if (!csv_out.empty()) {
    if (Status s = WriteFileAtomic(csv_out, serve::load::ReportCsv(rows)); !s.ok()) {
      fmt::print(stderr, "{}\n", s.ToString());
      return 1;
    }
  }
  if (json) {
    fmt::print("{}", report);
  } else {
    fmt::print("{}", serve::load::ReportTable(rows));
    fmt::print("wall {:.1f} s, {} sessions dropped by the client backlog\n", result->wall_s,
               result->dropped_sessions);
  }
  return 0;
}

}  // namespace sl::cli

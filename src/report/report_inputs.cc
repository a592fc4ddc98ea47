#include "report/report_inputs.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "faas/economics/ledger.h"
#include "faas/economics/provider_profile.h"
#include "faas/economics/transfer_pricing.h"
#include "store/object_store.h"

namespace sl::report {
namespace {

// train::JobKeys::kReport; job_spec.h pulls in the ml headers, which this torch-free layer avoids.
constexpr const char* kReportKey = "report.json";
constexpr const char* kManifestFile = "manifest.json";  // ml::kManifestFile (ml is not linked here)

constexpr std::string_view kExpected =
    "expected one of: a training run (the store's report.json: job_id, rounds; or `train --workers N --json` "
    "output: record), a provider comparison (`train --compare-providers ... --json`: providers, vms), a load "
    "report (`load --json-out`: phases, groups), a ledger (JSON Lines: request_id, function, ...) or a model folder "
    "(manifest.json: format_version, model, weights)";

// The last non-empty path part, without ".json"/".jsonl": "runs/a/load.json" → "load",
// "file:///tmp/run1" → "run1". A store's report.json and a state folder's ledger.jsonl are named
// after their folder instead ("runs/a/report.json" → "a").
std::string LabelOf(std::string_view source) {
  std::string s(source);
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  const size_t slash = s.rfind('/');
  std::string base = slash == std::string::npos ? s : s.substr(slash + 1);
  std::string dir = slash == std::string::npos ? "" : s.substr(0, slash);
  if ((base == "report.json" || base == "ledger.jsonl" || base == kManifestFile) && !dir.empty()) return LabelOf(dir);
  for (std::string_view ext : {".jsonl", ".json"}) {
    if (base.size() > ext.size() && base.ends_with(ext)) base.resize(base.size() - ext.size());
  }
  return base.empty() ? std::string(source) : base;
}

double Num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}
int64_t Int(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}
std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}
bool IsArray(const nlohmann::json& j, const char* key) { return j.contains(key) && j.at(key).is_array(); }

// A training run: summarised under its provider's profile as a one-provider comparison.
Status FillTrainingRun(ReportInput* in) {
  const train::RunRecord& r = in->record;
  auto profile = faas::LoadProviderProfile(r.provider);
  std::optional<faas::ProviderProfile> store_cloud;
  if (auto sc = faas::LoadStoreCloudProfile(faas::CloudOfStoreUri(r.store)); sc.ok()) store_cloud = *sc;
  train::ProviderRun run;
  if (profile.ok() && profile->kind == faas::ProfileKind::kFunction) {
    // local_cpus only scales the overhead share, which no figure shows.
    run = train::ProviderRunOf(r, *profile, store_cloud ? &*store_cloud : nullptr, 1);
  } else {
    in->notes.push_back(fmt::format("provider '{}' has no function profile here: costs as recorded, no emulated "
                                    "cold-start overhead or transfer prices",
                                    r.provider));
    run.provider = r.provider;
    run.display_name = r.provider;
    run.memory_mb = r.memory_mb;
    run.summary = train::Summarize(r, 1);
    run.test_accuracy = r.test_accuracy;
  }
  in->comparison.runs.push_back(std::move(run));
  SL_ASSIGN_OR_RETURN(in->comparison.vms, train::VmBaselines(in->comparison.runs));
  return Status::Ok();
}

train::StageSummary TaskFromJson(const nlohmann::json& j, const std::string& stage) {
  train::StageSummary s;
  s.stage = stage;
  if (!j.is_object()) return s;
  s.t_total_s = Num(j, "t_total_min") * 60;
  s.t_parallel_s = Num(j, "t_parallel_min") * 60;
  s.wall_s = Num(j, "wall_min") * 60;
  s.invocations = Int(j, "invocations");
  s.cold_starts = Int(j, "cold_starts");
  s.gb_s = Num(j, "gb_s");
  s.cost_usd = Num(j, "cost_usd");
  s.transfer_usd = Num(j, "transfer_usd");
  s.store_request_usd = Num(j, "store_request_usd");
  return s;
}

// train::ProviderComparisonJson's shape, read back (the fields it carries).
Status FillComparison(const nlohmann::json& j, ReportInput* in) {
  for (const auto& p : j.at("providers")) {
    if (!p.is_object() || Str(p, "provider").empty()) {
      return InvalidArgument("{}: providers[]: an entry without 'provider' (not `train --compare-providers --json` "
                             "output?)",
                             in->source);
    }
    train::ProviderRun r;
    r.provider = Str(p, "provider");
    r.display_name = Str(p, "display_name");
    r.memory_mb = Int(p, "memory_mb");
    r.vcpu = Num(p, "vcpu");
    r.summary.preprocessing = TaskFromJson(p.value("preprocess", nlohmann::json()), "preprocess");
    r.summary.training = TaskFromJson(p.value("training", nlohmann::json()), "training");
    r.summary.total = TaskFromJson(p.value("total", nlohmann::json()), "total");
    r.provider_cold_start_s = Num(p, "provider_cold_start_s");
    r.test_accuracy = p.contains("test_accuracy") ? Num(p, "test_accuracy") : -1;
    in->comparison.runs.push_back(std::move(r));
  }
  for (const auto& v : j.at("vms")) {
    if (!v.is_object()) continue;
    train::VmBaseline b;
    b.vm = Str(v, "vm");
    b.hourly_usd = Num(v, "hourly_usd");
    b.vcpus = Num(v, "vcpus");
    b.from_provider = Str(v, "from_provider");
    b.wall_s = Num(v, "wall_s");
    b.wall_cost_usd = Num(v, "cost_for_wall_usd");
    b.work_s = Num(v, "work_s");
    b.work_cost_usd = Num(v, "cost_for_work_usd");
    in->comparison.vms.push_back(std::move(b));
  }
  return Status::Ok();
}

Status FillTimeline(const nlohmann::json& t, ReportInput* in);

Status FillLoad(const nlohmann::json& j, ReportInput* in) {
  LoadReport& l = in->load;
  l.target = Str(j, "target");
  l.model = Str(j, "model");
  l.wall_s = Num(j, "wall_s");
  for (const auto& p : j.at("phases")) {
    if (p.is_object()) l.phases.push_back(Str(p, "name"));
  }
  for (const auto& g : j.at("groups")) {
    if (!g.is_object() || !g.contains("phase") || !g.contains("tier")) {
      return InvalidArgument("{}: groups[]: a row without 'phase' and 'tier' (not `load --json-out` output?)",
                             in->source);
    }
    LoadGroup r;
    r.phase = Str(g, "phase");
    r.tier = Str(g, "tier");
    r.requests = Int(g, "requests");
    r.failures = Int(g, "failures");
    r.failure_rate = Num(g, "failure_rate");
    r.p50_ms = Num(g, "p50_ms");
    r.p90_ms = Num(g, "p90_ms");
    r.p95_ms = Num(g, "p95_ms");
    r.p99_ms = Num(g, "p99_ms");
    r.max_ms = Num(g, "max_ms");
    r.throughput_per_s = Num(g, "throughput_per_s");
    r.sessions = Int(g, "sessions");
    r.failed_sessions = Int(g, "failed_sessions");
    r.session_mean_ms = Num(g, "session_mean_ms");
    l.groups.push_back(std::move(r));
  }
  if (j.contains("timeline")) SL_RETURN_IF_ERROR(FillTimeline(j.at("timeline"), in));
  return Status::Ok();
}

// A series of the timeline: numbers, null as NaN; its length must be the timeline's.
Status Series(const nlohmann::json& t, const char* key, size_t n, const std::string& source,
              std::vector<double>* out) {
  auto it = t.find(key);
  if (it == t.end()) {
    out->assign(n, std::numeric_limits<double>::quiet_NaN());  // a series this file lacks
    return Status::Ok();
  }
  if (!it->is_array() || it->size() != n) {
    return InvalidArgument("{}: timeline.{}: want an array of {} entries (one per t_s), got {}", source, key,
                           n, it->is_array() ? std::to_string(it->size()) : std::string(it->type_name()));
  }
  out->clear();
  out->reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& v = (*it)[i];
    if (v.is_number()) {
      out->push_back(v.get<double>());
    } else if (v.is_null()) {
      out->push_back(std::numeric_limits<double>::quiet_NaN());
    } else {
      return InvalidArgument("{}: timeline.{}[{}]: a {}, not a number or null", source, key, i, v.type_name());
    }
  }
  return Status::Ok();
}

Status FillTimeline(const nlohmann::json& t, ReportInput* in) {
  LoadTimeline& l = in->load.timeline;
  const std::string& src = in->source;
  if (!t.is_object() || !IsArray(t, "t_s")) return InvalidArgument("{}: timeline: no 't_s' array", src);
  const size_t n = t.at("t_s").size();
  SL_RETURN_IF_ERROR(Series(t, "t_s", n, src, &l.t_s));
  SL_RETURN_IF_ERROR(Series(t, "sessions_launched", n, src, &l.sessions_launched));
  SL_RETURN_IF_ERROR(Series(t, "sessions_completed", n, src, &l.sessions_completed));
  SL_RETURN_IF_ERROR(Series(t, "sessions_failed", n, src, &l.sessions_failed));
  SL_RETURN_IF_ERROR(Series(t, "session_mean_ms", n, src, &l.session_mean_ms));
  SL_RETURN_IF_ERROR(Series(t, "requests", n, src, &l.requests));
  SL_RETURN_IF_ERROR(Series(t, "request_failures", n, src, &l.request_failures));
  SL_RETURN_IF_ERROR(Series(t, "p50_ms", n, src, &l.p50_ms));
  SL_RETURN_IF_ERROR(Series(t, "p90_ms", n, src, &l.p90_ms));
  SL_RETURN_IF_ERROR(Series(t, "p99_ms", n, src, &l.p99_ms));
  SL_RETURN_IF_ERROR(Series(t, "f_t_mean", n, src, &l.f_t_mean));
  SL_RETURN_IF_ERROR(Series(t, "f_t_max", n, src, &l.f_t_max));
  SL_RETURN_IF_ERROR(Series(t, "F", n, src, &l.F));
  if (auto it = t.find("sessions_failed_by_cause"); it != t.end() && it->is_object()) {
    for (const auto& [cause, values] : it->items()) {
      std::vector<double> v;
      SL_RETURN_IF_ERROR(Series(*it, cause.c_str(), n, src + ": sessions_failed_by_cause", &v));
      l.failed_by_cause.emplace_back(cause, std::move(v));
    }
  }
  if (auto it = t.find("placements"); it != t.end() && it->is_array()) {
    for (const auto& p : *it) {
      if (!p.is_object()) return InvalidArgument("{}: timeline.placements[]: not an object", src);
      LoadTimeline::Placements pl;
      pl.tier = Str(p, "tier");
      pl.rule = Str(p, "rule");
      SL_RETURN_IF_ERROR(Series(p, "counts", n, src + ": placements " + pl.tier + "/" + pl.rule, &pl.counts));
      SL_RETURN_IF_ERROR(Series(p, "failed", n, src + ": placements " + pl.tier + "/" + pl.rule, &pl.failed));
      l.placements.push_back(std::move(pl));
    }
  }
  return Status::Ok();
}

// manifest.json of a model folder (ml/artifact.h's Manifest, read here without the ml layer).
Status FillModel(const nlohmann::json& j, ReportInput* in) {
  ModelEpochs& m = in->model;
  if (auto it = j.find("model"); it != j.end() && it->is_object()) m.model = Str(*it, "name");
  if (auto it = j.find("dataset"); it != j.end() && it->is_object()) m.dataset = Str(*it, "name");
  if (auto it = j.find("metrics"); it != j.end() && it->is_object()) {
    if (auto t = it->find("test"); t != it->end() && t->is_object() && t->contains("accuracy")) {
      m.test_accuracy = Num(*t, "accuracy");
    }
  }
  auto training = j.find("training");
  if (training == j.end() || !training->is_object()) return Status::Ok();
  auto epochs = training->find("epochs");
  if (epochs == training->end()) return Status::Ok();
  if (!epochs->is_array()) return InvalidArgument("{}: training.epochs: not an array", in->source);
  for (size_t i = 0; i < epochs->size(); ++i) {
    const auto& e = (*epochs)[i];
    if (!e.is_object() || !e.contains("epoch") || !e.contains("train_loss")) {
      return InvalidArgument("{}: training.epochs[{}]: want an object with epoch and train_loss", in->source, i);
    }
    EpochPoint p;
    p.epoch = Int(e, "epoch");
    p.train_loss = Num(e, "train_loss");
    p.validation_loss = e.contains("validation_loss") && e.at("validation_loss").is_number() ? Num(e, "validation_loss") : -1;
    p.validation_accuracy =
        e.contains("validation_accuracy") && e.at("validation_accuracy").is_number() ? Num(e, "validation_accuracy") : -1;
    m.epochs.push_back(p);
  }
  return Status::Ok();
}

Status FillLedger(const std::string& text, ReportInput* in) {
  SL_ASSIGN_OR_RETURN(in->invocations, faas::ParseLedger(text, in->source));
  if (in->invocations.empty()) return InvalidArgument("{}: an empty ledger (no invocation)", in->source);
  faas::CostOptions options;  // per function, with the default VMs
  SL_ASSIGN_OR_RETURN(in->cost, faas::BuildCostReport(in->invocations, options, in->source));
  return Status::Ok();
}

std::string FirstLine(const std::string& text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

std::string_view InputKindName(InputKind k) {
  switch (k) {
    case InputKind::kTrainingRun: return "training run";
    case InputKind::kProviderComparison: return "provider comparison";
    case InputKind::kLoadReport: return "load report";
    case InputKind::kLedger: return "ledger";
    case InputKind::kModelArtifact: return "model artifact";
  }
  return "?";
}

Result<ReportInput> ParseReportInput(const std::string& source, const std::string& text) {
  ReportInput in;
  in.source = source;
  in.label = LabelOf(source);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Not one JSON document: a ledger is JSON Lines (several objects, one per line).
    nlohmann::json first = nlohmann::json::parse(FirstLine(text), nullptr, false);
    if (first.is_object() && first.contains("request_id") && first.contains("function")) {
      in.kind = InputKind::kLedger;
      SL_RETURN_IF_ERROR(FillLedger(text, &in));
      return in;
    }
    if (FirstLine(text).empty()) return InvalidArgument("{}: empty; {}", source, kExpected);
    return InvalidArgument("{}: not JSON (nor JSON Lines); {}", source, kExpected);
  }
  if (!j.is_object()) return InvalidArgument("{}: a JSON {}, not an object; {}", source, j.type_name(), kExpected);
  if (IsArray(j, "providers") && IsArray(j, "vms")) {
    in.kind = InputKind::kProviderComparison;
    SL_RETURN_IF_ERROR(FillComparison(j, &in));
    return in;
  }
  if (j.contains("record") && j.at("record").is_object() && j.contains("training")) {
    in.kind = InputKind::kTrainingRun;
    SL_ASSIGN_OR_RETURN(in.record, train::RunRecord::FromJson(j.at("record"), source + ": record"));
    SL_RETURN_IF_ERROR(FillTrainingRun(&in));
    return in;
  }
  if (j.contains("job_id") && IsArray(j, "rounds")) {
    in.kind = InputKind::kTrainingRun;
    SL_ASSIGN_OR_RETURN(in.record, train::RunRecord::FromJson(j, source));
    SL_RETURN_IF_ERROR(FillTrainingRun(&in));
    return in;
  }
  if (IsArray(j, "groups") && IsArray(j, "phases")) {
    in.kind = InputKind::kLoadReport;
    SL_RETURN_IF_ERROR(FillLoad(j, &in));
    return in;
  }
  if (j.contains("format_version") && j.contains("model") && j.contains("weights") && j.at("weights").is_object()) {
    in.kind = InputKind::kModelArtifact;
    SL_RETURN_IF_ERROR(FillModel(j, &in));
    return in;
  }
  if (j.contains("request_id") && j.contains("function")) {  // a ledger of one line
    in.kind = InputKind::kLedger;
    SL_RETURN_IF_ERROR(FillLedger(text, &in));
    return in;
  }
  return InvalidArgument("{}: a JSON object this command does not know; {}", source, kExpected);
}

Result<ReportInput> ReadReportInput(const std::string& source) {
  std::string text;
  struct stat st {};
  if (source.find("://") != std::string::npos) {
    // A job's store: its report.json (written when the job finished), checksum verified.
    SL_ASSIGN_OR_RETURN(std::unique_ptr<store::ObjectStore> s, store::OpenObjectStore(source));
    auto got = s->Get(kReportKey);
    if (!got.ok()) {
      return Status(got.status().code(),
                    fmt::format("{}: no {} (a training job's store has one when the job finished): {}", source,
                                kReportKey, got.status().message()));
    }
    text = std::move(*got);
  } else {
    // A store's folder names its report.json; a model folder (no report.json) its manifest.json.
    const bool dir = ::stat(source.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    struct stat mst {};
    const bool model_dir = dir && ::stat((source + "/" + kReportKey).c_str(), &mst) != 0 &&
                           ::stat((source + "/" + kManifestFile).c_str(), &mst) == 0;
    const std::string path = model_dir ? source + "/" + kManifestFile : dir ? source + "/" + kReportKey : source;
    auto got = ReadFileToString(path);
    if (!got.ok()) {
      return Status(got.status().code(),
                    dir ? fmt::format("{}: a folder without {} (a training job's store has one when the job "
                                      "finished): {}",
                                      source, kReportKey, got.status().message())
                        : fmt::format("{}: {}", source, got.status().message()));
    }
    text = std::move(*got);
  }
  return ParseReportInput(source, text);
}

std::string PolicyOfLoad(const LoadReport& load) {
  static const std::vector<std::string> kStraightline = {"frequent_small", "large", "local_capacity",
                                                          "container_capacity", "overflow"};
  static const std::vector<std::string> kAdaptive = {"fastest", "start", "slo_cheapest", "slo_fastest", "all_full"};
  auto in = [](const std::vector<std::string>& set, const std::string& rule) {
    return std::find(set.begin(), set.end(), rule) != set.end();
  };
  for (const auto& p : load.timeline.placements) {
    if (in(kStraightline, p.rule)) return "straightline";
    if (in(kAdaptive, p.rule)) return "adaptive";
  }
  for (const auto& p : load.timeline.placements) {
    if (p.rule == "fixed") return "fixed";
  }
  return "";
}

void DisambiguateLabels(std::vector<ReportInput>* inputs) {
  std::map<std::string, int> seen;
  for (auto& in : *inputs) {
    const int n = ++seen[in.label];
    if (n > 1) in.label = fmt::format("{} ({})", in.label, n);
  }
}

}  // namespace sl::report

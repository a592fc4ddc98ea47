// The inputs of `straightline report`, recognised from their content (never from their name):
//
//   training run        a serverless run's record: report.json in the job's store (RunRecord),
//                       given as the file, the store's folder or its URI (file://, s3://, gs://,
//                       az://: <uri>/report.json is read); or `train --workers N --json` output
//                       (the run report, whose "record" is the same RunRecord)
//   provider comparison `train --compare-providers ... --json` output (providers, vms)
//   load report         `straightline load --json-out` (phases, groups; and, from issue 19 on,
//                       "timeline": its per-second series; files without it read as before)
//   model artifact      a model folder (manifest.json, no report.json) or its manifest.json:
//                       `straightline train` writes the per-epoch series into
//                       training.epochs (train loss, validation loss and accuracy)
//   ledger              a platform's invocation ledger (JSON Lines, one invocation per line)
//
// A training run is summarised here with the run report's own code (train/run_report.h) under
// its provider's profile, and becomes a one-run provider comparison (train/report/
// provider_comparison.h: ProviderRunOf, VmBaselines), so that runs and comparisons feed the same
// figures; a ledger is summarised per function by the cost report (faas/economics/cost_report.h).
//
// Failure contract: INVALID_ARGUMENT naming the input and what was expected when the content is
// none of the kinds above (or unreadable JSON); NOT_FOUND for a missing file or store object;
// errors of the readers (ledger lines, run record fields) keep their file and line context.
// Thread safety: pure functions apart from reading the inputs and profiles/.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "faas/economics/cost_report.h"
#include "faas/economics/invocation_record.h"
#include "train/report/provider_comparison.h"
#include "train/run_record.h"

namespace sl::report {

enum class InputKind { kTrainingRun, kProviderComparison, kLoadReport, kLedger, kModelArtifact };
// "training run", "provider comparison", "load report", "ledger", "model artifact".
std::string_view InputKindName(InputKind k);

// One row of a load report's "groups" (serve/load/load_report.h's GroupStats as written).
struct LoadGroup {
  std::string phase;  // a phase name or "all"
  std::string tier;   // a tier name, "all" or "none"
  int64_t requests = 0;
  int64_t failures = 0;
  double failure_rate = 0;
  double p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  double throughput_per_s = 0;
  int64_t sessions = 0;          // tier "all" rows only
  int64_t failed_sessions = 0;
  double session_mean_ms = 0;
};

// A load report's "timeline" (serve/load/load_report.h, TimelineJson): one entry per second in
// every series; NaN where the file has null (nothing measured in that second).
struct LoadTimeline {
  std::vector<double> t_s;
  std::vector<double> sessions_launched, sessions_completed, sessions_failed;
  std::vector<std::pair<std::string, std::vector<double>>> failed_by_cause;  // cause, per second
  std::vector<double> session_mean_ms;
  std::vector<double> requests, request_failures;
  std::vector<double> p50_ms, p90_ms, p99_ms;
  struct Placements {
    std::string tier;
    std::string rule;
    std::vector<double> counts;
    std::vector<double> failed;  // of counts, answered with an error; NaN in files before it
  };
  std::vector<Placements> placements;
  std::vector<double> f_t_mean, f_t_max, F;
  bool empty() const { return t_s.empty(); }
};

struct LoadReport {
  std::string target;
  std::string model;
  double wall_s = 0;
  std::vector<std::string> phases;  // in the order they ran
  std::vector<LoadGroup> groups;
  LoadTimeline timeline;            // empty for files written before issue 19
};

// The placement policy a load ran under, as its placement rules show it (serve/api/placer.h's
// Decision::rule sets): "straightline" (Algorithm 1), "adaptive", "fixed", or "" when the file
// names no rule.
std::string PolicyOfLoad(const LoadReport& load);

// A model folder's manifest: the per-epoch series of the single-process trainer
// (manifest.training.epochs, ml/train_job.h: the same keys as a serverless run's rounds).
struct EpochPoint {
  int64_t epoch = 0;                 // 1-based
  double train_loss = 0;             // mean training loss over the epoch
  double validation_loss = -1;       // < 0: not scored
  double validation_accuracy = -1;   // < 0: not scored
};
struct ModelEpochs {
  std::string model;                 // the model spec's name ("cnn", ...)
  std::string dataset;
  std::vector<EpochPoint> epochs;    // empty: a manifest without the series (older, or serverless)
  double test_accuracy = -1;         // metrics.test.accuracy when present
};

struct ReportInput {
  std::string source;   // as given on the command line
  std::string label;    // short, for legends and headings: the file's or store's last path part
  InputKind kind = InputKind::kTrainingRun;
  // kTrainingRun: the record, and the run as a one-provider comparison (runs[0] is it).
  // kProviderComparison: the comparison as read (summaries hold the fields the JSON carries).
  train::RunRecord record;
  train::ProviderComparison comparison;
  std::vector<std::string> notes;  // e.g. a provider without a profile: not priced here
  LoadReport load;                 // kLoadReport
  std::vector<faas::InvocationRecord> invocations;  // kLedger
  faas::CostReport cost;                            // kLedger: per function, with VMs
  ModelEpochs model;                                // kModelArtifact
};

// Recognises and reads one input (see the header comment).
Result<ReportInput> ReadReportInput(const std::string& source);

// The same from content already read; `source` names it in messages. Store URIs and folders are
// ReadReportInput's business.
Result<ReportInput> ParseReportInput(const std::string& source, const std::string& text);

// Labels told apart where two inputs got the same one: the second "ledger" becomes "ledger (2)".
void DisambiguateLabels(std::vector<ReportInput>* inputs);

}  // namespace sl::report

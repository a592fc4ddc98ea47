// `straightline plan` (issue 21 §3): the cheapest provider per stage. Reads measured stage
// profiles — a serverless training run (--run: report.json, its store or `train --json`; a second
// --run of the same job at another size calibrates the share of each stage that follows CPU; or
// --probe: both runs made here by `straightline-ml train`) for preprocessing and the training
// rounds, and inference at a request rate (--inference: a ledger of the predict function or a
// `load --json-out` report; or --rate / --service-ms) — and prints, per stage, every provider's
// predicted time and cost and the cheapest choice that meets --deadline and --slo-p99-ms
// (train/report/stage_plan.h has the model). With --provider STAGE=P,... (and --memory
// STAGE=MB,...) it also predicts that one assignment, to check against the ledger of a run
// made with the same flags.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "report/report_inputs.h"
#include "train/report/provider_comparison.h"
#include "train/report/stage_plan.h"
#include "train/report/stage_providers.h"

namespace sl::cli {
namespace {

int Fail(const Status& s) {
  fmt::print(stderr, "straightline plan: {}\n", s.ToString());
  const Code c = s.code();
  return c == Code::kInvalidArgument || c == Code::kNotFound ? 2 : 1;
}

bool HasFlag(const std::vector<std::string>& args, const std::string& flag) {
  for (const auto& a : args) {
    if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

// A probing run: `straightline-ml train <flags> --json --quiet` (1 epoch and 2 workers unless the
// flags say otherwise, in a fresh file store under $TMPDIR unless --store is given); the path of
// its run report.
Result<std::string> RunProbe(const std::string& flags_text, const std::string& tag) {
  std::vector<std::string> args = {"straightline", "train"};
  std::istringstream in(flags_text);
  for (std::string w; in >> w;) args.push_back(w);
  if (!HasFlag(args, "--workers")) args.insert(args.end(), {"--workers", "2"});
  if (!HasFlag(args, "--epochs")) args.insert(args.end(), {"--epochs", "1"});
  const std::string dir =
      (std::filesystem::temp_directory_path() / fmt::format("straightline-plan-probe-{}-{}", ::getpid(), tag)).string();
  if (!HasFlag(args, "--store")) args.insert(args.end(), {"--store", "file://" + dir + "/store"});
  if (!HasFlag(args, "--out")) args.insert(args.end(), {"--out", dir + "/model"});
  args.insert(args.end(), {"--json", "--quiet"});
  SL_RETURN_IF_ERROR(MakeDirs(dir));
  const std::string out_file = dir + "/report.json";
  std::string path = ExecutableDir() + "/straightline-ml";
  if (const char* env = std::getenv("STRAIGHTLINE_ML"); env != nullptr && *env != '\0') path = env;
  fmt::print(stderr, "plan: probing run: {} {}\n", path, fmt::join(args.begin() + 1, args.end(), " "));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) return Internal("plan --probe: fork: {}", std::strerror(errno));
  if (pid == 0) {
    const int fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::dup2(fd, 1) < 0) ::_exit(126);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Aborted("plan --probe: the probing run ({} train ...) failed with {} (its messages are above)", path,
                   WIFEXITED(status) ? fmt::format("exit code {}", WEXITSTATUS(status)) : std::string("a signal"));
  }
  return out_file;
}

struct InferenceFlags {
  std::string source, function;
  double rate = 0, service_ms = 0, service_p99_ms = 0, window_s = 3600, cpu = 0, init_ms = -1, extra_ms = 0;
  int64_t peak_mb = -1;
  bool Given() const { return !source.empty() || service_ms > 0; }
};

// The inference profile: from a ledger or a load report, then the flags over it.
Result<train::InferenceWork> InferenceOf(const InferenceFlags& f, int threads) {
  train::InferenceWork w;
  if (!f.source.empty()) {
    SL_ASSIGN_OR_RETURN(report::ReportInput in, report::ReadReportInput(f.source));
    if (in.kind == report::InputKind::kLedger) {
      SL_ASSIGN_OR_RETURN(w, train::InferenceWorkFromLedger(in.invocations, f.function, threads));
    } else if (in.kind == report::InputKind::kLoadReport) {
      // The client's latencies: an upper bound of the handler's (they include HTTP and the gateway).
      const report::LoadGroup* row = nullptr;
      for (const auto& g : in.load.groups) {
        if (g.phase == "all" && g.tier == "function") row = &g;
      }
      for (const auto& g : in.load.groups) {
        if (row == nullptr && g.phase == "all" && g.tier == "all") row = &g;
      }
      if (row == nullptr || row->requests == 0) {
        return InvalidArgument("--inference {}: the load report has no 'all' row with requests", f.source);
      }
      w.service_ms = row->p50_ms;
      w.service_p99_ms = row->p99_ms;
      w.rate_per_s = row->throughput_per_s;
      w.source = fmt::format("load report {}: {} requests to the {} tier(s), p50 {:.2f} ms and p99 {:.2f} ms as the "
                             "client saw them (an upper bound of the handler's), {:.1f} requests/s",
                             f.source, row->requests, row->tier, row->p50_ms, row->p99_ms, row->throughput_per_s);
    } else {
      return InvalidArgument("--inference {}: a {}, not a ledger or a load report", f.source, report::InputKindName(in.kind));
    }
  } else {
    w.source = "given on the command line";
  }
  if (f.rate > 0) w.rate_per_s = f.rate;
  if (f.service_ms > 0) w.service_ms = f.service_ms;
  if (f.service_p99_ms > 0) w.service_p99_ms = f.service_p99_ms;
  if (f.cpu > 0) w.measured_cpu = f.cpu;
  if (f.init_ms >= 0) w.init_ms = f.init_ms;
  if (f.peak_mb >= 0) w.peak_mb = f.peak_mb;
  w.extra_ms = f.extra_ms;
  w.window_s = f.window_s;
  if (!(w.rate_per_s > 0)) {
    return InvalidArgument("inference: no request rate ({}); give --rate REQUESTS_PER_S", w.source);
  }
  if (!(w.service_ms > 0)) return InvalidArgument("inference: no service time; give --service-ms MS");
  return w;
}

// The prediction of one assignment (--provider/--memory with stage values) for the stages given.
Result<nlohmann::json> PredictAssignment(const std::string& providers_text, const std::string& memory_text,
                                         const train::TrainingStageWork* pre, const train::TrainingStageWork* trn,
                                         const train::PlanOptions& o, std::string* text) {
  const auto& stages = train::TrainingStages();
  SL_ASSIGN_OR_RETURN(auto providers, train::ResolveStageProviders(providers_text, stages, "--provider", "aws-lambda"));
  std::map<std::string, std::string> sizes;
  if (!memory_text.empty()) {
    SL_ASSIGN_OR_RETURN(sizes, train::ParseStageValues(memory_text, stages, "--memory"));
  }
  nlohmann::json j = nlohmann::json::object();
  double cost = 0, time = 0;
  for (const train::TrainingStageWork* w : {pre, trn}) {
    if (w == nullptr) continue;
    const faas::ProviderProfile& p = providers.at(w->stage).profile;
    int64_t mb = faas::NearestAllowedMemory(p, 1769);  // train's default --memory
    if (auto it = sizes.find(w->stage); it != sizes.end()) {
      try {
        mb = std::stoll(it->second);
      } catch (const std::exception&) {
        return InvalidArgument("--memory: {}='{}' is not a number of MB", w->stage, it->second);
      }
    }
    SL_ASSIGN_OR_RETURN(train::StageOption s, train::PredictTrainingStageAt(*w, p, mb, o));
    j[w->stage] = {{"provider", s.provider}, {"memory_mb", s.memory_mb}, {"time_s", s.time_s},
                   {"cost_usd", s.cost_usd}, {"invocations", s.invocations}, {"feasible", s.feasible}};
    *text += fmt::format("  {:<11} {:<24} {:>6} MB  {:.2f} s  ${:.8f}{}\n", w->stage, s.provider, s.memory_mb, s.time_s,
                         s.cost_usd, s.feasible ? "" : "  (" + s.why_not + ")");
    cost += s.cost_usd;
    time += s.time_s;
  }
  j["cost_usd"] = cost;
  j["training_time_s"] = time;
  *text += fmt::format("  training time {:.2f} s, cost ${:.8f}\n", time, cost);
  return j;
}

}  // namespace

int RunPlan(const Args& args) {
  FlagSet flags("straightline plan",
                "The cheapest provider per stage: from measured stage profiles (a training run's preprocessing and "
                "rounds; inference at a request rate), every provider's predicted time and cost per stage at every "
                "memory size, and the cheapest choice that meets --deadline (preprocessing + training) and "
                "--slo-p99-ms (inference), beside the best single-provider plan. Measured: the durations, init and "
                "peak memory of the profiles; from profiles/: CPU per memory, prices, billing rules, limits, cold "
                "starts, keep-alive.");
  std::string probe, stages_text, providers_text, memory_text;
  std::vector<std::string> runs, providers;
  InferenceFlags inf;
  double deadline = 0, slo = 0, timeout = 0;
  int64_t threads = 1;
  bool json = false;
  flags.List("run", &runs, "a serverless training run: report.json, its store (file://, s3://, gs://, az:// or a folder) "
                          "or `train --workers N --json` output; a second --run of the same job at another size "
                          "calibrates how much of each stage follows CPU");
  flags.String("probe", &probe, "instead of --run: make two short runs now with these train flags (the second at "
                                "another --memory, to calibrate), e.g. \"--dataset fashion-mnist --model logreg "
                                "--limit 2000\" (default --workers 2 --epochs 1)");
  flags.String("inference", &inf.source, "inference profile: a ledger with the predict function's invocations "
                                         "(serve --tiers function), or a `load --json-out` report");
  flags.String("inference-function", &inf.function, "the ledger's inference function (default: the one that is not training's)");
  flags.Double("rate", &inf.rate, "inference: requests per second (overrides the profile's)");
  flags.Double("service-ms", &inf.service_ms, "inference: mean handler duration in ms (overrides; alone: the profile)");
  flags.Double("service-p99-ms", &inf.service_p99_ms, "inference: p99 handler duration in ms (default: the mean)");
  flags.Double("service-vcpu", &inf.cpu, "inference: the vCPU the service times were measured at (default: from the "
                                         "ledger's size, else 1)");
  flags.Double("init-ms", &inf.init_ms, "inference: the function's own cold start in ms (loading the model)");
  flags.Int("inference-peak-mb", &inf.peak_mb, "inference: the function's peak memory in MB (sizes below it + 25 % are out)");
  flags.Double("extra-ms", &inf.extra_ms, "inference: latency beyond the handler (HTTP, gateway), added to the p99");
  flags.Double("window-s", &inf.window_s, "inference: how long the rate lasts, for its cost");
  flags.Double("deadline", &deadline, "preprocessing + training must finish within this many seconds (0: none)");
  flags.Double("slo-p99-ms", &slo, "inference: p99 latency objective in ms (0: none)");
  flags.List("providers", &providers, "function profiles to consider (default: every one in profiles/)");
  flags.String("stages", &stages_text, "stages to plan: preprocess,train,inference (default: those with a profile)");
  flags.Int("threads", &threads, "training threads per function (train's default: 1)");
  flags.Double("timeout", &timeout, "the functions' timeout in seconds (default: each provider's maximum)");
  flags.String("provider", &providers_text, "also predict this assignment: P or preprocess=P1,train=P2 (as train --provider)");
  flags.String("memory", &memory_text, "with --provider: MB or preprocess=MB,train=MB (as train --memory; default 1769 "
                                       "or the nearest size the provider allows)");
  flags.Bool("json", &json, "print the plan as JSON");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;

  runs = SplitCommaList(runs);
  if (!runs.empty() && !probe.empty()) return Fail(InvalidArgument("give --run or --probe, not both"));
  if (runs.size() > 2) return Fail(InvalidArgument("--run: at most two runs (the profile, and one at another size)"));
  std::vector<std::string> wanted = {"preprocess", "train", "inference"};
  if (!stages_text.empty()) {
    wanted.clear();
    for (const auto& s : SplitCommaList({stages_text})) {
      if (s != "preprocess" && s != "train" && s != "inference") {
        return Fail(InvalidArgument("--stages: unknown stage '{}' (stages: preprocess, train, inference)", s));
      }
      wanted.push_back(s);
    }
  }
  auto want = [&](const char* s) { return std::find(wanted.begin(), wanted.end(), s) != wanted.end(); };

  train::PlanOptions o;
  o.deadline_s = deadline;
  o.slo_p99_ms = slo;
  o.threads = static_cast<int>(std::max<int64_t>(threads, 1));
  o.timeout_s = timeout;
  for (const auto& p : SplitCommaList(providers)) o.providers.push_back(train::CanonicalProviderName(p));

  if (!probe.empty()) {
    auto first = RunProbe(probe, "1");
    if (!first.ok()) return Fail(first.status());
    runs.push_back(*first);
    // The second probing run at another size: how much of each stage follows CPU.
    auto in = report::ReadReportInput(*first);
    if (!in.ok()) return Fail(in.status());
    const int64_t other_mb = in->record.memory_mb >= 1024 ? 512 : 1769;
    auto second = RunProbe(probe + fmt::format(" --memory {}", other_mb), "2");
    if (!second.ok()) return Fail(second.status());
    runs.push_back(*second);
  }
  std::optional<train::TrainingStageWork> pre, trn;
  std::string run_note;
  if (!runs.empty() && (want("preprocess") || want("train"))) {
    for (size_t k = 0; k < runs.size(); ++k) {
      auto in = report::ReadReportInput(runs[k]);
      if (!in.ok()) return Fail(in.status());
      if (in->kind != report::InputKind::kTrainingRun) {
        return Fail(InvalidArgument("--run {}: a {}, not a training run (report.json, its store or `train --json`)",
                                    runs[k], report::InputKindName(in->kind)));
      }
      for (const char* stage : {"preprocess", "train"}) {
        if (!want(stage)) continue;
        auto w = std::string(stage) == "preprocess" ? train::PreprocessWorkOf(in->record, o.threads)
                                                    : train::TrainWorkOf(in->record, o.threads);
        if (!w.ok()) return Fail(w.status().WithContext("--run " + runs[k]));
        std::optional<train::TrainingStageWork>& slot = std::string(stage) == "preprocess" ? pre : trn;
        if (k == 0) {
          slot = std::move(*w);
        } else if (Status c = train::CalibrateCpuShare(&*slot, *w); !c.ok()) {
          return Fail(c.WithContext("--run " + runs[k]));
        }
      }
      if (k == 0) {
        run_note = fmt::format("training run {} (job {}, {} workers, {} rounds; preprocessing under {} at {} MB, "
                               "training under {} at {} MB)",
                               runs[k], in->record.job_id, in->record.workers, in->record.rounds.size(),
                               in->record.PreprocessProvider(), in->record.PreprocessMemoryMb(), in->record.provider,
                               in->record.memory_mb);
      } else {
        run_note += fmt::format("; calibrated by {} (preprocessing at {} MB under {}, training at {} MB under {})",
                                runs[k], in->record.PreprocessMemoryMb(), in->record.PreprocessProvider(),
                                in->record.memory_mb, in->record.provider);
      }
    }
  } else if (runs.empty() && !stages_text.empty() && (want("preprocess") || want("train"))) {
    return Fail(InvalidArgument("--stages {}: the training stages need --run or --probe", stages_text));
  }
  std::optional<train::InferenceWork> inference;
  if (want("inference") && inf.Given()) {
    auto w = InferenceOf(inf, o.threads);
    if (!w.ok()) return Fail(w.status());
    inference = std::move(*w);
  } else if (want("inference") && !stages_text.empty()) {
    return Fail(InvalidArgument("--stages {}: inference needs --inference or --service-ms and --rate", stages_text));
  }
  if (!pre && !trn && !inference) {
    return Fail(InvalidArgument("nothing to plan: give --run (or --probe) for the training stages and/or --inference "
                                "(or --service-ms and --rate) for inference"));
  }

  auto plan = train::PlanStages(pre ? &*pre : nullptr, trn ? &*trn : nullptr, inference ? &*inference : nullptr, o);
  if (!plan.ok()) return Fail(plan.status());
  nlohmann::json assignment;
  std::string assignment_text;
  if (!providers_text.empty()) {
    if (!pre && !trn) return Fail(InvalidArgument("--provider predicts the training stages: give --run or --probe"));
    auto a = PredictAssignment(providers_text, memory_text, pre ? &*pre : nullptr, trn ? &*trn : nullptr, o,
                               &assignment_text);
    if (!a.ok()) return Fail(a.status());
    assignment = std::move(*a);
  } else if (!memory_text.empty()) {
    return Fail(InvalidArgument("--memory goes with --provider (the assignment to predict)"));
  }

  if (json) {
    nlohmann::json j = train::StagePlanJson(*plan);
    j["sources"] = {{"training", run_note}, {"inference", inference ? inference->source : ""}};
    if (!assignment.is_null()) j["assignment"] = assignment;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  if (!run_note.empty()) fmt::print("training stages from {}\n", run_note);
  fmt::print("{}", train::StagePlanText(*plan));
  if (!assignment.is_null()) fmt::print("\nprediction for --provider {}{}:\n{}", providers_text,
                                        memory_text.empty() ? "" : " --memory " + memory_text, assignment_text);
  return 0;
}

}  // namespace sl::cli

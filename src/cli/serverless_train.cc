// The serverless path of `straightline train`: a function host (--platform), the coordinator
// (train/coordinator.h), live progress, the run report, and the provider comparison.
#include "cli/serverless_train.h"

#include <algorithm>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "faas/economics/pricing.h"
#include "faas/economics/provider_profile.h"
#include "faas/economics/transfer_pricing.h"
#include "cli/function_host_flags.h"
#include "faas/platform.h"
#include "ml/data/registry.h"
#include "store/function_env.h"
#include "train/serverless_defaults.h"
#include "train/coordinator.h"
#include "train/planner.h"
#include "train/report/provider_comparison.h"
#include "train/report/stage_providers.h"
#include "train/run_report.h"

namespace sl::cli {
namespace {

std::string DefaultRunDir(const ml::TrainOptions& o) {
  std::time_t t = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&t));
  std::string model = o.model.empty() ? "model" : o.model;
  return (std::filesystem::current_path() / "runs" / fmt::format("{}-{}-{}", o.data.name, model, stamp)).string();
}

// The platform's state goes next to a file store's data, or under ./.straightline otherwise.
std::string StateDirFor(const std::string& store_uri, const std::string& flag) {
  if (!flag.empty()) return flag;
  if (store_uri.rfind("file://", 0) == 0) return store_uri.substr(7) + "-platform";
  return ".straightline/train-platform";
}

Result<int64_t> ParseKeepRounds(const std::string& text) {
  if (text == "all") return int64_t{-1};
  try {
    size_t used = 0;
    const int64_t n = std::stoll(text, &used);
    if (used == text.size() && n >= 0) return n;
  } catch (const std::exception&) {
  }
  return InvalidArgument("--keep-rounds: '{}' is not a number of rounds (>= 0) or 'all'", text);
}

// Where the job's objects are and how much is left there.
std::string StoreUsageLine(const std::string& store_uri, const train::TrainingResult& r) {
  const double b = static_cast<double>(r.store_bytes);
  const std::string size = b >= (1 << 20) ? fmt::format("{:.1f} MB", b / (1 << 20)) : fmt::format("{:.1f} KB", b / 1024);
  std::string line = fmt::format("store: {} holds {} in {} objects", store_uri, size, r.store_objects);
  if (r.deleted_objects > 0) {
    line += fmt::format(" ({} objects of finished rounds and the shards deleted; --keep-rounds N|all keeps them)",
                        r.deleted_objects);
  }
  return line;
}

struct LiveProgress {
  bool quiet = false;
  bool tty = isatty(2) != 0;
  bool live_shown = false;
  void operator()(const train::TrainProgressEvent& e) {
    if (quiet || e.kind == train::TrainProgressEvent::Kind::kCheckpointed) return;
    if (e.kind == train::TrainProgressEvent::Kind::kLive) {
      if (!tty) return;
      fmt::print(stderr, "\r\033[K{}", e.text);
      live_shown = true;
      return;
    }
    if (live_shown) fmt::print(stderr, "\r\033[K");
    live_shown = false;
    fmt::print(stderr, "{}\n", e.text);
  }
};

Result<train::TrainingResult> RunOne(const train::JobSpec& spec, const std::string& store_uri, bool resume,
                                     const ServerlessTrainFlags& f, LiveProgress* progress, std::string* ledger,
                                     int64_t resume_memory_mb = 0) {
  faas::PlatformOptions po;
  po.state_dir = StateDirFor(store_uri, f.state_dir);
  po.local_cpus = f.local_cpus;
  SL_ASSIGN_OR_RETURN(const FunctionHostFlags where, f.host.Resolved());
  if (where.remote() && store_uri.rfind("file://", 0) == 0) {
    return InvalidArgument("--platform {}: the functions run on another machine and cannot read the file "
                           "store {}; use a store both sides reach (--store s3://BUCKET/PREFIX, gs://BUCKET/PREFIX or az://ACCOUNT/CONTAINER/PREFIX)",
                           where.platform, store_uri);
  }
  const std::string provider = spec.provider.empty() ? f.provider : spec.provider;
  SL_ASSIGN_OR_RETURN(cli::OpenedFunctionHost host, OpenFunctionHost(where, po, provider));
  *ledger = host.ledger_path;
  if (!progress->quiet) fmt::print(stderr, "{}\n", host.description);
  train::CoordinatorOptions co;
  co.store_uri = store_uri;
  // The store's endpoint and credentials as the functions read them (STRAIGHTLINE_STORE_*, S3 and
  // Azure alike; store/function_env.h).
  co.function_environment = store::StoreEnvironmentForFunctions();
  co.resume = resume;
  co.resume_memory_mb = resume_memory_mb;
  SL_ASSIGN_OR_RETURN(co.keep_rounds, ParseKeepRounds(f.keep_rounds));
  co.functions = host.host.get();
  co.on_progress = [progress](const train::TrainProgressEvent& e) { (*progress)(e); };
  SL_ASSIGN_OR_RETURN(train::TrainingResult r, train::RunServerlessTraining(spec, co));
  if (!progress->quiet) fmt::print(stderr, "{}\n", StoreUsageLine(store_uri, r));
  return r;
}

Result<int64_t> ParseMemoryMb(const std::string& text) {
  try {
    size_t used = 0;
    const int64_t mb = std::stoll(text, &used);
    if (used == text.size()) return mb;
  } catch (const std::exception&) {
  }
  return InvalidArgument("--memory: '{}' is not a number of MB or 'auto'", text);
}

// The run report's sums, with the provider's emulated cold-start overhead and the store
// transfer's prices when the profiles load.
train::RunSummary SummaryOf(const train::RunRecord& record, const ServerlessTrainFlags& f) {
  auto profile = faas::LoadProviderProfile(record.provider);
  auto pre_profile = faas::LoadProviderProfile(record.PreprocessProvider());
  auto store_cloud = faas::LoadStoreCloudProfile(faas::CloudOfStoreUri(record.store));
  const faas::ProviderProfile* store_prices = store_cloud.ok() && store_cloud->has_value() ? &**store_cloud : nullptr;
  return train::Summarize(record, f.local_cpus > 0 ? f.local_cpus : sysconf(_SC_NPROCESSORS_ONLN),
                          profile.ok() ? &*profile : nullptr, store_prices, pre_profile.ok() ? &*pre_profile : nullptr);
}

// --memory's default (ServerlessTrainFlags::memory): Lambda's 1 vCPU, what one training thread uses.
constexpr int64_t kDefaultMemoryMb = 1769;

// --provider and --memory, each a plain value or STAGE=VALUE,... (train/report/stage_providers.h):
// the providers and sizes of the job's two stages. A stage whose size is not given gets the
// default --memory at the nearest size its provider allows.
Status ApplyStageFlags(const ServerlessTrainFlags& f, const FlagSet& flags, train::JobSpec* spec) {
  const auto& stages = train::TrainingStages();
  auto resolved = train::ResolveStageProviders(f.provider, stages, "--provider", "aws-lambda");
  // An unknown provider name is bad usage (exit 2), as a bad stage name is.
  if (!resolved.ok()) return InvalidArgument("{}", resolved.status().message());
  auto& providers = *resolved;
  const train::StageProvider& pre = providers.at("preprocess");
  const train::StageProvider& trn = providers.at("train");
  spec->provider = trn.argument;
  spec->preprocess_provider = pre.argument == trn.argument ? "" : pre.argument;
  std::map<std::string, std::string> sizes;
  if (flags.IsSet("memory") && f.memory != "auto") {
    SL_ASSIGN_OR_RETURN(sizes, train::ParseStageValues(f.memory, stages, "--memory"));
  }
  std::map<std::string, int64_t> mb;
  for (const auto& stage : stages) {
    const faas::ProviderProfile& p = providers.at(stage).profile;
    auto it = sizes.find(stage);
    if (it == sizes.end()) {
      mb[stage] = faas::NearestAllowedMemory(p, kDefaultMemoryMb);
      continue;
    }
    if (it->second == "auto") {
      return InvalidArgument("--memory: 'auto' is for the whole job (--memory auto); per stage give MB, or let "
                             "`straightline plan` choose each stage's provider and size");
    }
    SL_ASSIGN_OR_RETURN(mb[stage], ParseMemoryMb(it->second));
  }
  spec->memory_mb = mb.at("train");
  spec->preprocess_memory_mb = mb.at("preprocess") == mb.at("train") ? 0 : mb.at("preprocess");
  return Status::Ok();
}

bool MixedStages(const train::JobSpec& spec) {
  return spec.PreprocessProvider() != spec.provider || spec.PreprocessMemoryMb() != spec.memory_mb;
}

int Fail(const Status& s) {
  fmt::print(stderr, "straightline train: {}\n", s.ToString());
  return s.code() == Code::kInvalidArgument ? 2 : 1;
}

// The paper's Tables 1 and 2: time and cost per provider per task, plus always-on VMs
// (train/report/provider_comparison.h); each provider's job runs in its own store.
int CompareProviders(const train::JobSpec& base, const std::string& base_store, const ServerlessTrainFlags& f,
                     LiveProgress* progress, bool json) {
  auto run = [&](const faas::ProviderProfile& profile) -> Result<train::RunRecord> {
    train::JobSpec spec = base;
    spec.job_id.clear();
    spec.provider = profile.name;
    spec.memory_mb = faas::NearestAllowedMemory(profile, base.memory_mb);
    if (profile.max_timeout_s > 0) spec.timeout_s = std::min(spec.timeout_s, profile.max_timeout_s);
    spec.out_dir.clear();
    if (!progress->quiet) {
      fmt::print(stderr, "\n=== {} ({}): {} MB = {:.2f} vCPU ===\n", profile.name, profile.display_name,
                 spec.memory_mb, faas::VcpuForMemory(profile, spec.memory_mb));
    }
    std::string ledger;
    SL_ASSIGN_OR_RETURN(train::TrainingResult r, RunOne(spec, base_store + "/" + profile.name, false, f, progress, &ledger));
    return std::move(r.record);
  };
  auto c = train::CompareProviders(SplitCommaList(f.compare_providers), run,
                                   f.local_cpus > 0 ? f.local_cpus : sysconf(_SC_NPROCESSORS_ONLN));
  if (!c.ok()) return Fail(c.status());
  if (json) {
    fmt::print("{}\n", train::ProviderComparisonJson(*c).dump(2));
  } else {
    fmt::print("\n{}", train::ProviderComparisonText(*c));
  }
  return 0;
}

}  // namespace

namespace {

// The train split's expected size before the data is loaded: the dataset's standard train pool
// less the validation share, or --limit; 0 when unknown.
int64_t ExpectedTrainSamples(const ml::data::DatasetOptions& data) {
  int64_t pool = 0;
  for (const auto& info : ml::data::KnownDatasets()) {
    if (info.name == data.name) pool = info.nominal_train_pool;
  }
  int64_t n = pool > 0 ? static_cast<int64_t>(static_cast<double>(pool) * (1.0 - data.validation_fraction)) : 0;
  if (data.train_limit > 0) n = n > 0 ? std::min(n, data.train_limit) : data.train_limit;
  return n;
}

}  // namespace

void ServerlessTrainFlags::Register(FlagSet& flags) {
  flags.Int("workers", &workers, "serverless training: functions (shards) per round; 0 = train in this process");
  flags.String("provider", &provider, "serverless: provider profile the functions run under (profiles/*.yaml), or one per "
               "stage: preprocess=P1,train=P2 (the embedded platform emulates each; `straightline plan` suggests them)");
  flags.String("memory", &memory, "serverless: function memory in MB, 'auto' (cheapest size for --deadline), or per "
               "stage: preprocess=MB,train=MB (default 1769, or the nearest size the stage's provider allows)");
  flags.Double("deadline", &deadline_s, "serverless, --memory auto: the job should finish within this many seconds");
  flags.Double("timeout", &timeout_s, "serverless: function timeout in seconds");
  flags.Int("rounds-per-epoch", &rounds_per_epoch, "serverless: averaging rounds per epoch (each trains on 1/R of every shard; default: from the workers and the data size, train/serverless_defaults.h)");
  flags.Double("server-lr", &server_lr,
               "serverless: the coordinator's step along each round's averaged change (1: plain FedAvg)");
  flags.Double("server-momentum", &server_momentum,
               "serverless: momentum of the coordinator's step across rounds (FedAvgM; 0: off; default: 0.5 from 2 workers on)");
  flags.String("lr-schedule", &lr_schedule,
               "serverless: the functions' learning rate over the job's rounds: tail (constant, then decaying "
               "linearly to ~0 over the last quarter; default), cosine (decaying over the whole job) or constant");
  flags.Int("evaluate-every", &evaluate_every,
            "serverless: score the validation split every N rounds (0: at the end of every epoch; "
            "each scoring pauses the job)");
  flags.Int("max-retries", &max_retries, "serverless: re-invocations per shard per round before the job stops");
  flags.Double("speculative-after", &speculative_after,
               "serverless: back up a shard running longer than this × the round's median (0 = off)");
  flags.String("store", &store, "serverless: object store for shards, models, updates: file:///DIR, s3://BUCKET/PREFIX, gs://BUCKET/PREFIX "
               "or az://ACCOUNT/CONTAINER/PREFIX (default file://$PWD/runs/...)");
  flags.String("resume", &resume, "serverless: continue the job in this store from its last completed round");
  flags.String("keep-rounds", &keep_rounds,
               "serverless: also keep the last N rounds' models and updates in the store, or 'all' (default: only "
               "what a resume needs; a finished job keeps its final model, checkpoint, round records and report)");
  flags.List("compare-providers", &compare_providers,
             "serverless: run the same job under each of these profiles and compare time and cost");
  flags.List("inject-fault", &faults,
             "serverless, for tests and demonstrations: KIND:SHARD[:ATTEMPT[:ROUND]], KIND = crash|hang|fail|oom|corrupt|slow");
  flags.String("state-dir", &state_dir, "serverless: platform logs and ledger (default: next to a file store)");
  flags.Double("local-cpus", &local_cpus, "serverless: vCPUs of functions running at once here (0: all cores)");
  host.Define(flags);
}

int RunServerlessTrain(const ml::TrainOptions& o, const ServerlessTrainFlags& f, const FlagSet& flags, bool json,
                       bool quiet) {
  LiveProgress progress;
  progress.quiet = quiet;
  std::string ledger;
  if (!f.resume.empty()) {
    train::JobSpec override_spec;
    if (flags.IsSet("out")) override_spec.out_dir = o.out_dir;
    int64_t memory_mb = 0;  // 0: the job's
    if (flags.IsSet("memory")) {
      if (f.memory == "auto") {
        return Fail(InvalidArgument("--resume: --memory auto is not supported (the planner plans a new job); "
                                    "give a size in MB, e.g. --memory 1024"));
      }
      auto parsed = ParseMemoryMb(f.memory);
      if (!parsed.ok()) return Fail(parsed.status());
      memory_mb = *parsed;
    }
    auto r = RunOne(override_spec, f.resume, true, f, &progress, &ledger, memory_mb);
    if (!r.ok()) return Fail(r.status());
    train::RunSummary s = SummaryOf(r->record, f);
    if (json) {
      nlohmann::json j = train::RunReportJson(r->record, s);
      j["artifact"] = r->artifact_dir;
      j["store"] = f.resume;
      j["store_bytes"] = r->store_bytes;
      j["store_objects"] = r->store_objects;
      j["ledger"] = ledger;
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print("{}", train::RunReportText(r->record, s));
      if (!r->artifact_dir.empty()) fmt::print("artifact: {}\n", r->artifact_dir);
      fmt::print("store: {}\nledger: {}\n", f.resume, ledger);
    }
    return 0;
  }

  train::JobSpec spec;
  spec.data = o.data;
  spec.model_name = o.model;
  spec.hparams = o.hparams;
  spec.local = o.train;
  spec.local.epochs = 1;
  spec.local.max_steps = 0;
  if (spec.local.threads == 0) spec.local.threads = 1;  // functions run side by side on this machine
  spec.workers = f.workers;
  spec.epochs = o.train.epochs;
  spec.rounds_per_epoch = f.rounds_per_epoch;
  spec.evaluate_every = f.evaluate_every;
  spec.server.lr = f.server_lr;
  spec.server.momentum = f.server_momentum;
  spec.lr_schedule = f.lr_schedule;
  std::string defaults_line;  // printed once the flags have been checked
  {
    // What the user did not choose follows the workers and the data size
    // (train/serverless_defaults.h); what they chose stays.
    const train::ServerlessDefaults d =
        train::ChooseServerlessDefaults(f.workers, ExpectedTrainSamples(o.data), o.train.batch_size, o.train.lr);
    std::vector<std::string> applied;
    auto apply = [&](const char* flag, const std::string& note, auto* field, auto value) {
      if (flags.IsSet(flag)) return;
      *field = value;
      applied.push_back(note);
    };
    apply("lr", d.lr_note, &spec.local.lr, d.lr);
    apply("server-momentum", d.momentum_note, &spec.server.momentum, d.server_momentum);
    apply("rounds-per-epoch", d.rounds_note, &spec.rounds_per_epoch, d.rounds_per_epoch);
    apply("lr-schedule", d.schedule_note, &spec.lr_schedule, d.lr_schedule);
    if (!applied.empty()) {
      defaults_line = fmt::format("serverless defaults for {} workers: {} (flags you give win)\n", f.workers,
                                  fmt::join(applied, ", "));
    }
  }
  if (Status st = ApplyStageFlags(f, flags, &spec); !st.ok()) return Fail(st);
  spec.timeout_s = f.timeout_s;
  spec.max_retries = f.max_retries;
  spec.speculative_after = f.speculative_after;
  spec.out_dir = flags.IsSet("out") ? o.out_dir : o.out_dir + "-sls";
  for (const auto& text : f.faults) {
    auto fault = train::FaultInjection::Parse(text);
    if (!fault.ok()) return Fail(fault.status());
    spec.faults.push_back(*fault);
  }
  std::string store = f.store.empty() ? "file://" + DefaultRunDir(o) : f.store;

  if (MixedStages(spec)) {
    if (f.memory == "auto") {
      return Fail(InvalidArgument("--memory auto plans one provider for the whole job; with --provider {} give "
                                  "sizes (--memory preprocess=MB,train=MB) or let `straightline plan` choose them",
                                  f.provider));
    }
    if (!f.compare_providers.empty()) {
      return Fail(InvalidArgument("--compare-providers runs the whole job under each provider; it does not combine "
                                  "with --provider {} (per stage)", f.provider));
    }
    auto where = f.host.Resolved();
    if (where.ok() && where->remote()) {
      return Fail(InvalidArgument("--provider {}: stages under different providers run on the embedded platform "
                                  "(--platform local), which emulates each profile; --platform {} is one provider's",
                                  f.provider, where->platform));
    }
  }
  if (f.memory == "auto") {
    train::PlanInput in;
    in.spec = spec;
    in.deadline_s = f.deadline_s;
    auto plan = train::PlanMemory(in);
    if (!plan.ok()) return Fail(plan.status());
    if (!quiet) {
      for (const auto& line : plan->reasoning) fmt::print(stderr, "planner: {}\n", line);
    }
    spec.memory_mb = plan->memory_mb;
    spec.rounds_per_epoch = plan->rounds_per_epoch;
  }
  if (Status s = spec.Validate(); !s.ok()) return Fail(s);
  if (!quiet) fmt::print(stderr, "{}", defaults_line);

  if (!f.compare_providers.empty()) return CompareProviders(spec, store, f, &progress, json);

  if (!quiet) fmt::print(stderr, "store: {}\n", store);
  auto r = RunOne(spec, store, false, f, &progress, &ledger);
  if (!r.ok()) {
    Status s = r.status();
    if (!quiet && s.code() != Code::kInvalidArgument && s.code() != Code::kAlreadyExists) {
      // Out of memory again and again: the same size would fail the same way on resume.
      std::string memory_hint;
      if (s.message().find(train::AttemptOutcomeName(train::AttemptOutcome::kOutOfMemory)) != std::string::npos) {
        auto profile = faas::LoadProviderProfile(spec.provider);
        const int64_t more = profile.ok() ? faas::NearestAllowedMemory(*profile, 2 * spec.memory_mb) : 2 * spec.memory_mb;
        memory_hint = fmt::format(" --memory {}  (or more: attempts ran out of memory at {} MB)", more, spec.memory_mb);
      }
      fmt::print(stderr, "the last checkpoint is kept; continue with: straightline train --resume {}{}\n", store,
                 memory_hint);
    }
    return Fail(s);
  }
  train::RunSummary s = SummaryOf(r->record, f);
  if (json) {
    nlohmann::json j = train::RunReportJson(r->record, s);
    j["artifact"] = r->artifact_dir;
    j["store"] = store;
    j["store_bytes"] = r->store_bytes;
    j["store_objects"] = r->store_objects;
    j["ledger"] = ledger;
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}", train::RunReportText(r->record, s));
    if (!r->artifact_dir.empty()) fmt::print("artifact: {}\n", r->artifact_dir);
    fmt::print("store: {}\nledger: {}  (straightline cost --ledger {})\n", store, ledger, ledger);
  }
  return 0;
}

}  // namespace sl::cli

// `straightline eval`: accuracy, per-class accuracy and confusion matrix of a model artifact on
// a dataset split; --kfold K adds K-fold cross-validation of its architecture.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/flags.h"
#include "ml/artifact.h"
#include "ml/eval_job.h"
#include "ml/progress.h"

namespace sl::cli {

int RunEval(const Args& args) {
  FlagSet flags("straightline eval",
                "Evaluate a model artifact: accuracy, per-class accuracy, confusion matrix; "
                "--kfold K also cross-validates its architecture on the train split.");
  ml::EvalOptions o;
  int64_t threads = 0, kfold_epochs = 0;
  bool json = false, quiet = false;
  flags.String("model", &o.model_dir, "model artifact directory (required)");
  flags.String("dataset", &o.dataset, "dataset name (default: the one the model was trained on)");
  flags.String("data-dir", &o.data_dir, "dataset directory (default: the dataset's default location)");
  flags.String("split", &o.split, "test | validation | train");
  flags.Int("limit", &o.limit, "evaluate at most this many samples (0: all)");
  flags.Int("kfold", &o.kfold, "K >= 2: run K-fold cross-validation on the train split (0: off)");
  flags.Int("kfold-limit", &o.kfold_limit, "cross-validate on at most this many train samples (0: all)");
  flags.Int("kfold-epochs", &kfold_epochs, "epochs per fold (0: the artifact's training epochs)");
  flags.Int("threads", &threads, "libtorch intra-op threads for k-fold training (0: as trained)");
  flags.Bool("json", &json, "print the report as JSON on stdout");
  flags.Bool("quiet", &quiet, "no progress display");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (o.model_dir.empty()) {
    fmt::print(stderr, "straightline eval: --model: required (a model artifact directory)\n");
    return 2;
  }
  if (kfold_epochs > 0 || threads > 0) {
    // Start from the artifact's training config and override what was asked.
    Result<ml::Artifact> a = ml::ReadArtifact(o.model_dir);
    if (!a.ok()) {
      fmt::print(stderr, "straightline eval: {}\n", a.status().ToString());
      return 1;
    }
    Result<ml::TrainConfig> c = ml::TrainConfig::FromJson(
        a->manifest.training.value("config", nlohmann::json::object()), o.model_dir);
    ml::TrainConfig config = c.ok() ? *c : ml::TrainConfig();
    if (kfold_epochs > 0) config.epochs = kfold_epochs;
    if (threads > 0) config.threads = static_cast<int>(threads);
    o.kfold_train = config;
  }
  ml::ConsoleProgress progress(stderr);
  Result<ml::EvalJobReport> r = ml::EvaluateArtifact(o, quiet ? nullptr : &progress);
  if (!r.ok()) {
    fmt::print(stderr, "straightline eval: {}\n", r.status().ToString());
    return r.status().code() == Code::kInvalidArgument ? 2 : 1;
  }
  if (json) {
    fmt::print("{}\n", r->ToJson().dump(2));
  } else {
    fmt::print("{}", r->ToText());
  }
  return 0;
}

}  // namespace sl::cli

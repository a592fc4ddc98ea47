#include "ml/data/text_corpus.h"

#include <algorithm>
#include <filesystem>

namespace sl::ml::data {

Dataset FeaturizeCorpus(const TextCorpus& corpus, const TextFeaturizer& featurizer,
                        const std::string& dataset_name) {
  Dataset d;
  d.name = dataset_name;
  d.kind = SampleKind::kTokens;
  d.vocab_size = featurizer.config().vocab_size;
  d.class_names = corpus.class_names;
  d.labels = corpus.labels;
  d.token_offsets.reserve(corpus.texts.size() + 1);
  d.token_offsets.push_back(0);
  for (const auto& text : corpus.texts) {
    featurizer.FeaturizeInto(text, d.tokens);
    d.token_offsets.push_back(static_cast<int64_t>(d.tokens.size()));
  }
  return d;
}

Result<std::vector<std::string>> ListFiles(const std::string& dir, const std::string& suffix) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound("{}: no such directory", dir);
  std::vector<std::string> names;
  fs::directory_iterator it(dir, ec);
  if (ec) return ErrnoError(ec.value(), dir);
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return ErrnoError(ec.value(), dir);
    const std::string name = it->path().filename().string();
    if (name.size() >= suffix.size() && name.ends_with(suffix) && it->is_regular_file(ec)) {
      names.push_back(name);
    }
  }
  if (ec) return ErrnoError(ec.value(), dir);
  if (names.empty()) return InvalidArgument("{}: empty folder: no *{} files", dir, suffix);
  std::sort(names.begin(), names.end());
  for (auto& n : names) n = dir + "/" + n;
  return names;
}

}  // namespace sl::ml::data

#include "ml/data/aclimdb.h"

#include "common/file_util.h"

namespace sl::ml::data {

Result<TextCorpus> LoadAclImdbSplit(const std::string& root, const std::string& split) {
  if (!IsDirectory(root)) return NotFound("{}: aclImdb directory does not exist", root);
  TextCorpus c;
  c.class_names = {"neg", "pos"};
  const char* kDirs[] = {"neg", "pos"};
  for (int64_t label = 0; label < 2; ++label) {
    const std::string dir = root + "/" + split + "/" + kDirs[label];
    SL_ASSIGN_OR_RETURN(std::vector<std::string> files, ListFiles(dir, ".txt"));
    for (auto& f : files) {
      SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(f));
      c.texts.push_back(std::move(text));
      c.labels.push_back(label);
      c.sources.push_back(std::move(f));
    }
  }
  return c;
}

}  // namespace sl::ml::data

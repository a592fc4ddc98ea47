// The aclImdb folder layout (Maas et al. 2011, Large Movie Review Dataset):
//   <root>/train/pos/*.txt  <root>/train/neg/*.txt  <root>/test/pos/*.txt  <root>/test/neg/*.txt
// one review per file. Labels: neg = 0, pos = 1. Other entries (train/unsup, *.feat, urls_*.txt)
// are ignored. Files are read in name order so the result is independent of directory order.
//
// Failure contract (errors name the path): NOT_FOUND for a missing root or pos/neg folder,
// INVALID_ARGUMENT "empty folder" for a pos/neg folder without .txt files, the errno error of
// an unreadable file. Never a silently smaller corpus.
// Thread safety: stateless.
#pragma once

#include <string>

#include "common/status.h"
#include "ml/data/text_corpus.h"

namespace sl::ml::data {

// `split` is "train" or "test".
Result<TextCorpus> LoadAclImdbSplit(const std::string& root, const std::string& split);

}  // namespace sl::ml::data

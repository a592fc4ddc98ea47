// ReadMaybeGzipFile: the whole content of a file, transparently gunzipped when it starts with
// the gzip magic (1f 8b), so every loader accepts `x` and `x.gz` alike. Concatenated gzip
// members are decoded in sequence (as gzip(1) does).
//
// Failure contract: NOT_FOUND / PERMISSION_DENIED naming the path for an unreadable file;
// DATA_LOSS "path: corrupt gzip at compressed byte N: <zlib message>" for a damaged or
// truncated stream — never a partial buffer.
// Thread safety: stateless.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace sl::ml::data {

Result<std::string> ReadMaybeGzipFile(const std::string& path);

// The first existing path of `candidates`; NOT_FOUND listing all of them otherwise.
Result<std::string> FirstExisting(const std::vector<std::string>& candidates, std::string_view what);

}  // namespace sl::ml::data

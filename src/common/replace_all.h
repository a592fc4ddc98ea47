// ReplaceAll: every occurrence of `key` in `text` replaced by `value`, scanning left to right and
// never re-reading inserted text (a value that contains the key does not loop). Used to fill
// command templates ("{port}", "{token_file}", ...). An empty key returns `text` unchanged.
// Thread safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace sl {

inline std::string ReplaceAll(std::string text, std::string_view key, std::string_view value) {
  if (key.empty()) return text;
  for (size_t pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + value.size())) {
    text.replace(pos, key.size(), value);
  }
  return text;
}

}  // namespace sl

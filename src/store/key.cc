#include "store/key.h"

namespace sl::store {

std::string PrintableKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

namespace {

Status CheckBytes(std::string_view what, std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return InvalidArgument("{} '{}': NUL byte at offset {}", what, PrintableKey(s), i);
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument("{} '{}': control byte 0x{:02x} at offset {}", what, PrintableKey(s), c, i);
    }
  }
  if (!s.empty() && s.front() == '/') {
    return InvalidArgument("{} '{}': absolute paths are not keys (leading '/')", what, PrintableKey(s));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("empty key");
  if (key.size() > kMaxKeyBytes) {
    return InvalidArgument("key '{}...': {} bytes, longer than the limit of {}", PrintableKey(key.substr(0, 64)),
                           key.size(), kMaxKeyBytes);
  }
  SL_RETURN_IF_ERROR(CheckBytes("key", key));
  size_t start = 0;
  while (true) {
    size_t end = key.find('/', start);
    std::string_view seg = key.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (seg.empty()) return InvalidArgument("key '{}': empty path segment at offset {}", PrintableKey(key), start);
    if (seg == "." || seg == "..") {
      return InvalidArgument("key '{}': '{}' segment at offset {} would escape the store", PrintableKey(key), seg,
                             start);
    }
    if (seg.starts_with(".sl-")) {
      return InvalidArgument("key '{}': segment '{}' is reserved (names starting with '.sl-' belong to the store)",
                             PrintableKey(key), seg);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return Status::Ok();
}

Status ValidatePrefix(std::string_view prefix) {
  if (prefix.size() > kMaxKeyBytes) return InvalidArgument("prefix longer than {} bytes", kMaxKeyBytes);
  SL_RETURN_IF_ERROR(CheckBytes("prefix", prefix));
  size_t start = 0;
  while (start <= prefix.size()) {
    size_t end = prefix.find('/', start);
    if (end == std::string_view::npos) break;  // the last, possibly partial, segment is a filter only
    std::string_view seg = prefix.substr(start, end - start);
    if (seg == "." || seg == "..") {
      return InvalidArgument("prefix '{}': '{}' segment would escape the store", PrintableKey(prefix), seg);
    }
    if (seg.empty()) return InvalidArgument("prefix '{}': empty path segment at offset {}", PrintableKey(prefix), start);
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace sl::store

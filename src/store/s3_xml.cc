#include "store/s3_xml.h"

#include <charconv>
#include <cstring>
#include <ctime>
#include <limits>

namespace sl::store {
namespace {

// Finds the next start tag <name ...> or <prefix:name ...> at/after pos. Returns the position
// just after '>' and sets self_closing; npos if none.
size_t FindOpen(std::string_view xml, std::string_view name, size_t pos, size_t* tag_start, bool* self_closing) {
  while (true) {
    size_t lt = xml.find('<', pos);
    if (lt == std::string_view::npos) return std::string_view::npos;
    size_t p = lt + 1;
    size_t gt = xml.find('>', p);
    if (gt == std::string_view::npos) return std::string_view::npos;
    if (p < xml.size() && (xml[p] == '/' || xml[p] == '?' || xml[p] == '!')) {
      pos = gt + 1;
      continue;
    }
    size_t end_name = p;
    while (end_name < gt && xml[end_name] != ' ' && xml[end_name] != '\t' && xml[end_name] != '\n' &&
           xml[end_name] != '\r' && xml[end_name] != '/')
      ++end_name;
    std::string_view tag = xml.substr(p, end_name - p);
    if (size_t colon = tag.find(':'); colon != std::string_view::npos) tag = tag.substr(colon + 1);
    if (tag == name) {
      *tag_start = lt;
      *self_closing = xml[gt - 1] == '/';
      return gt + 1;
    }
    pos = gt + 1;
  }
}

// Finds the matching end tag for an element of `name` whose content starts at `from`, allowing
// nested elements of the same name. Returns the position of "</"; sets *after past '>'.
size_t FindClose(std::string_view xml, std::string_view name, size_t from, size_t* after) {
  int depth = 1;
  size_t pos = from;
  while (pos < xml.size()) {
    size_t lt = xml.find('<', pos);
    if (lt == std::string_view::npos) return std::string_view::npos;
    size_t gt = xml.find('>', lt);
    if (gt == std::string_view::npos) return std::string_view::npos;
    bool closing = lt + 1 < xml.size() && xml[lt + 1] == '/';
    size_t ns = lt + (closing ? 2 : 1);
    size_t ne = ns;
    while (ne < gt && xml[ne] != ' ' && xml[ne] != '/' && xml[ne] != '\t' && xml[ne] != '\n' && xml[ne] != '\r') ++ne;
    std::string_view tag = xml.substr(ns, ne - ns);
    if (size_t colon = tag.find(':'); colon != std::string_view::npos) tag = tag.substr(colon + 1);
    if (tag == name) {
      if (closing) {
        if (--depth == 0) {
          *after = gt + 1;
          return lt;
        }
      } else if (xml[gt - 1] != '/') {
        ++depth;
      }
    }
    pos = gt + 1;
  }
  return std::string_view::npos;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string StripQuotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// A WallTime counts nanoseconds in an int64: years past 2262 (or before 1677) would overflow it
// (found by s3_xml_fuzz: "Tue, 01 Dec 4673 10:20:30 GMT" was undefined behaviour).
Result<WallTime> ToWallTime(time_t secs, int64_t nanos, std::string_view s) {
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1000000000 - 1;
  if (secs > kMaxSeconds || secs < -kMaxSeconds) {
    return InvalidArgument("'{}' is outside the years 1678..2261", s);
  }
  return WallTime(std::chrono::seconds(secs) + Nanos(nanos));
}

}  // namespace

std::vector<std::string_view> XmlBlocks(std::string_view xml, std::string_view name) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t tag_start = 0;
    bool self_closing = false;
    size_t content = FindOpen(xml, name, pos, &tag_start, &self_closing);
    if (content == std::string_view::npos) break;
    if (self_closing) {
      out.emplace_back();
      pos = content;
      continue;
    }
    size_t after = 0;
    size_t close = FindClose(xml, name, content, &after);
    if (close == std::string_view::npos) break;  // truncated document: keep what was complete
    out.push_back(xml.substr(content, close - content));
    pos = after;
  }
  return out;
}

std::vector<std::string> XmlElements(std::string_view xml, std::string_view name) {
  std::vector<std::string> out;
  for (std::string_view b : XmlBlocks(xml, name)) out.push_back(XmlDecode(b));
  return out;
}

std::string XmlFirst(std::string_view xml, std::string_view name) {
  auto v = XmlBlocks(xml, name);
  return v.empty() ? std::string() : XmlDecode(v.front());
}

std::string XmlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '&') {
      out += c;
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += c;
      continue;
    }
    std::string_view ent = text.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out += '&';
    } else if (ent == "lt") {
      out += '<';
    } else if (ent == "gt") {
      out += '>';
    } else if (ent == "quot") {
      out += '"';
    } else if (ent == "apos") {
      out += '\'';
    } else if (!ent.empty() && ent[0] == '#') {
      uint32_t cp = 0;
      bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
      std::string_view digits = ent.substr(hex ? 2 : 1);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec != std::errc() || p != digits.data() + digits.size()) {
        out += c;
        continue;
      }
      AppendUtf8(cp, &out);
    } else {
      out += c;
      continue;
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

Result<WallTime> ParseIso8601(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  const char* end = ::strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return InvalidArgument("'{}' is not an ISO 8601 time", s);
  int64_t nanos = 0;
  if (*end == '.') {
    ++end;
    int64_t scale = 100000000;
    while (*end >= '0' && *end <= '9') {
      nanos += (*end - '0') * scale;
      scale /= 10;
      ++end;
    }
  }
  return ToWallTime(::timegm(&tm), nanos, s);
}

Result<WallTime> ParseHttpDate(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  if (::strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) {
    return InvalidArgument("'{}' is not an HTTP date", s);
  }
  return ToWallTime(::timegm(&tm), 0, s);
}

namespace {

// The <Contents> entries and IsTruncated of a ListBucketResult (both listing versions).
Result<S3ListPage> ParseListEntries(std::string_view xml, std::string_view what) {
  if (XmlBlocks(xml, "ListBucketResult").empty()) {
    return InvalidArgument("{} response is not a ListBucketResult: '{}'", what, xml.substr(0, 200));
  }
  S3ListPage page;
  for (std::string_view c : XmlBlocks(xml, "Contents")) {
    S3ListEntry e;
    e.key = XmlFirst(c, "Key");
    std::string size = XmlFirst(c, "Size");
    auto [p, ec] = std::from_chars(size.data(), size.data() + size.size(), e.size);
    if (ec != std::errc() || e.key.empty()) {
      return InvalidArgument("{} response: malformed <Contents> entry '{}'", what, c.substr(0, 200));
    }
    e.etag = StripQuotes(XmlFirst(c, "ETag"));
    if (auto t = ParseIso8601(XmlFirst(c, "LastModified")); t.ok()) e.last_modified = *t;
    page.entries.push_back(std::move(e));
  }
  page.truncated = XmlFirst(xml, "IsTruncated") == "true";
  return page;
}

}  // namespace

Result<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  SL_ASSIGN_OR_RETURN(S3ListPage page, ParseListEntries(xml, "ListObjectsV2"));
  page.next_continuation_token = XmlFirst(xml, "NextContinuationToken");
  if (page.truncated && page.next_continuation_token.empty()) {
    return InvalidArgument("ListObjectsV2 response is truncated but has no NextContinuationToken");
  }
  return page;
}

Result<S3ListPage> ParseListObjectsMarker(std::string_view xml) {
  SL_ASSIGN_OR_RETURN(S3ListPage page, ParseListEntries(xml, "ListObjects"));
  if (!page.truncated) return page;
  page.next_continuation_token = XmlFirst(xml, "NextMarker");
  if (page.next_continuation_token.empty() && !page.entries.empty()) page.next_continuation_token = page.entries.back().key;
  if (page.next_continuation_token.empty()) {
    return InvalidArgument("ListObjects response is truncated but has no NextMarker and no entries");
  }
  return page;
}

S3Error ParseS3Error(std::string_view xml) {
  auto blocks = XmlBlocks(xml, "Error");
  if (blocks.empty()) return {};
  return S3Error{XmlFirst(blocks.front(), "Code"), XmlFirst(blocks.front(), "Message"),
                 XmlFirst(blocks.front(), "Details")};
}

}  // namespace sl::store

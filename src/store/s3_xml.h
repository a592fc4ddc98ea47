// The few S3 XML documents the S3 backend reads, parsed by a small tolerant extractor: it finds
// elements by name (ignoring namespaces, attributes and whitespace) and decodes entities. S3
// responses are flat enough that this is exact, and it needs no XML library.
// Thread safety: stateless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace sl::store {

// The text of every <name>...</name> directly or indirectly inside `xml`, in document order,
// entity-decoded. `<name/>` yields "".
std::vector<std::string> XmlElements(std::string_view xml, std::string_view name);
// The raw (undecoded) inner XML of every <name> element, for nested structures.
std::vector<std::string_view> XmlBlocks(std::string_view xml, std::string_view name);
// The first element's text, or "" if absent.
std::string XmlFirst(std::string_view xml, std::string_view name);
std::string XmlDecode(std::string_view text);
// Escapes &, <, >, ", ' for element text.
std::string XmlEscape(std::string_view text);

struct S3ListEntry {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // quotes removed
  WallTime last_modified{};
};

struct S3ListPage {
  std::vector<S3ListEntry> entries;
  bool truncated = false;
  std::string next_continuation_token;
};

// ListBucketResult (ListObjectsV2). Errors name what was malformed.
Result<S3ListPage> ParseListObjectsV2(std::string_view xml);
// ListBucketResult of a marker listing (ListObjects v1, what Cloud Storage's XML API answers
// without list-type=2): next_continuation_token is <NextMarker>, or the last key of a truncated
// page that has none (S3 v1 omits it without a delimiter).
Result<S3ListPage> ParseListObjectsMarker(std::string_view xml);

struct S3Error {
  std::string code;     // "NoSuchKey", "SlowDown", ...
  std::string message;
  std::string details;  // Cloud Storage's <Details> ("No such object: bucket/key"); "" on S3
};
// <Error><Code>..</Code><Message>..</Message>[<Details>..</Details>]</Error>; empty code if the
// body is not one.
S3Error ParseS3Error(std::string_view xml);

// "2026-11-22T20:53:01.123Z" (ISO 8601, as in listings) → WallTime.
Result<WallTime> ParseIso8601(std::string_view s);
// "Sun, 22 Nov 2026 20:53:01 GMT" (RFC 7231, as in Last-Modified) → WallTime.
Result<WallTime> ParseHttpDate(std::string_view s);

}  // namespace sl::store

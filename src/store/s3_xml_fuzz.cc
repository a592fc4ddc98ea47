// libFuzzer target for the S3 XML reader (s3_xml.h): the responses of an S3-compatible server are
// outside input. Every input is read as a ListObjectsV2 page, an S3 error document, a time
// (ISO 8601 and HTTP date), and through the element extractors, with their contracts checked:
// blocks are views into the document, XmlDecode(XmlEscape(s)) == s, and a parsed page written
// back as XML (escaped) parses to the same page. A violation abort()s (a crash for libFuzzer).
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target s3_xml;
// not part of the g++ build). Seeds: fuzz/corpus/s3_xml/, dictionary fuzz/s3_xml.dict.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "store/s3_xml.h"

namespace {

using namespace sl::store;

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "s3_xml_fuzz: invariant violated: %s: %.*s\n", what,
               static_cast<int>(detail.size() > 400 ? 400 : detail.size()), detail.data());
  std::abort();
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void CheckListPage(std::string_view xml) {
  auto r = ParseListObjectsV2(xml);
  if (!r.ok()) {
    Check(r.status().code() == sl::Code::kInvalidArgument, "ParseListObjectsV2 error code",
          r.status().ToString());
    return;
  }
  const S3ListPage& page = *r;
  Check(!page.truncated || !page.next_continuation_token.empty(), "truncated without a token");
  std::string again = "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"x\">";
  for (const auto& e : page.entries) {
    Check(!e.key.empty(), "entry without a key");
    again += "<Contents><Key>" + XmlEscape(e.key) + "</Key><Size>" + std::to_string(e.size) +
             "</Size><ETag>" + XmlEscape("\"" + e.etag + "\"") + "</ETag></Contents>";
  }
  again += std::string("<IsTruncated>") + (page.truncated ? "true" : "false") + "</IsTruncated>";
  if (!page.next_continuation_token.empty()) {
    again += "<NextContinuationToken>" + XmlEscape(page.next_continuation_token) +
             "</NextContinuationToken>";
  }
  again += "</ListBucketResult>";
  auto r2 = ParseListObjectsV2(again);
  Check(r2.ok(), "a page written back does not parse", r2.ok() ? again : r2.status().ToString());
  Check(r2->entries.size() == page.entries.size(), "entry count after a round trip", again);
  for (size_t i = 0; i < page.entries.size(); ++i) {
    Check(r2->entries[i].key == page.entries[i].key, "key after a round trip", again);
    Check(r2->entries[i].size == page.entries[i].size, "size after a round trip", again);
    Check(r2->entries[i].etag == page.entries[i].etag, "etag after a round trip", again);
  }
  Check(r2->truncated == page.truncated, "IsTruncated after a round trip", again);
  Check(r2->next_continuation_token == page.next_continuation_token, "token after a round trip",
        again);
}

// The marker listing (Cloud Storage's XML API, issue 20): a truncated page always has a next
// marker, and it is the NextMarker or, without one, the last key of the page.
void CheckMarkerPage(std::string_view xml) {
  auto r = ParseListObjectsMarker(xml);
  if (!r.ok()) {
    Check(r.status().code() == sl::Code::kInvalidArgument, "ParseListObjectsMarker error code",
          r.status().ToString());
    return;
  }
  Check(!r->truncated || !r->next_continuation_token.empty(), "truncated marker page without a marker");
  if (!r->truncated) Check(r->next_continuation_token.empty(), "a last page with a marker");
  if (r->truncated && XmlFirst(xml, "NextMarker").empty()) {
    Check(r->next_continuation_token == r->entries.back().key, "fallback marker is not the last key");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  CheckListPage(xml);
  CheckMarkerPage(xml);
  S3Error err = ParseS3Error(xml);
  (void)err;
  for (std::string_view name : {"Key", "Contents", "UploadId", "Error", "a"}) {
    auto blocks = XmlBlocks(xml, name);
    auto elements = XmlElements(xml, name);
    Check(blocks.size() == elements.size(), "XmlBlocks and XmlElements disagree");
    for (size_t i = 0; i < blocks.size(); ++i) {
      Check(Inside(blocks[i], xml), "a block outside the document");
      Check(elements[i] == XmlDecode(blocks[i]), "XmlElements != XmlDecode(XmlBlocks)");
    }
    Check(XmlFirst(xml, name) == (elements.empty() ? std::string() : elements[0]), "XmlFirst");
  }
  Check(XmlDecode(XmlEscape(xml)) == xml, "XmlDecode(XmlEscape(s)) != s");
  const std::string decoded = XmlDecode(xml);
  Check(decoded.size() <= xml.size(), "XmlDecode grew the text");
  (void)ParseIso8601(xml);
  (void)ParseHttpDate(xml);
  return 0;
}

#include "store/s3_xml.h"

#include <gtest/gtest.h>

#include "store/store_test_util.h"

namespace sl::store {
namespace {

TEST(S3XmlTest, ParsesListObjectsV2PageWithEntitiesAndNamespaces) {
  const char* xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bkt</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>p/a&amp;b &lt;1&gt;</Key><LastModified>2026-11-22T20:53:01.123Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>p/&#252;&#x2713;</Key><LastModified>2026-11-22T20:53:02Z</LastModified>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e-3"</ETag><Size>0</Size></Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";
  auto page = ParseListObjectsV2(xml);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].key, "p/a&b <1>");
  EXPECT_EQ(page->entries[0].size, 12u);
  EXPECT_EQ(page->entries[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_EQ(FormatRfc3339(page->entries[0].last_modified), "2026-11-22T20:53:01.123Z");
  EXPECT_EQ(page->entries[1].key, "p/\xc3\xbc\xe2\x9c\x93");
  EXPECT_EQ(page->entries[1].etag, "d41d8cd98f00b204e9800998ecf8427e-3");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3XmlTest, EmptyListingAndMalformedDocuments) {
  auto empty = ParseListObjectsV2("<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->entries.empty());
  EXPECT_FALSE(empty->truncated);
  EXPECT_EQ(ParseListObjectsV2("<html>proxy error</html>").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents></ListBucketResult>")
          .status()
          .code(),
      Code::kInvalidArgument);
}

TEST(S3XmlTest, ParsesErrorsAndMultipartResults) {
  S3Error e = ParseS3Error(
      "<?xml version=\"1.0\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
      "<RequestId>1</RequestId></Error>");
  EXPECT_EQ(e.code, "SlowDown");
  EXPECT_EQ(e.message, "Please reduce your request rate.");
  EXPECT_EQ(ParseS3Error("").code, "");
  EXPECT_EQ(XmlFirst("<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId>"
                     "</InitiateMultipartUploadResult>",
                     "UploadId"),
            "VXBsb2FkIElE");
  EXPECT_EQ(XmlFirst("<a><Empty/><B>x</B></a>", "Empty"), "");
  EXPECT_EQ(XmlFirst("<a><B>x</B></a>", "Missing"), "");
}

TEST(S3XmlTest, EscapeRoundTripsThroughDecode) {
  std::string s = "a&b<c>\"d'e";
  EXPECT_EQ(XmlDecode(XmlEscape(s)), s);
}

TEST(S3XmlTest, ParsesHttpAndIsoDates) {
  auto t = ParseHttpDate("Sun, 22 Nov 2026 20:53:01 GMT");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-22T20:53:01.000Z");
  EXPECT_EQ(ParseHttpDate("yesterday").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseIso8601("nope").status().code(), Code::kInvalidArgument);
}

// Found by s3_xml_fuzz (issue 16): a year past 2262 overflowed WallTime's int64 nanoseconds
// (undefined behaviour); it is an error now, and a listing with such a time keeps its entry.
TEST(S3XmlTest, DatesBeyondWallTimeAreErrors) {
  EXPECT_EQ(ParseHttpDate("Tue, 01 Dec 4673 10:20:30 GMT").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseIso8601("9999-12-31T23:59:59.999Z").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseIso8601("1000-01-01T00:00:00Z").status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(ParseIso8601("2261-12-31T23:59:59Z").ok());
  auto page = ParseListObjectsV2(
      "<ListBucketResult><Contents><Key>k</Key><Size>1</Size>"
      "<LastModified>4673-01-01T00:00:00Z</LastModified></Contents></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].last_modified, WallTime{});
}

// Cloud Storage's XML listing (marker/NextMarker) and error body (with <Details>), in the shapes
// of cloud.google.com/storage/docs/xml-api/get-bucket-list and .../reference-status.
TEST(S3XmlTest, MarkerListingAndGcsErrorDetails) {
  auto page = ParseListObjectsMarker(
      "<?xml version='1.0' encoding='UTF-8'?><ListBucketResult xmlns='http://doc.s3.amazonaws.com/2006-03-01'>"
      "<Name>b</Name><Prefix>p/</Prefix><Marker></Marker><NextMarker>p/b</NextMarker><IsTruncated>true</IsTruncated>"
      "<Contents><Key>p/a</Key><Generation>1</Generation><MetaGeneration>1</MetaGeneration>"
      "<LastModified>2026-12-07T10:00:00.000Z</LastModified><ETag>\"d41d8cd98f00b204e9800998ecf8427e\"</ETag>"
      "<Size>0</Size></Contents><Contents><Key>p/b</Key><Size>3</Size></Contents></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "p/b");
  // Truncated without NextMarker (S3's v1 without a delimiter): the last key.
  auto no_marker = ParseListObjectsMarker(
      "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>z</Key><Size>1</Size></Contents></ListBucketResult>");
  ASSERT_TRUE(no_marker.ok());
  EXPECT_EQ(no_marker->next_continuation_token, "z");
  EXPECT_EQ(ParseListObjectsMarker("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>").status().code(),
            Code::kInvalidArgument);
  auto last = ParseListObjectsMarker("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->next_continuation_token, "");
  S3Error e = ParseS3Error(
      "<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code><Message>The specified key does not "
      "exist.</Message><Details>No such object: b/p/x</Details></Error>");
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.details, "No such object: b/p/x");
}

}  // namespace
}  // namespace sl::store

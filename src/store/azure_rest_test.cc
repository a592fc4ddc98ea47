// Unit tests of the Blob REST pieces: the Shared Key signature against vectors produced by the
// official SDK (@azure/storage-blob 12.34's storageSharedKeyCredentialPolicy, with its clock
// pinned to 2026-12-07T13:19:01Z: testing/azure_sdk_sign_vectors.js), connection strings,
// errors and List Blobs pages.
#include <random>

#include <gtest/gtest.h>

#include "store/azure_rest.h"
#include "store/s3_xml.h"
#include "store/store_test_util.h"

namespace sl::store {
namespace {

constexpr const char* kDate = "Mon, 07 Dec 2026 13:19:01 GMT";

TEST(AzureSharedKeyTest, PutBlobMatchesTheOfficialSdk) {
  AzureSignRequest r;
  r.method = "PUT";
  r.path = "/devstoreaccount1/sl-test/runs/7/a%20b.bin";
  r.headers = {{"x-ms-version", "2021-08-06"},      {"x-ms-blob-type", "BlockBlob"},
               {"content-type", "application/octet-stream"}, {"x-ms-meta-sha256", "abc"},
               {"if-none-match", "*"},               {"content-md5", "XUFAKrxLKna5cZ2REBfFkg=="},
               {"x-ms-date", kDate}};
  r.content_length = 5;
  EXPECT_EQ(AzureSharedKeyStringToSign(kAzuriteAccount, r),
            "PUT\n\n\n5\nXUFAKrxLKna5cZ2REBfFkg==\napplication/octet-stream\n\n\n\n*\n\n\n"
            "x-ms-blob-type:BlockBlob\nx-ms-date:Mon, 07 Dec 2026 13:19:01 GMT\nx-ms-meta-sha256:abc\n"
            "x-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/sl-test/runs/7/a%20b.bin");
  EXPECT_EQ(AzureSharedKeyAuthorization(kAzuriteAccount, kAzuriteKey, r).value(),
            "SharedKey devstoreaccount1:P6EToLRLuuJKsuEsnJpcrurTJr2+7DNNwyoh18IWBKo=");
}

TEST(AzureSharedKeyTest, ListBlobsQueryIsSortedAndDecodedLikeTheSdk) {
  AzureSignRequest r;
  r.method = "GET";
  r.path = "/devstoreaccount1/sl-test";
  // In request order, not sorted; values decoded ("runs/7/", "2!abc").
  r.query = {{"restype", "container"}, {"comp", "list"}, {"prefix", "runs/7/"}, {"maxresults", "7"}, {"marker", "2!abc"}};
  r.headers = {{"x-ms-version", "2021-08-06"}, {"x-ms-date", kDate}};
  std::string sts = AzureSharedKeyStringToSign(kAzuriteAccount, r);
  EXPECT_TRUE(sts.ends_with("/devstoreaccount1/devstoreaccount1/sl-test\ncomp:list\nmarker:2!abc\nmaxresults:7\n"
                            "prefix:runs/7/\nrestype:container"))
      << sts;
  EXPECT_EQ(AzureSharedKeyAuthorization(kAzuriteAccount, kAzuriteKey, r).value(),
            "SharedKey devstoreaccount1:FNLmBqms0C/t9xKYMDfh8UfH7W5yqnB1cVup3UiZAeA=");
}

TEST(AzureSharedKeyTest, ZeroContentLengthSignsAsEmpty) {
  AzureSignRequest r;
  r.method = "PUT";
  r.path = "/c1/k";
  r.query = {{"comp", "block"}, {"blockid", "YWJjZA=="}};
  r.headers = {{"x-ms-version", "2021-08-06"}, {"x-ms-date", kDate}};
  r.content_length = 0;
  EXPECT_TRUE(AzureSharedKeyStringToSign(kAzuriteAccount, r).starts_with("PUT\n\n\n\n"));
  EXPECT_EQ(AzureSharedKeyAuthorization(kAzuriteAccount, kAzuriteKey, r).value(),
            "SharedKey devstoreaccount1:7SGdX9H41ZkH88fjgvIvh4WZLKiU8DIRHMuQlIGwpgI=");
}

TEST(AzureSharedKeyTest, KeyThatIsNotBase64IsInvalidArgument) {
  AzureSignRequest r;
  r.method = "GET";
  r.path = "/c/k";
  EXPECT_EQ(AzureSharedKeySignature("not base64!", "x").status().code(), Code::kInvalidArgument);
}

TEST(AzureRestTest, Rfc1123DateIsFixedFormatGmt) {
  WallTime t = WallTime(std::chrono::seconds(1796649541));  // 2026-12-07T13:19:01Z
  EXPECT_EQ(FormatRfc1123(t), kDate);
  EXPECT_EQ(ParseHttpDate(FormatRfc1123(t)).value(), t);
}

TEST(AzureRestTest, PathEncodingKeepsSlashesAndEscapesTheRest) {
  EXPECT_EQ(AzureEncodePath("a b/c+d=e&f/ü'x?#~"), "a%20b/c%2Bd%3De%26f/%C3%BC%27x%3F%23~");
  EXPECT_EQ(AzureEncodeQueryValue("runs/7/"), "runs%2F7%2F");
}

TEST(AzureConnectionStringTest, AzuriteStyleWithBlobEndpoint) {
  auto c = ParseAzureConnectionString(
      "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
      "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
      "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->account, "devstoreaccount1");
  EXPECT_EQ(c->account_key, kAzuriteKey);  // '=' inside the value kept
  EXPECT_EQ(c->blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  EXPECT_EQ(c->sas_token, "");
}

TEST(AzureConnectionStringTest, ProductionDefaultsAndSuffix) {
  auto c = ParseAzureConnectionString("accountname=myacct; AccountKey=a2V5; EndpointSuffix=core.chinacloudapi.cn");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->blob_endpoint, "https://myacct.blob.core.chinacloudapi.cn");
  auto d = ParseAzureConnectionString("AccountName=myacct;AccountKey=a2V5");
  EXPECT_EQ(d->blob_endpoint, "https://myacct.blob.core.windows.net");
}

TEST(AzureConnectionStringTest, SasAndDevelopmentStorage) {
  auto c = ParseAzureConnectionString("BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=?sv=2021-08-06&sig=x%3D");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sas_token, "sv=2021-08-06&sig=x%3D");
  EXPECT_EQ(c->account_key, "");
  auto d = ParseAzureConnectionString("UseDevelopmentStorage=true");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->account, "devstoreaccount1");
  EXPECT_EQ(d->account_key, kAzuriteKey);
  EXPECT_EQ(d->blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
}

TEST(AzureConnectionStringTest, MalformedStringsAreInvalidArgumentWithoutEchoingSecrets) {
  auto a = ParseAzureConnectionString("AccountName=x;TopSecretWithoutEquals");
  EXPECT_EQ(a.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(a.status().message().find("TopSecret"), std::string::npos) << a.status().ToString();
  EXPECT_NE(a.status().message().find("segment 2"), std::string::npos) << a.status().ToString();
  auto b = ParseAzureConnectionString("AccountName=x;AccountKey=not*base64");
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(b.status().message().find("not*base64"), std::string::npos);
  EXPECT_EQ(ParseAzureConnectionString("DefaultEndpointsProtocol=ftp;AccountName=x").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ParseAzureConnectionString("AccountKey=a2V5").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseAzureConnectionString("BlobEndpoint=127.0.0.1:10000").status().code(), Code::kInvalidArgument);
}

TEST(AzureErrorTest, CodeFromHeaderOrBodyAndFirstLineOfMessage) {
  std::string body =
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobNotFound</Code><Message>The specified "
      "blob does not exist.\nRequestId:8a1b\nTime:2026-12-07T13:19:01.000Z</Message></Error>";
  AzureError e = ParseAzureError("", body);
  EXPECT_EQ(e.code, "BlobNotFound");
  EXPECT_EQ(e.message, "The specified blob does not exist.");
  EXPECT_EQ(ParseAzureError("ContainerNotFound", "").code, "ContainerNotFound");  // HEAD: no body
  EXPECT_EQ(ParseAzureError("", "<html>bad gateway</html>").code, "");
}

TEST(AzureListTest, ParsesBlobsAndNextMarker) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://127.0.0.1/\" "
      "ContainerName=\"c\"><Prefix>p/</Prefix><MaxResults>2</MaxResults><Blobs>"
      "<Blob><Name>p/a&amp;b</Name><Properties><Last-Modified>Mon, 07 Dec 2026 13:19:01 GMT</Last-Modified>"
      "<Etag>\"0x8DB\"</Etag><Content-Length>12</Content-Length><BlobType>BlockBlob</BlobType></Properties>"
      "<Metadata><sha256>x</sha256></Metadata></Blob>"
      "<Blob><Name>p/c</Name><Properties><Last-Modified>Mon, 07 Dec 2026 13:19:02 GMT</Last-Modified>"
      "<Etag>0x8DC</Etag><Content-Length>0</Content-Length></Properties></Blob>"
      "</Blobs><NextMarker>2!64!MDAwMDA-</NextMarker></EnumerationResults>";
  auto page = ParseAzureListBlobs(xml);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].name, "p/a&b");
  EXPECT_EQ(page->entries[0].size, 12u);
  EXPECT_EQ(page->entries[0].etag, "0x8DB");
  EXPECT_EQ(page->entries[0].last_modified, WallTime(std::chrono::seconds(1796649541)));
  EXPECT_EQ(page->entries[1].size, 0u);
  EXPECT_EQ(page->next_marker, "2!64!MDAwMDA-");
  auto last = ParseAzureListBlobs("<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->entries.empty());
  EXPECT_EQ(last->next_marker, "");
  EXPECT_EQ(ParseAzureListBlobs("<Error/>").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseAzureListBlobs("<EnumerationResults><Blobs><Blob><Name>x</Name><Properties><Content-Length>"
                                "12a</Content-Length></Properties></Blob></Blobs></EnumerationResults>")
                .status()
                .code(),
            Code::kInvalidArgument);
}

// The parsers take whatever a server (or something in between) sends: random splices of the
// documents' pieces must give a result or an error, never a crash or a hang.
TEST(AzureParsersTest, RandomSplicesNeverCrash) {
  const std::vector<std::string> pieces = {
      "<EnumerationResults>", "</EnumerationResults>", "<Blobs>", "</Blobs>", "<Blob>", "</Blob>", "<Name>", "</Name>",
      "<Content-Length>", "</Content-Length>", "<NextMarker>", "</NextMarker>", "<Blobs/>", "<Error>", "<Code>",
      "</Code>", "<Message>", "</Message>", "&amp;", "&#x1F600;", "&bogus;", "<", ">", "/", "12", "-1",
      "99999999999999999999999", "x", "\n", "=", ";", "AccountName", "AccountKey", "BlobEndpoint",
      "UseDevelopmentStorage=true", "http://", "a2V5", "?"};
  std::mt19937_64 rng(20);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (int n = static_cast<int>(rng() % 24); n > 0; --n) text += pieces[rng() % pieces.size()];
    ParseAzureListBlobs(text).status().IgnoreError();
    ParseAzureError("", text);
    ParseAzureConnectionString(text).status().IgnoreError();
    NormalizeAzureEndpoint(text).status().IgnoreError();
  }
}

}  // namespace
}  // namespace sl::store
